import { DescribeScalableTargetsCommand, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling'
import { DescribeTableCommand, type TableDescription } from '@aws-sdk/client-dynamodb'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { TableNotFoundError } from '../../src/errors.js'
import { createTable } from '../../src/tables/create.js'
import { bumpThroughput, ledgerDir, readLedger, restoreThroughput, throughputStatus, withThroughput, type ThroughputProgress } from '../../src/throughput/index.js'
import { capacityOf, connect, tempDir, uniqueName } from '../helpers.js'

type Conn = ReturnType<typeof connect>

const ledgerFiles = () => (existsSync(ledgerDir()) ? readdirSync(ledgerDir()) : [])
const statusOnDisk = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { status: string }).status

async function describeRaw(conn: Conn, table: string): Promise<TableDescription> {
  return (await conn.dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table!
}

/** A provisioned table (read 5, write 4) with two provisioned GSIs: byEmail (3, 2) and byStatus (2, 1). */
async function provisionedTable(conn: Conn, base: string): Promise<string> {
  const name = uniqueName(base)
  await createTable(
    conn,
    {
      name,
      hashKey: { name: 'pk', type: 'S' },
      billing: 'PROVISIONED',
      read: 5,
      write: 4,
      indexes: [
        { name: 'byEmail', hashKey: { name: 'email', type: 'S' }, projection: 'ALL', read: 3, write: 2 },
        { name: 'byStatus', hashKey: { name: 'status', type: 'S' }, projection: 'KEYS_ONLY', read: 2, write: 1 },
      ],
    },
    { wait: true },
  )
  return name
}

const ORIGINAL = { table: [5, 4], byEmail: [3, 2], byStatus: [2, 1] }

beforeAll(() => {
  // Ledgers of this file go to a temp folder, never to ~/.dynx.
  process.env.DYNX_HOME = tempDir('dynx-tp-int-')
})

// dynalite keeps provisioned values and goes UPDATING for updateTableMs (200 ms) after each
// UpdateTable, as AWS does for longer; DynamoDB Local ignores throughput; moto has no transitions.
describe('throughput on dynalite (real UPDATING transitions)', () => {
  let conn: Conn
  beforeAll(() => {
    conn = connect(inject('engines').dynalite)
  })
  afterAll(() => conn.destroy())

  it('withThroughput raises the table and both GSIs for the job, then puts every value back exactly', async () => {
    const table = await provisionedTable(conn, 'tpwith')
    const progress: ThroughputProgress[] = []
    let inside: TableDescription | undefined
    const out = await withThroughput(
      conn,
      [{ table, capacity: { read: 20, write: 10 }, indexes: { byEmail: { read: 30 } }, allIndexes: { write: 7 } }],
      async (bump) => {
        // allIndexes covers every GSI: byEmail gets its own read 30 and the common write 7.
        expect(bump.changes.map((c) => `${c.index ?? 'table'}:${c.dimension}:${c.from}->${c.to}`)).toEqual([
          'table:read:5->20',
          'table:write:4->10',
          'byEmail:read:3->30',
          'byEmail:write:2->7',
          'byStatus:write:1->7',
        ])
        inside = await describeRaw(conn, table)
        return 'job done'
      },
      { onProgress: (p) => progress.push(p) },
    )
    expect(out.result).toBe('job done')
    // Inside the job: the raised values, and everything ACTIVE (bump waited for the update).
    expect(inside!.TableStatus).toBe('ACTIVE')
    expect(inside!.GlobalSecondaryIndexes!.map((g) => g.IndexStatus)).toEqual(['ACTIVE', 'ACTIVE'])
    expect(capacityOf(inside!)).toEqual({ table: [20, 10], byEmail: [30, 7], byStatus: [2, 7] })
    // Afterwards: the originals, exactly, and ACTIVE.
    const after = await describeRaw(conn, table)
    expect(capacityOf(after)).toEqual(ORIGINAL)
    expect(after.TableStatus).toBe('ACTIVE')
    expect(out.restore).toMatchObject({ alreadyRestored: false, unchanged: [], missingTables: [], changedSince: [] })
    expect(out.restore!.restored).toHaveLength(5)
    expect(statusOnDisk(out.bump.ledger!)).toBe('restored')
    expect(await readLedger(out.bump.ledger!)).toMatchObject({ status: 'restored', restoredAt: expect.any(String) })
    // The real transitions were waited for, on the way up and on the way down.
    expect(progress.filter((p) => p.stage === 'raising' || p.stage === 'restoring').map((p) => p.stage)).toEqual(['raising', 'restoring'])
    expect(progress.some((p) => p.stage === 'waiting' && (p.status === 'UPDATING' || (p.pendingIndexes ?? []).length > 0))).toBe(true)
    // dynalite counts the restore as one decrease of each unit; no auto scaling on this engine.
    const [status] = await throughputStatus(conn, [table])
    expect(status.autoScalingAvailable).toBe(false)
    expect(status.decreases.decreasesToday).toBe(1)
    expect(status.indexes.map((i) => [i.index, i.decreases.decreasesToday])).toEqual([
      ['byEmail', 1],
      ['byStatus', 1],
    ])
  })

  it("a job that throws: the capacity is still put back and the job's own error is rethrown", async () => {
    const table = await provisionedTable(conn, 'tpthrow')
    const boom = new Error('migration step 3 failed')
    let ledger: string | undefined
    const err = await withThroughput(conn, [{ table, capacity: { write: 50 }, allIndexes: { write: 50 } }], async (bump) => {
      ledger = bump.ledger
      expect(capacityOf(await describeRaw(conn, table))).toEqual({ table: [5, 50], byEmail: [3, 50], byStatus: [2, 50] })
      throw boom
    }).catch((e: unknown) => e)
    expect(err).toBe(boom)
    expect(capacityOf(await describeRaw(conn, table))).toEqual(ORIGINAL)
    expect(statusOnDisk(ledger!)).toBe('restored')
  })

  it('bumpThroughput, then restoreThroughput twice: the second is a no-op on a restored ledger', async () => {
    const table = await provisionedTable(conn, 'tptwice')
    const ledger = join(tempDir('dynx-tp-ledger-'), 'bump.json')
    const bump = await bumpThroughput(conn, [{ table, capacity: { read: 11 }, indexes: { byStatus: { read: 12, write: 13 } } }], {
      ledger,
      connection: { endpoint: conn.endpoint },
    })
    expect(bump).toMatchObject({ ledger, dryRun: false, skipped: [], stuck: [] })
    expect(bump.restoreCommand).toBe(`dynx throughput restore --ledger ${ledger} --endpoint ${conn.endpoint}`)
    expect(statusOnDisk(ledger)).toBe('open')
    expect(capacityOf(await describeRaw(conn, table))).toEqual({ table: [11, 4], byEmail: [3, 2], byStatus: [12, 13] })

    const first = await restoreThroughput(conn, ledger)
    expect(first.alreadyRestored).toBe(false)
    expect(first.restored).toHaveLength(3)
    expect(capacityOf(await describeRaw(conn, table))).toEqual(ORIGINAL)
    expect(statusOnDisk(ledger)).toBe('restored')

    const second = await restoreThroughput(conn, ledger)
    expect(second).toEqual({ ledger, alreadyRestored: true, restored: [], unchanged: [], missingTables: [], changedSince: [] })
    expect(capacityOf(await describeRaw(conn, table))).toEqual(ORIGINAL)
  })

  it('a value already higher is skipped; a bump where nothing changes writes no ledger and calls no UpdateTable', async () => {
    const table = await provisionedTable(conn, 'tpskip')
    const ledger = join(tempDir('dynx-tp-ledger-'), 'partial.json')
    const partial = await bumpThroughput(conn, [{ table, capacity: { read: 3, write: 9 }, indexes: { byEmail: { read: 3 } } }], { ledger })
    expect(partial.changes).toEqual([{ table, dimension: 'write', mechanism: 'provisioned', from: 4, to: 9 }])
    expect(partial.skipped).toEqual([
      { table, dimension: 'read', reason: 'already 5' },
      { table, index: 'byEmail', dimension: 'read', reason: 'already 3' },
    ])
    expect(capacityOf(await describeRaw(conn, table))).toEqual({ ...ORIGINAL, table: [5, 9] })
    await restoreThroughput(conn, ledger)
    expect(capacityOf(await describeRaw(conn, table))).toEqual(ORIGINAL)

    const before = ledgerFiles()
    const described = await describeRaw(conn, table)
    const none = await bumpThroughput(conn, [{ table, capacity: { read: 5, write: 1 }, allIndexes: { read: 2 } }])
    expect(none.changes).toEqual([])
    expect(none.skipped).toHaveLength(4)
    expect(none.ledger).toBeUndefined()
    expect(none.restoreCommand).toBeUndefined()
    expect(ledgerFiles()).toEqual(before)
    // No UpdateTable was made: the table stayed ACTIVE and its increase/decrease history is as it was.
    const after = await describeRaw(conn, table)
    expect(after.TableStatus).toBe('ACTIVE')
    expect(after.ProvisionedThroughput).toEqual(described.ProvisionedThroughput)
    expect(after.GlobalSecondaryIndexes!.map((g) => g.ProvisionedThroughput)).toEqual(described.GlobalSecondaryIndexes!.map((g) => g.ProvisionedThroughput))
  })

  it('an unknown table is a TableNotFoundError and nothing is written or changed', async () => {
    const known = await provisionedTable(conn, 'tpknown')
    const ghost = uniqueName('tpghost')
    const before = ledgerFiles()
    const ledger = join(tempDir('dynx-tp-ledger-'), 'ghost.json')
    const err = await bumpThroughput(
      conn,
      [
        { table: known, capacity: { read: 50 } },
        { table: ghost, capacity: { read: 50 } },
      ],
      { ledger },
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TableNotFoundError)
    expect((err as TableNotFoundError).table).toBe(ghost)
    expect((err as TableNotFoundError).exitCode).toBe(2)
    expect(existsSync(ledger)).toBe(false)
    expect(ledgerFiles()).toEqual(before)
    expect(capacityOf(await describeRaw(conn, known))).toEqual(ORIGINAL)
    await expect(throughputStatus(conn, [ghost])).rejects.toBeInstanceOf(TableNotFoundError)
    await expect(withThroughput(conn, [{ table: ghost, capacity: { read: 5 } }], async () => 'never')).rejects.toBeInstanceOf(TableNotFoundError)
    expect(ledgerFiles()).toEqual(before)
  })
})

// moto is the engine with Application Auto Scaling: scalable targets and target-tracking policies.
describe('throughput on moto with Application Auto Scaling', () => {
  let conn: Conn
  let table: string
  const tableRead = () => ({ ResourceId: `table/${table}`, ScalableDimension: 'dynamodb:table:ReadCapacityUnits' as const })
  const indexWrite = () => ({ ResourceId: `table/${table}/index/byEmail`, ScalableDimension: 'dynamodb:index:WriteCapacityUnits' as const })

  async function targets(): Promise<Record<string, [number, number]>> {
    const out = await conn.autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: [`table/${table}`, `table/${table}/index/byEmail`] }))
    return Object.fromEntries((out.ScalableTargets ?? []).map((t) => [`${t.ResourceId}|${t.ScalableDimension}`, [t.MinCapacity!, t.MaxCapacity!]]))
  }

  beforeAll(async () => {
    conn = connect(inject('engines').moto)
    table = await provisionedTable(conn, 'tpscale')
    await conn.autoscaling.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'dynamodb', ...tableRead(), MinCapacity: 5, MaxCapacity: 50 }))
    await conn.autoscaling.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'dynamodb', ...indexWrite(), MinCapacity: 2, MaxCapacity: 10 }))
    await conn.autoscaling.send(
      new PutScalingPolicyCommand({
        ServiceNamespace: 'dynamodb',
        ...tableRead(),
        PolicyName: `${table}-read`,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' } },
      }),
    )
  })
  afterAll(() => conn.destroy())

  it('throughputStatus shows the scalable targets with their target utilisation', async () => {
    const [status] = await throughputStatus(conn, [table])
    expect(status.autoScalingAvailable).toBe(true)
    expect(status.billingMode).toBe('PROVISIONED')
    expect(status).toMatchObject({ read: 5, write: 4 })
    expect(status.autoScaling).toEqual({ read: { resourceId: `table/${table}`, scalableDimension: 'dynamodb:table:ReadCapacityUnits', min: 5, max: 50, targetUtilization: 70 } })
    const byEmail = status.indexes.find((i) => i.index === 'byEmail')!
    expect(byEmail.autoScaling).toEqual({ write: { resourceId: `table/${table}/index/byEmail`, scalableDimension: 'dynamodb:index:WriteCapacityUnits', min: 2, max: 10 } })
    expect(status.indexes.find((i) => i.index === 'byStatus')!.autoScaling).toEqual({})
  })

  it('bump raises the scaler minimum (and the maximum when above it), not the provisioned values; restore puts min/max back exactly', async () => {
    const ledger = join(tempDir('dynx-tp-ledger-'), 'scale.json')
    const bump = await bumpThroughput(conn, [{ table, capacity: { read: 20, write: 9 }, indexes: { byEmail: { write: 40 } } }], { ledger })
    expect(bump.changes).toEqual([
      { table, dimension: 'read', mechanism: 'auto-scaling', from: 5, to: 20, fromMax: 50, toMax: 50 },
      { table, dimension: 'write', mechanism: 'provisioned', from: 4, to: 9 },
      { table, index: 'byEmail', dimension: 'write', mechanism: 'auto-scaling', from: 2, to: 40, fromMax: 10, toMax: 40 },
    ])
    expect(await targets()).toEqual({
      [`table/${table}|dynamodb:table:ReadCapacityUnits`]: [20, 50],
      [`table/${table}/index/byEmail|dynamodb:index:WriteCapacityUnits`]: [40, 40],
    })
    // UpdateTable changed only the dimension without a scaler.
    expect(capacityOf(await describeRaw(conn, table))).toEqual({ table: [5, 9], byEmail: [3, 2], byStatus: [2, 1] })
    expect(statusOnDisk(ledger)).toBe('open')

    const restore = await restoreThroughput(conn, ledger)
    expect(restore.restored).toHaveLength(3)
    expect(await targets()).toEqual({
      [`table/${table}|dynamodb:table:ReadCapacityUnits`]: [5, 50],
      [`table/${table}/index/byEmail|dynamodb:index:WriteCapacityUnits`]: [2, 10],
    })
    expect(capacityOf(await describeRaw(conn, table))).toEqual(ORIGINAL)
    expect(statusOnDisk(ledger)).toBe('restored')
    // The scaling policy is left as it was.
    const [status] = await throughputStatus(conn, [table])
    expect(status.autoScaling.read?.targetUtilization).toBe(70)
  })
})
