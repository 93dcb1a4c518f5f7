import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling'
import {
  DescribeTableCommand,
  LimitExceededException,
  ResourceNotFoundException,
  UpdateTableCommand,
  type DescribeTableCommandInput,
  type GlobalSecondaryIndexDescription,
  type TableDescription,
  type UpdateTableCommandInput,
} from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { defaultLocalPath } from '../../src/local/engine.js'
import { CapacityRestoreError, DecreaseQuotaError, TableNotFoundError, UserInputError } from '../../src/errors.js'
import {
  bumpThroughput,
  decreaseQuota,
  findOpenLedgers,
  ledgerDir,
  loadThroughputPlan,
  newLedger,
  planBump,
  readLedger,
  restoreCommand,
  restoreThroughput,
  tableThroughput,
  throughputPlanFromFlags,
  withThroughput,
  writeLedger,
  type ScalingTarget,
  type ThroughputProgress,
} from '../../src/throughput/index.js'
import { connect, tempDir } from '../helpers.js'

const HOUR = 3_600_000
const MIN = 60_000
const at = (iso: string) => new Date(iso)
const iso = (ms: number) => new Date(ms).toISOString()
const NOW = at('2026-03-10T12:00:00Z')

// ---------------------------------------------------------------- decrease quota arithmetic

describe("decreaseQuota (DynamoDB's rule: 4 decreases any time per UTC day, then one per hour without a decrease)", () => {
  it('fewer than 4 decreases today: allowed now, with the anytime decreases left', () => {
    const now = at('2026-03-10T12:00:00Z')
    const q = decreaseQuota({ NumberOfDecreasesToday: 3, LastDecreaseDateTime: new Date(now.getTime() - 5 * MIN) }, now)
    expect(q).toEqual({ decreasesToday: 3, lastDecreaseAt: '2026-03-10T11:55:00.000Z', anytimeLeft: 1, allowedNow: true })
  })

  it('no decrease ever: allowed, 4 left', () => {
    const q = decreaseQuota({ NumberOfDecreasesToday: 0 }, at('2026-03-10T12:00:00Z'))
    expect(q).toEqual({ decreasesToday: 0, anytimeLeft: 4, allowedNow: true })
  })

  it('4 today, the last 30 minutes ago: refused until an hour after the last one', () => {
    const now = at('2026-03-10T12:00:00Z')
    const last = new Date(now.getTime() - 30 * MIN)
    const q = decreaseQuota({ NumberOfDecreasesToday: 4, LastDecreaseDateTime: last, LastIncreaseDateTime: at('2026-03-10T09:00:00Z') }, now)
    expect(q).toEqual({
      decreasesToday: 4,
      lastDecreaseAt: '2026-03-10T11:30:00.000Z',
      lastIncreaseAt: '2026-03-10T09:00:00.000Z',
      anytimeLeft: 0,
      allowedNow: false,
      nextAllowedAt: '2026-03-10T12:30:00.000Z',
    })
  })

  it('4 today, the last at 23:40 UTC: the new UTC day (00:00) comes before the hour is up (00:40)', () => {
    const q = decreaseQuota({ NumberOfDecreasesToday: 4, LastDecreaseDateTime: at('2026-03-10T23:40:00Z') }, at('2026-03-10T23:50:00Z'))
    expect(q.allowedNow).toBe(false)
    expect(q.nextAllowedAt).toBe('2026-03-11T00:00:00.000Z')
  })

  it('a count from an earlier UTC day reads as 0 (9 decreases, the last yesterday 23:59, now 00:01)', () => {
    const q = decreaseQuota({ NumberOfDecreasesToday: 9, LastDecreaseDateTime: at('2026-03-10T23:59:00Z') }, at('2026-03-11T00:01:00Z'))
    expect(q).toMatchObject({ decreasesToday: 0, anytimeLeft: 4, allowedNow: true })
    expect(q.nextAllowedAt).toBeUndefined()
  })

  it('exactly one hour after the last decrease: allowed again', () => {
    const last = at('2026-03-10T10:00:00Z')
    expect(decreaseQuota({ NumberOfDecreasesToday: 4, LastDecreaseDateTime: last }, new Date(last.getTime() + HOUR))).toMatchObject({ allowedNow: true, anytimeLeft: 0 })
    expect(decreaseQuota({ NumberOfDecreasesToday: 4, LastDecreaseDateTime: last }, new Date(last.getTime() + HOUR - 1))).toMatchObject({ allowedNow: false })
  })

  it('more than 4 (10, the hourly ones used too) with the last 10 minutes ago: refused until an hour after it', () => {
    const q = decreaseQuota({ NumberOfDecreasesToday: 10, LastDecreaseDateTime: at('2026-03-10T15:50:00Z') }, at('2026-03-10T16:00:00Z'))
    expect(q).toMatchObject({ decreasesToday: 10, anytimeLeft: 0, allowedNow: false, nextAllowedAt: '2026-03-10T16:50:00.000Z' })
  })
})

// ---------------------------------------------------------------- a faked DynamoDB

interface FakeUnit {
  read: number
  write: number
  decreasesToday?: number
  lastDecrease?: Date
  lastIncrease?: Date
  /** On-demand maximums; undefined = none set. */
  maxRead?: number
  maxWrite?: number
}

interface FakeTable {
  billing: 'PROVISIONED' | 'PAY_PER_REQUEST'
  unit: FakeUnit
  indexes: Record<string, FakeUnit>
  /** Answers DescribeTable with UPDATING until this Date.now(). */
  updatingUntil?: number
  /** Makes the n-th (1-based) UpdateTable call on this table fail with this error. */
  failCall?: { n: number; error: Error }
  /**
   * Per UpdateTable call (1-based): an error to answer with, before the change (`after` false) or
   * after it was made (`after` true: the answer was lost, as with a reset after the service applied it).
   */
  fault?: (call: number, input: UpdateTableCommandInput) => { error: Error; after?: boolean; updatingMs?: number } | undefined
  /** Milliseconds an UpdateTable that raises something takes to answer (the change is made on receipt). */
  raiseLatencyMs?: number
  calls: number
  /** DynamoDB's TableId; a table deleted and created again gets a new one. */
  tableId?: string
}

/** DynamoDB models no ValidationException class; the SDK gives a plain ServiceException with this name. */
const validation = (message: string) => Object.assign(new Error(message), { name: 'ValidationException', $fault: 'client', $metadata: {} })

const sameUtcDay = (a: Date, b: Date) => a.toISOString().slice(0, 10) === b.toISOString().slice(0, 10)

/**
 * DynamoDB as the real service behaves for capacity: DescribeTable with NumberOfDecreasesToday and
 * LastDecreaseDateTime, UpdateTable that changes provisioned values and on-demand maximums, and a
 * LimitExceededException for a decrease once 4 were made today and the last was within the hour.
 * Its quota rule is written here on its own, not taken from the library under test.
 */
class FakeDynamo {
  readonly tables = new Map<string, FakeTable>()
  readonly updates: UpdateTableCommandInput[] = []
  clock: Date

  constructor(mock: ReturnType<typeof mockClient>, clock: Date) {
    this.clock = clock
    mock.on(DescribeTableCommand).callsFake((input: DescribeTableCommandInput) => ({ Table: this.describe(input.TableName!) }))
    mock.on(UpdateTableCommand).callsFake((input: UpdateTableCommandInput) => this.update(input))
  }

  add(name: string, table: Partial<FakeTable> & { unit: FakeUnit }): FakeTable {
    const t: FakeTable = { billing: 'PROVISIONED', indexes: {}, calls: 0, ...table }
    this.tables.set(name, t)
    return t
  }

  private get(name: string): FakeTable {
    const t = this.tables.get(name)
    if (!t) throw new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} })
    return t
  }

  private pt(u: FakeUnit) {
    return {
      ReadCapacityUnits: u.read,
      WriteCapacityUnits: u.write,
      NumberOfDecreasesToday: u.decreasesToday ?? 0,
      ...(u.lastDecrease ? { LastDecreaseDateTime: u.lastDecrease } : {}),
      ...(u.lastIncrease ? { LastIncreaseDateTime: u.lastIncrease } : {}),
    }
  }

  private od(u: FakeUnit) {
    return u.maxRead !== undefined || u.maxWrite !== undefined ? { OnDemandThroughput: { MaxReadRequestUnits: u.maxRead ?? -1, MaxWriteRequestUnits: u.maxWrite ?? -1 } } : {}
  }

  describe(name: string): TableDescription {
    const t = this.get(name)
    const status = t.updatingUntil !== undefined && Date.now() < t.updatingUntil ? 'UPDATING' : 'ACTIVE'
    const indexes: GlobalSecondaryIndexDescription[] = Object.entries(t.indexes).map(([IndexName, u]) => ({
      IndexName,
      IndexStatus: status,
      ProvisionedThroughput: this.pt(u),
      ...this.od(u),
    }))
    return {
      TableName: name,
      ...(t.tableId ? { TableId: t.tableId } : {}),
      TableStatus: status,
      ...(t.billing === 'PAY_PER_REQUEST' ? { BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } } : {}),
      ProvisionedThroughput: this.pt(t.unit),
      ...this.od(t.unit),
      ...(indexes.length ? { GlobalSecondaryIndexes: indexes } : {}),
    }
  }

  private refusesDecrease(u: FakeUnit): boolean {
    if (!u.lastDecrease) return false
    const today = sameUtcDay(u.lastDecrease, this.clock) ? (u.decreasesToday ?? 0) : 0
    return today >= 4 && this.clock.getTime() - u.lastDecrease.getTime() < HOUR
  }

  private async update(input: UpdateTableCommandInput) {
    this.updates.push(structuredClone(input))
    const t = this.get(input.TableName!)
    t.calls++
    if (t.failCall?.n === t.calls) throw t.failCall.error
    const fault = t.fault?.(t.calls, input)
    if (fault && !fault.after) throw fault.error
    if (t.updatingUntil !== undefined && Date.now() < t.updatingUntil) {
      throw Object.assign(new Error('Attempt to change a resource which is still in use: Table is being updated: ' + input.TableName), {
        name: 'ResourceInUseException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      })
    }
    const targets: Array<[FakeUnit, { read?: number; write?: number; maxRead?: number; maxWrite?: number }]> = []
    const collect = (u: FakeUnit, pt?: { ReadCapacityUnits?: number; WriteCapacityUnits?: number }, od?: { MaxReadRequestUnits?: number; MaxWriteRequestUnits?: number }) => {
      if (pt && t.billing === 'PAY_PER_REQUEST')
        throw validation('One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST')
      targets.push([u, { read: pt?.ReadCapacityUnits, write: pt?.WriteCapacityUnits, maxRead: od?.MaxReadRequestUnits, maxWrite: od?.MaxWriteRequestUnits }])
    }
    if (input.ProvisionedThroughput || input.OnDemandThroughput) collect(t.unit, input.ProvisionedThroughput, input.OnDemandThroughput)
    for (const g of input.GlobalSecondaryIndexUpdates ?? []) {
      const u = t.indexes[g.Update?.IndexName ?? '']
      if (!u) throw validation(`Requested resource not found: Index: ${g.Update?.IndexName}`)
      collect(u, g.Update?.ProvisionedThroughput, g.Update?.OnDemandThroughput)
    }
    let raises = false
    for (const [u, w] of targets) {
      const decreases = (w.read !== undefined && w.read < u.read) || (w.write !== undefined && w.write < u.write)
      if (decreases && this.refusesDecrease(u)) {
        throw new LimitExceededException({
          message: `Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 60 minutes. Number of decreases today: ${u.decreasesToday}. Last decrease at ${u.lastDecrease?.toUTCString()}.`,
          $metadata: {},
        })
      }
      raises ||= (w.read ?? 0) > u.read || (w.write ?? 0) > u.write || (w.maxRead ?? -1) > (u.maxRead ?? -1) || (w.maxWrite ?? -1) > (u.maxWrite ?? -1)
    }
    for (const [u, w] of targets) {
      if ((w.read !== undefined && w.read < u.read) || (w.write !== undefined && w.write < u.write)) {
        u.decreasesToday = u.lastDecrease && sameUtcDay(u.lastDecrease, this.clock) ? (u.decreasesToday ?? 0) + 1 : 1
        u.lastDecrease = this.clock
      }
      if ((w.read ?? 0) > u.read || (w.write ?? 0) > u.write) u.lastIncrease = this.clock
      if (w.read !== undefined) u.read = w.read
      if (w.write !== undefined) u.write = w.write
      if (w.maxRead !== undefined) u.maxRead = w.maxRead
      if (w.maxWrite !== undefined) u.maxWrite = w.maxWrite
    }
    const description = this.describe(input.TableName!)
    if (raises && t.raiseLatencyMs) await sleep(t.raiseLatencyMs)
    if (fault?.updatingMs) t.updatingUntil = Date.now() + fault.updatingMs
    if (fault?.after) throw fault.error
    return { TableDescription: description }
  }
}

/** A connection whose DynamoDB and Application Auto Scaling clients are faked (no scalable targets unless given). */
function fakeAws(clock = at('2026-03-10T12:00:00Z'), targets: ScalingTarget[] = []) {
  const conn = connect('http://127.0.0.1:1')
  const ddbMock = mockClient(conn.dynamodb)
  const aasMock = mockClient(conn.autoscaling)
  // Answers with the targets as last registered, like the real service.
  aasMock.on(DescribeScalableTargetsCommand).callsFake(() => ({
    ScalableTargets: targets.map((t) => ({
      ServiceNamespace: 'dynamodb',
      ResourceId: t.resourceId,
      ScalableDimension: t.scalableDimension as never,
      MinCapacity: t.min,
      MaxCapacity: t.max,
      RoleARN: 'arn:aws:iam::123456789012:role/aas',
      CreationTime: clock,
    })),
  }))
  aasMock.on(RegisterScalableTargetCommand).callsFake((input: { ResourceId: string; ScalableDimension: string; MinCapacity?: number; MaxCapacity?: number }) => {
    const t = targets.find((x) => x.resourceId === input.ResourceId && x.scalableDimension === input.ScalableDimension)
    if (t) Object.assign(t, { min: input.MinCapacity ?? t.min, max: input.MaxCapacity ?? t.max })
    return {}
  })
  aasMock.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] })
  const fake = new FakeDynamo(ddbMock, clock)
  const now = () => fake.clock
  return {
    conn,
    fake,
    ddbMock,
    aasMock,
    now,
    destroy: () => {
      ddbMock.restore()
      aasMock.restore()
      conn.destroy()
    },
  }
}

const ledgerFiles = () => (existsSync(ledgerDir()) ? readdirSync(ledgerDir()) : [])
const onDisk = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { status: string; restoredAt?: string }

let cleanup: Array<() => void> = []
beforeEach(() => {
  // Ledgers go to a fresh folder per test, never to ~/.dynx.
  process.env.DYNX_HOME = tempDir('dynx-tp-home-')
})
afterEach(() => {
  for (const c of cleanup) c()
  cleanup = []
})
function aws(...args: Parameters<typeof fakeAws>) {
  const a = fakeAws(...args)
  cleanup.push(a.destroy)
  return a
}

// ---------------------------------------------------------------- bump refused by the decrease quota

describe('bump refused when the restore would hit the decrease quota (stands for DynamoDB answering LimitExceededException to a 5th decrease within the hour)', () => {
  it('refuses with DecreaseQuotaError (exit 2) saying when, and changes nothing: no UpdateTable, no ledger', async () => {
    const { conn, fake, now } = aws()
    fake.add('orders', { unit: { read: 10, write: 10, decreasesToday: 4, lastDecrease: new Date(fake.clock.getTime() - 30 * MIN) } })
    const ledger = join(tempDir(), 'l.json')
    const err = await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 100 } }], { now, ledger }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DecreaseQuotaError)
    expect((err as DecreaseQuotaError).exitCode).toBe(2)
    expect((err as DecreaseQuotaError).allowedAt).toBe('2026-03-10T12:30:00.000Z')
    expect((err as Error).message).toContain('before 2026-03-10T12:30:00.000Z')
    expect((err as Error).message).toContain('table orders: 4 decreases today (UTC), the last at 2026-03-10T11:30:00.000Z; next allowed at 2026-03-10T12:30:00.000Z')
    expect((err as DecreaseQuotaError).hint).toMatch(/--allow-stuck/)
    expect(fake.updates).toEqual([])
    expect(existsSync(ledger)).toBe(false)
    expect(ledgerFiles()).toEqual([])
  })

  it('a stuck GSI blocks only a bump that raises that GSI', async () => {
    const { conn, fake, now } = aws()
    fake.add('orders', { unit: { read: 10, write: 10 }, indexes: { byUser: { read: 5, write: 5, decreasesToday: 6, lastDecrease: new Date(fake.clock.getTime() - 10 * MIN) } } })
    const err = await bumpThroughput(conn, [{ table: 'orders', indexes: { byUser: { write: 50 } } }], { now }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DecreaseQuotaError)
    expect((err as Error).message).toContain('index byUser of orders: 6 decreases today')
    expect((err as DecreaseQuotaError).allowedAt).toBe('2026-03-10T12:50:00.000Z')
    const ok = await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 } }], { now })
    expect(ok.stuck).toEqual([])
    expect(fake.tables.get('orders')!.unit.read).toBe(50)
  })

  it('with allowStuck it raises anyway and reports the stuck unit; the ledger is written', async () => {
    const { conn, fake, now } = aws()
    fake.add('orders', { unit: { read: 10, write: 10, decreasesToday: 4, lastDecrease: new Date(fake.clock.getTime() - 30 * MIN) } })
    const ledger = join(tempDir(), 'l.json')
    const result = await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 100 } }], { now, ledger, allowStuck: true })
    expect(result.stuck).toEqual([{ table: 'orders', decreasesToday: 4, lastDecreaseAt: '2026-03-10T11:30:00.000Z', allowedAt: '2026-03-10T12:30:00.000Z' }])
    expect(result.changes).toEqual([{ table: 'orders', dimension: 'read', mechanism: 'provisioned', from: 10, to: 100 }])
    expect(fake.updates).toEqual([{ TableName: 'orders', ProvisionedThroughput: { ReadCapacityUnits: 100, WriteCapacityUnits: 10 } }])
    expect(onDisk(ledger).status).toBe('open')
  })
})

// ---------------------------------------------------------------- restore refused: LimitExceededException

describe('restore refused with LimitExceededException (stands for the real service once the decrease quota is used up)', () => {
  it('keeps the ledger open, says when to retry and what to run; a later retry restores and closes it', async () => {
    const { conn, fake, now } = aws()
    const orders = fake.add('orders', { unit: { read: 10, write: 5 }, indexes: { byUser: { read: 3, write: 3 } } })
    const ledger = join(tempDir('dynx tp '), 'bump.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 100 } }], { now, ledger, connection: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' } })
    expect(orders.unit.read).toBe(100)

    // Someone else lowered the table 4 times today meanwhile, the last 20 minutes ago.
    fake.clock = at('2026-03-10T13:00:00Z')
    orders.unit.decreasesToday = 4
    orders.unit.lastDecrease = at('2026-03-10T12:40:00Z')

    const err = await restoreThroughput(conn, ledger, { now }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CapacityRestoreError)
    const e = err as CapacityRestoreError
    expect(e.exitCode).toBe(1)
    expect(e.retryAt).toBe('2026-03-10T13:40:00.000Z')
    expect(e.ledger).toBe(ledger)
    expect(e.command).toContain(`dynx throughput restore --ledger '${ledger}'`)
    expect(e.command).toContain('--endpoint http://127.0.0.1:1 --region us-east-1')
    expect(e.message).toMatch(/refused to lower the capacity of orders: Subscriber limit exceeded/)
    expect(e.hint).toContain('at or after 2026-03-10T13:40:00.000Z')
    expect(e.hint).toContain(e.command)
    expect((e.cause as Error).name).toBe('LimitExceededException')
    expect(onDisk(ledger).status).toBe('open')
    expect((await readLedger(ledger)).status).toBe('open')
    expect(orders.unit.read).toBe(100)

    // At the time it said, DynamoDB accepts the decrease.
    fake.clock = new Date(e.retryAt!)
    const restored = await restoreThroughput(conn, ledger, { now })
    expect(restored).toMatchObject({ ledger, alreadyRestored: false, missingTables: [], unchanged: [] })
    expect(restored.restored).toEqual([{ table: 'orders', dimension: 'read', mechanism: 'provisioned', from: 10, to: 100 }])
    expect(orders.unit).toMatchObject({ read: 10, write: 5, decreasesToday: 5, lastDecrease: fake.clock })
    expect(orders.indexes.byUser).toMatchObject({ read: 3, write: 3 })
    expect(onDisk(ledger)).toMatchObject({ status: 'restored', restoredAt: expect.any(String) })

    const again = await restoreThroughput(conn, ledger, { now })
    expect(again).toEqual({ ledger, alreadyRestored: true, restored: [], unchanged: [], missingTables: [], changedSince: [] })
  })

  // Regression: a unit whose quota allowed a decrease now used to count as "now + 1 hour", so a
  // refused table whose GSI (lowered in the same call) was within its quota got the wrong retryAt.
  it("retryAt is the refused unit's next allowed time when the same call also lowers a GSI within its quota", async () => {
    const { conn, fake, now } = aws()
    const orders = fake.add('orders', { unit: { read: 10, write: 5 }, indexes: { byUser: { read: 3, write: 3 } } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 100 }, indexes: { byUser: { read: 30 } } }], { now, ledger })
    fake.clock = at('2026-03-10T13:00:00Z')
    orders.unit.decreasesToday = 4
    orders.unit.lastDecrease = at('2026-03-10T12:40:00Z')
    const err = await restoreThroughput(conn, ledger, { now }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CapacityRestoreError)
    // DynamoDB takes the decrease at 13:40 (the table's hour is up; the GSI never was limited).
    expect((err as CapacityRestoreError).retryAt).toBe('2026-03-10T13:40:00.000Z')
  })

  it('restores the other tables of the ledger and names only the refused one', async () => {
    const { conn, fake, now } = aws()
    const a = fake.add('alpha', { unit: { read: 10, write: 10 } })
    const b = fake.add('bravo', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(
      conn,
      [
        { table: 'alpha', capacity: { write: 40 } },
        { table: 'bravo', capacity: { write: 40 } },
      ],
      { now, ledger },
    )
    b.unit.decreasesToday = 5
    b.unit.lastDecrease = new Date(fake.clock.getTime() - 45 * MIN)
    const err = await restoreThroughput(conn, ledger, { now }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CapacityRestoreError)
    expect((err as Error).message).toMatch(/capacity of bravo:/)
    expect((err as Error).message).not.toMatch(/alpha/)
    expect((err as CapacityRestoreError).retryAt).toBe(iso(fake.clock.getTime() + 15 * MIN))
    expect(a.unit.write).toBe(10)
    expect(b.unit.write).toBe(40)
    expect(onDisk(ledger).status).toBe('open')
  })

  it('withThroughput: the job fails and the restore is refused -> CapacityRestoreError carrying both, ledger open', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    const err = await withThroughput(
      conn,
      [{ table: 'orders', capacity: { read: 99 } }],
      async () => {
        t.unit.decreasesToday = 4
        t.unit.lastDecrease = new Date(fake.clock.getTime() - 1 * MIN)
        throw new Error('the migration broke')
      },
      { now, ledger },
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CapacityRestoreError)
    const e = err as CapacityRestoreError
    expect(e.message).toMatch(/^the migration broke\nAlso, DynamoDB refused to lower the capacity of orders/)
    expect((e.cause as Error).message).toBe('the migration broke')
    expect(e.retryAt).toBe(iso(fake.clock.getTime() + 59 * MIN))
    expect(e.command).toContain(`--ledger ${ledger}`)
    expect(onDisk(ledger).status).toBe('open')
  })
})

// ---------------------------------------------------------------- a restore that keeps trying

const serverError = () => Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } })
const tooManyUpdates = () =>
  new LimitExceededException({ message: 'Subscriber limit exceeded: Only 50 tables can be created, updated, or deleted simultaneously', $metadata: { httpStatusCode: 400 } })
const fast = { baseMs: 5, capMs: 20 }

describe("a restore keeps trying until capacity is back (stands for the real service's transient refusals)", () => {
  it('UpdateTable answered 500 InternalServerError several times in a row: the restore keeps trying, restores, closes the ledger', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50, write: 50 } }], { now, ledger })
    const raiseCalls = t.calls
    t.fault = (n) => (n <= raiseCalls + 4 ? { error: serverError() } : undefined)
    const events: ThroughputProgress[] = []
    const result = await restoreThroughput(conn, ledger, { now, backoff: fast, onProgress: (p) => events.push(p) })
    expect(t.unit).toMatchObject({ read: 10, write: 10 })
    expect(t.calls).toBe(raiseCalls + 5)
    expect(result.restored).toHaveLength(2)
    expect(onDisk(ledger).status).toBe('restored')
    const retries = events.filter((e) => e.stage === 'retrying')
    expect(retries.map((e) => e.retry?.attempt)).toEqual([1, 2, 3, 4])
    expect(retries[0].retry).toMatchObject({ during: 'restoring', error: 'InternalServerError', windowMs: 15 * MIN })
  })

  it('LimitExceededException for too many concurrent table updates (not the decrease quota) is waited out, then the restore goes on', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 } }], { now, ledger })
    const raiseCalls = t.calls
    t.fault = (n) => (n <= raiseCalls + 3 ? { error: tooManyUpdates() } : undefined)
    const result = await restoreThroughput(conn, ledger, { now, backoff: fast })
    expect(result.restored).toEqual([{ table: 'orders', dimension: 'read', mechanism: 'provisioned', from: 10, to: 50 }])
    expect(t.unit.read).toBe(10)
    expect(t.calls).toBe(raiseCalls + 4)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('ResourceInUseException while another update keeps the table UPDATING: waits for ACTIVE, then restores', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 }, indexes: { byUser: { read: 5, write: 5 } } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 }, indexes: { byUser: { read: 20 } } }], { now, ledger })
    const raiseCalls = t.calls
    const statuses: string[] = []
    // Someone's update starts between dynx's DescribeTable and its UpdateTable, and runs for a while.
    t.fault = (n) => {
      if (n === raiseCalls + 1) t.updatingUntil = Date.now() + 600
      return undefined
    }
    const result = await restoreThroughput(conn, ledger, { now, backoff: fast, onProgress: (p) => p.stage === 'waiting' && statuses.push(p.status ?? '') })
    expect(statuses).toContain('UPDATING')
    expect(statuses.at(-1)).toBe('ACTIVE')
    expect(t.unit.read).toBe(10)
    expect(t.indexes.byUser.read).toBe(5)
    expect(result.restored).toHaveLength(2)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('the decrease quota (LimitExceededException "decreases are limited") stops at once: one UpdateTable, no retry, retryAt given', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 } }], { now, ledger })
    t.unit.decreasesToday = 4
    t.unit.lastDecrease = new Date(fake.clock.getTime() - 10 * MIN)
    const before = t.calls
    const events: ThroughputProgress[] = []
    const err = await restoreThroughput(conn, ledger, { now, backoff: fast, onProgress: (p) => events.push(p) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CapacityRestoreError)
    expect((err as CapacityRestoreError).retryAt).toBe(iso(fake.clock.getTime() + 50 * MIN))
    expect(t.calls).toBe(before + 1)
    expect(events.some((e) => e.stage === 'retrying')).toBe(false)
    expect(onDisk(ledger).status).toBe('open')
  })

  it('500s past the restore timeout: CapacityRestoreError (exit 1) naming the ledger and the restore command; the ledger stays open', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 } }], { now, ledger, connection: { endpoint: 'http://127.0.0.1:1' } })
    const raiseCalls = t.calls
    t.fault = () => ({ error: serverError() })
    const err = await restoreThroughput(conn, ledger, { now, backoff: fast, restoreTimeoutMs: 300 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CapacityRestoreError)
    const e = err as CapacityRestoreError
    expect(e.exitCode).toBe(1)
    expect(e.ledger).toBe(ledger)
    expect(e.message).toMatch(/^Restoring orders failed \(dynx kept trying for up to 300ms\): Internal server error/)
    expect(e.hint).toContain(`dynx throughput restore --ledger ${ledger} --endpoint http://127.0.0.1:1`)
    expect(t.calls - raiseCalls).toBeGreaterThan(2)
    expect(t.unit.read).toBe(50)
    expect(onDisk(ledger).status).toBe('open')
    // Once DynamoDB answers again, the command it gave finishes the job.
    t.fault = undefined
    await restoreThroughput(conn, ledger, { now })
    expect(t.unit.read).toBe(10)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it("withThroughput: after the job, a restore through 500s still puts capacity back (the job's result is returned)", async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    const out = await withThroughput(
      conn,
      [{ table: 'orders', capacity: { write: 80 } }],
      async () => {
        const from = t.calls
        t.fault = (n) => (n <= from + 3 ? { error: serverError() } : undefined)
        return 'done'
      },
      { now, ledger, backoff: fast },
    )
    expect(out.result).toBe('done')
    expect(out.restore?.restored).toHaveLength(1)
    expect(t.unit.write).toBe(10)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('UpdateTable applied, the connection reset, the SDK\'s retry got "will not change" (ValidationException): counted as restored', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 } }], { now, ledger })
    const restoreCall = t.calls + 1
    const unchanged = Object.assign(
      validation(
        'The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: 10. Requested ReadCapacityUnits: 10.',
      ),
      { $metadata: { httpStatusCode: 400, attempts: 2 } },
    )
    t.fault = (n) => (n === restoreCall ? { error: unchanged, after: true } : undefined)
    const result = await restoreThroughput(conn, ledger, { now, backoff: fast })
    expect(t.calls).toBe(restoreCall)
    expect(result.restored).toHaveLength(1)
    expect(t.unit.read).toBe(10)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it("restore: the first try's answer was lost after it was applied (ECONNRESET), the next try finds it back: restored, one decrease", async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 } }], { now, ledger })
    const restoreCall = t.calls + 1
    t.fault = (n) => (n === restoreCall ? { error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), after: true } : undefined)
    const result = await restoreThroughput(conn, ledger, { now, backoff: fast })
    expect(result.restored).toHaveLength(1)
    expect(result.unchanged).toEqual([])
    expect(t.calls).toBe(restoreCall)
    expect(t.unit.decreasesToday).toBe(1)
  })

  it('restore: the table is ACTIVE again but reads the raised values (a late second end of the raise): the restore sends again, never reports it restored', async () => {
    // Stands for an engine that applied the raise twice (its SDK retry after a reset landed while
    // UPDATING, as dynalite accepts) and whose second end comes after the restore's update: the
    // first DescribeTable after the restore's UpdateTable reads ACTIVE at the raised values.
    const { conn, fake, ddbMock, now } = aws()
    const t = fake.add('orders', { unit: { read: 5, write: 4 }, indexes: { byEmail: { read: 3, write: 2 } } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50, write: 50 }, allIndexes: { read: 20, write: 20 } }], { now, ledger })
    const restoreCall = t.calls + 1
    let lateEnd = false
    t.fault = (n) => {
      if (n === restoreCall) lateEnd = true
      return undefined
    }
    ddbMock.on(DescribeTableCommand).callsFake((input: DescribeTableCommandInput) => {
      if (lateEnd) {
        lateEnd = false
        Object.assign(t.unit, { read: 50, write: 50 })
        Object.assign(t.indexes.byEmail, { read: 20, write: 20 })
      }
      return { Table: fake.describe(input.TableName!) }
    })
    const events: ThroughputProgress[] = []
    const result = await restoreThroughput(conn, ledger, { now, backoff: fast, onProgress: (p) => events.push(p) })
    expect(t.unit).toMatchObject({ read: 5, write: 4 })
    expect(t.indexes.byEmail).toMatchObject({ read: 3, write: 2 })
    expect(t.calls).toBe(restoreCall + 1)
    expect(result.restored).toHaveLength(4)
    expect(events.filter((e) => e.stage === 'retrying').map((e) => [e.retry?.during, e.retry?.error])).toEqual([['restoring', 'CapacityNotSetError']])
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('raise: an update applied whose retry met ResourceInUseException (the table UPDATING from it) goes on instead of rolling back', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('orders', { unit: { read: 10, write: 10 } })
    const ledger = join(tempDir(), 'l.json')
    t.fault = (n) => {
      if (n !== 1) return undefined
      return {
        error: Object.assign(new Error('Attempt to change a resource which is still in use: Table is being updated: orders'), {
          name: 'ResourceInUseException',
          $metadata: { httpStatusCode: 400, attempts: 2 },
        }),
        after: true,
        updatingMs: 300,
      }
    }
    const bump = await bumpThroughput(conn, [{ table: 'orders', capacity: { read: 50 } }], { now, ledger, backoff: fast })
    expect(bump.changes).toHaveLength(1)
    expect(t.unit.read).toBe(50)
    expect(t.calls).toBe(1)
    expect(onDisk(ledger).status).toBe('open')
  })
})

// ---------------------------------------------------------------- on-demand maximums

describe('on-demand maximums (stands for OnDemandThroughput, which no local engine keeps)', () => {
  it('raises MaxRead/MaxWriteRequestUnits with UpdateTable OnDemandThroughput and puts the originals back', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('events', { billing: 'PAY_PER_REQUEST', unit: { read: 0, write: 0, maxRead: 100, maxWrite: 50 }, indexes: { byType: { read: 0, write: 0, maxRead: 20 } } })
    const ledger = join(tempDir(), 'l.json')
    const bump = await bumpThroughput(conn, [{ table: 'events', capacity: { read: 500, write: 40 }, indexes: { byType: { read: 200 } } }], { now, ledger })
    expect(bump.changes).toEqual([
      { table: 'events', dimension: 'read', mechanism: 'on-demand', from: 100, to: 500 },
      { table: 'events', index: 'byType', dimension: 'read', mechanism: 'on-demand', from: 20, to: 200 },
    ])
    expect(bump.skipped).toEqual([{ table: 'events', dimension: 'write', reason: 'on-demand maximum is already 50' }])
    expect(bump.stuck).toEqual([])
    expect(fake.updates).toEqual([
      {
        TableName: 'events',
        OnDemandThroughput: { MaxReadRequestUnits: 500 },
        GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'byType', OnDemandThroughput: { MaxReadRequestUnits: 200 } } }],
      },
    ])
    expect(t.unit).toMatchObject({ maxRead: 500, maxWrite: 50 })

    await restoreThroughput(conn, ledger, { now })
    expect(fake.updates[1]).toEqual({
      TableName: 'events',
      OnDemandThroughput: { MaxReadRequestUnits: 100 },
      GlobalSecondaryIndexUpdates: [{ Update: { IndexName: 'byType', OnDemandThroughput: { MaxReadRequestUnits: 20 } } }],
    })
    expect(t.unit).toMatchObject({ maxRead: 100, maxWrite: 50 })
    expect(t.indexes.byType.maxRead).toBe(20)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('without a maximum set there is nothing to raise: skipped with a reason, no ledger, no UpdateTable', async () => {
    const { conn, fake, now } = aws()
    fake.add('events', { billing: 'PAY_PER_REQUEST', unit: { read: 0, write: 0 } })
    const result = await bumpThroughput(conn, [{ table: 'events', capacity: { read: 500, write: 500 } }], { now })
    expect(result).toEqual({
      changes: [],
      skipped: [
        { table: 'events', dimension: 'read', reason: 'on-demand with no maximum set: it needs nothing' },
        { table: 'events', dimension: 'write', reason: 'on-demand with no maximum set: it needs nothing' },
      ],
      stuck: [],
      dryRun: false,
    })
    expect(fake.updates).toEqual([])
    expect(ledgerFiles()).toEqual([])
  })
})

// ---------------------------------------------------------------- failures while raising

describe('a raise that fails part way (stands for DynamoDB refusing one of several UpdateTable calls)', () => {
  it('puts back what the earlier calls raised, rethrows the error, and closes the ledger', async () => {
    const { conn, fake, now } = aws()
    // Six GSIs: DynamoDB takes at most five GSI updates per call, so the raise needs two calls.
    const indexes = Object.fromEntries(['ix1', 'ix2', 'ix3', 'ix4', 'ix5', 'ix6'].map((n) => [n, { read: 5, write: 5 }]))
    const t = fake.add('wide', {
      unit: { read: 10, write: 10 },
      indexes,
      failCall: { n: 2, error: validation('One or more parameter values were invalid: the requested read capacity of index ix6 exceeds the account limit') },
    })
    const ledger = join(tempDir(), 'l.json')
    const err = await bumpThroughput(conn, [{ table: 'wide', capacity: { read: 50 }, allIndexes: { read: 50 } }], { now, ledger }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('ValidationException')
    expect(fake.updates[0].GlobalSecondaryIndexUpdates).toHaveLength(5)
    expect(fake.updates[1].GlobalSecondaryIndexUpdates?.map((u) => u.Update?.IndexName)).toEqual(['ix6'])
    expect(t.unit.read).toBe(10)
    for (const u of Object.values(t.indexes)) expect(u.read).toBe(5)
    expect(onDisk(ledger).status).toBe('restored')
  })

  // Regression: Promise.all rejected on the first failed table while tables queued behind the
  // concurrency limit still started, raised after the rollback had looked at them.
  it('no table is left raised behind a "restored" ledger when another table of the bump fails', async () => {
    const { conn, fake, now } = aws()
    const names = ['t1', 't2', 't3', 't4', 't5', 't6']
    for (const n of names) fake.add(n, { unit: { read: 10, write: 10 }, raiseLatencyMs: n === 't1' || n === 't6' ? 0 : 400 })
    fake.tables.get('t1')!.failCall = { n: 1, error: validation('The requested throughput value exceeds the maximum allowed') }
    const ledger = join(tempDir(), 'l.json')
    const err = await bumpThroughput(
      conn,
      names.map((table) => ({ table, capacity: { read: 20 } })),
      { now, ledger },
    ).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/exceeds the maximum allowed/)
    // Let anything still in flight finish.
    await sleep(1_500)
    const raised = names.filter((n) => fake.tables.get(n)!.unit.read !== 10)
    const status = onDisk(ledger).status
    expect({ raised, status }).toEqual({ raised: [], status: 'restored' })
  })
})

// ---------------------------------------------------------------- ledger paths, dry runs, deleted tables

describe('bump and restore edges (faked DynamoDB)', () => {
  it('a dry run works out the changes and writes nothing', async () => {
    const { conn, fake, now } = aws()
    fake.add('users', { unit: { read: 1, write: 1 } })
    const result = await bumpThroughput(conn, [{ table: 'users', capacity: { read: 5 } }], { now, dryRun: true })
    expect(result).toEqual({ changes: [{ table: 'users', dimension: 'read', mechanism: 'provisioned', from: 1, to: 5 }], skipped: [], stuck: [], dryRun: true })
    expect(fake.updates).toEqual([])
    expect(ledgerFiles()).toEqual([])
  })

  it('the default ledger goes to DYNX_HOME/ledgers and records the connection and the job', async () => {
    const { conn, fake, now } = aws()
    fake.add('users', { unit: { read: 1, write: 1 } })
    const result = await bumpThroughput(conn, [{ table: 'users', capacity: { read: 5 } }], { now, connection: { local: true }, command: ['dynx', 'copy', 'a', 'b'] })
    expect(dirname(result.ledger!)).toBe(ledgerDir())
    expect(basename(result.ledger!)).toMatch(/^20260310T120000Z-users-[0-9a-f]{6}\.json$/)
    expect(result.restoreCommand).toBe(`dynx throughput restore --ledger ${result.ledger} --local`)
    const ledger = await readLedger(result.ledger!)
    expect(ledger).toMatchObject({ status: 'open', connection: { local: true }, command: ['dynx', 'copy', 'a', 'b'], pid: process.pid })
    expect(ledger.original[0]).toMatchObject({ table: 'users', read: 1, write: 1 })
  })

  it('will not overwrite an open ledger or a file that is not a ledger (nothing changed)', async () => {
    const { conn, fake, now } = aws()
    fake.add('users', { unit: { read: 1, write: 1 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 5 } }], { now, ledger })
    const updates = fake.updates.length
    await expect(bumpThroughput(conn, [{ table: 'users', capacity: { read: 9 } }], { now, ledger })).rejects.toThrow(/holds an open ledger/)
    const other = join(tempDir(), 'notes.json')
    writeFileSync(other, '{"mine": true}')
    await expect(bumpThroughput(conn, [{ table: 'users', capacity: { read: 9 } }], { now, ledger: other })).rejects.toThrow(/already exists and is not a dynx ledger/)
    expect(fake.updates).toHaveLength(updates)
    expect(readFileSync(other, 'utf8')).toBe('{"mine": true}')
  })

  it('a table deleted since the bump is reported as missing; the rest is restored and the ledger closed', async () => {
    const { conn, fake, now } = aws()
    const keep = fake.add('keep', { unit: { read: 1, write: 1 } })
    fake.add('gone', { unit: { read: 1, write: 1 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(
      conn,
      [
        { table: 'keep', capacity: { read: 5 } },
        { table: 'gone', capacity: { read: 5 } },
      ],
      { now, ledger },
    )
    fake.tables.delete('gone')
    const result = await restoreThroughput(conn, ledger, { now })
    expect(result.missingTables).toEqual(['gone'])
    expect(result.restored.map((c) => c.table)).toEqual(['keep'])
    expect(keep.unit.read).toBe(1)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('none of the tables found (the wrong region, endpoint or local store): exit 2 and the ledger stays open', async () => {
    const { conn, fake, now } = aws()
    fake.add('users', { unit: { read: 1, write: 1 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 5 } }], { now, ledger, connection: { region: 'eu-west-1' } })
    fake.tables.delete('users')
    const err = await restoreThroughput(conn, ledger, { now }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as UserInputError).exitCode).toBe(2)
    expect((err as Error).message).toContain("None of the ledger's tables (users) exist")
    expect((err as UserInputError).hint).toContain('--region eu-west-1')
    expect(onDisk(ledger).status).toBe('open')
  })

  it('a value changed by hand since the bump is left alone and reported; the rest is restored', async () => {
    const { conn, fake, now } = aws()
    const users = fake.add('users', { unit: { read: 5, write: 5 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 50, write: 40 } }], { now, ledger })
    users.unit.read = 1000 // an operator raised it for an incident
    const result = await restoreThroughput(conn, ledger, { now })
    expect(result.changedSince).toMatchObject([{ table: 'users', dimension: 'read', from: 5, to: 50, current: 1000 }])
    expect(result.restored.map((c) => c.dimension)).toEqual(['write'])
    expect([users.unit.read, users.unit.write]).toEqual([1000, 5])
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('overlapping bumps: the first restored hands its original to the later ledger, which then restores to it', async () => {
    const { conn, fake, now } = aws()
    const users = fake.add('users', { unit: { read: 5, write: 5 } })
    const dir = tempDir()
    const first = join(dir, 'a.json')
    const second = join(dir, 'b.json')
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 100 } }], { now, ledger: first })
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 200 } }], { now, ledger: second })
    expect((JSON.parse(readFileSync(second, 'utf8')) as { changes: unknown[] }).changes).toMatchObject([{ from: 100, to: 200 }])
    // The first job ends while the second still runs: its capacity must stay.
    const a = await restoreThroughput(conn, first, { now })
    expect(a.changedSince).toMatchObject([{ from: 5, to: 100, current: 200, handedTo: second }])
    expect(users.unit.read).toBe(200)
    expect((JSON.parse(readFileSync(second, 'utf8')) as { changes: unknown[] }).changes).toMatchObject([{ from: 5, to: 200 }])
    await restoreThroughput(conn, second, { now })
    expect(users.unit.read).toBe(5)
  })

  it('a table of the same name but another TableId (another region or account, or re-created) is refused: exit 2, nothing changed, ledger open', async () => {
    const { conn, fake, now } = aws()
    const users = fake.add('users', { unit: { read: 5, write: 5 }, tableId: 'id-original' })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 50 } }], { now, ledger })
    users.tableId = 'id-other'
    const updates = fake.updates.length
    const err = await restoreThroughput(conn, ledger, { now }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as Error).message).toContain('is not the table the bump changed')
    expect(fake.updates).toHaveLength(updates)
    expect(users.unit.read).toBe(50)
    expect(onDisk(ledger).status).toBe('open')
  })

  it('one table failing to restore (not the quota) does not stop the others; the ledger stays open', async () => {
    const { conn, fake, now } = aws()
    const ok = fake.add('ok', { unit: { read: 1, write: 1 } })
    const bad = fake.add('bad', { unit: { read: 1, write: 1 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(
      conn,
      [
        { table: 'bad', capacity: { read: 5 } },
        { table: 'ok', capacity: { read: 5 } },
      ],
      { now, ledger },
    )
    bad.failCall = { n: bad.calls + 1, error: validation('Table is being restored') }
    const err = await restoreThroughput(conn, ledger, { now }).catch((e: unknown) => e)
    expect((err as Error).message).toContain('Restoring bad failed')
    expect(ok.unit.read).toBe(1)
    expect(onDisk(ledger).status).toBe('open')
    // Once the cause is gone, the same command finishes the job.
    await restoreThroughput(conn, ledger, { now })
    expect(bad.unit.read).toBe(1)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('values already back (put back by hand) count as unchanged and need no call', async () => {
    const { conn, fake, now } = aws()
    const t = fake.add('users', { unit: { read: 1, write: 1 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 5 } }], { now, ledger })
    t.unit.read = 1
    const before = fake.updates.length
    const result = await restoreThroughput(conn, ledger, { now })
    expect(result.unchanged).toHaveLength(1)
    expect(result.restored).toEqual([])
    expect(fake.updates).toHaveLength(before)
    expect(onDisk(ledger).status).toBe('restored')
  })

  it('on AWS, auto-scaling settings that cannot be read are an error naming the permissions (stands for AccessDeniedException)', async () => {
    const conn = connect('https://dynamodb.eu-west-1.amazonaws.com')
    const ddb = mockClient(conn.dynamodb)
    const aas = mockClient(conn.autoscaling)
    cleanup.push(() => {
      ddb.restore()
      aas.restore()
      conn.destroy()
    })
    new FakeDynamo(ddb, NOW).add('users', { unit: { read: 1, write: 1 } })
    aas.on(DescribeScalableTargetsCommand).rejects(
      Object.assign(new Error('User: arn:aws:iam::1:user/x is not authorized to perform: application-autoscaling:DescribeScalableTargets'), {
        name: 'AccessDeniedException',
        $metadata: {},
      }),
    )
    const err = await bumpThroughput(conn, [{ table: 'users', capacity: { read: 5 } }]).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/Could not read the auto-scaling settings of these tables: .*not authorized/)
    expect((err as { hint?: string }).hint).toMatch(/DescribeScalableTargets/)
    expect(ledgerFiles()).toEqual([])
  })
})

// ---------------------------------------------------------------- planBump

function status(d: TableDescription, targets: ScalingTarget[] = []) {
  return tableThroughput(d, new Map(targets.map((t) => [`${t.resourceId}|${t.scalableDimension}`, t])), true, NOW)
}
const provisioned = (name: string, read: number, write: number, indexes: Array<[string, number, number]> = []): TableDescription => ({
  TableName: name,
  TableStatus: 'ACTIVE',
  ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: write, NumberOfDecreasesToday: 0 },
  GlobalSecondaryIndexes: indexes.map(([IndexName, r, w]) => ({
    IndexName,
    IndexStatus: 'ACTIVE',
    ProvisionedThroughput: { ReadCapacityUnits: r, WriteCapacityUnits: w, NumberOfDecreasesToday: 0 },
  })),
})

describe('planBump', () => {
  it('skips a value already as high or higher, raises only what is lower', () => {
    const s = status(provisioned('users', 100, 10, [['byEmail', 5, 50]]))
    const plan = planBump([s], [{ table: 'users', capacity: { read: 50, write: 20 }, indexes: { byEmail: { read: 5, write: 60 } } }])
    expect(plan.changes).toEqual([
      { table: 'users', dimension: 'write', mechanism: 'provisioned', from: 10, to: 20 },
      { table: 'users', index: 'byEmail', dimension: 'write', mechanism: 'provisioned', from: 50, to: 60 },
    ])
    expect(plan.skipped).toEqual([
      { table: 'users', dimension: 'read', reason: 'already 100' },
      { table: 'users', index: 'byEmail', dimension: 'read', reason: 'already 5' },
    ])
    expect(plan.stuck).toEqual([])
  })

  it('an index the table does not have is a UserInputError naming the ones it has', () => {
    const s = status(
      provisioned('users', 1, 1, [
        ['byEmail', 1, 1],
        ['byName', 1, 1],
      ]),
    )
    let err: unknown
    try {
      planBump([s], [{ table: 'users', indexes: { byMail: { read: 5 } } }])
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as UserInputError).exitCode).toBe(2)
    expect((err as Error).message).toBe('Table users has no global secondary index "byMail" (it has byEmail, byName).')
    expect(() => planBump([status(provisioned('plain', 1, 1))], [{ table: 'plain', indexes: { byMail: { read: 5 } } }])).toThrow(/\(it has none\)/)
  })

  it('a table missing from the statuses is a TableNotFoundError', () => {
    expect(() => planBump([], [{ table: 'ghost', capacity: { read: 5 } }])).toThrow(TableNotFoundError)
  })

  it('allIndexes reaches every GSI; a value named for one index wins over it, dimension by dimension', () => {
    const s = status(
      provisioned('users', 1, 1, [
        ['byEmail', 1, 1],
        ['byName', 1, 1],
        ['byAge', 1, 1],
      ]),
    )
    const plan = planBump([s], [{ table: 'users', indexes: { byName: { write: 7 } }, allIndexes: { read: 9 } }])
    expect(plan.changes.map((c) => `${c.index}:${c.dimension}:${c.to}`)).toEqual(['byEmail:read:9', 'byName:read:9', 'byName:write:7', 'byAge:read:9'])
  })

  it('an auto-scaled dimension raises the scaler minimum (and the maximum when it is lower) instead of the provisioned value', () => {
    const s = status(provisioned('users', 5, 5, [['byEmail', 2, 2]]), [
      { resourceId: 'table/users', scalableDimension: 'dynamodb:table:ReadCapacityUnits', min: 5, max: 100, targetUtilization: 70 },
      { resourceId: 'table/users/index/byEmail', scalableDimension: 'dynamodb:index:WriteCapacityUnits', min: 2, max: 10 },
    ])
    expect(s.autoScaling.read).toMatchObject({ min: 5, max: 100, targetUtilization: 70 })
    const plan = planBump([s], [{ table: 'users', capacity: { read: 50, write: 8 }, indexes: { byEmail: { write: 40 } } }])
    expect(plan.changes).toEqual([
      { table: 'users', dimension: 'read', mechanism: 'auto-scaling', from: 5, to: 50, fromMax: 100, toMax: 100 },
      { table: 'users', dimension: 'write', mechanism: 'provisioned', from: 5, to: 8 },
      { table: 'users', index: 'byEmail', dimension: 'write', mechanism: 'auto-scaling', from: 2, to: 40, fromMax: 10, toMax: 40 },
    ])
    const again = planBump([s], [{ table: 'users', capacity: { read: 5 } }])
    expect(again.skipped).toEqual([{ table: 'users', dimension: 'read', reason: 'auto-scaling minimum is already 5' }])
  })

  it('an auto-scaled dimension is not stuck by the decrease quota (only provisioned decreases are)', () => {
    const d = provisioned('users', 5, 5)
    d.ProvisionedThroughput = { ...d.ProvisionedThroughput, NumberOfDecreasesToday: 4, LastDecreaseDateTime: new Date(NOW.getTime() - MIN) }
    const s = status(d, [{ resourceId: 'table/users', scalableDimension: 'dynamodb:table:ReadCapacityUnits', min: 5, max: 100 }])
    expect(planBump([s], [{ table: 'users', capacity: { read: 50 } }]).stuck).toEqual([])
    expect(planBump([s], [{ table: 'users', capacity: { write: 50 } }]).stuck).toEqual([
      { table: 'users', decreasesToday: 4, lastDecreaseAt: iso(NOW.getTime() - MIN), allowedAt: iso(NOW.getTime() + 59 * MIN) },
    ])
  })
})

describe('auto-scaled bump through the faked Application Auto Scaling (stands for RegisterScalableTarget on AWS)', () => {
  it('registers a higher MinCapacity (and MaxCapacity) and sends no UpdateTable for that dimension; restore registers the originals', async () => {
    const { conn, fake, now, aasMock } = aws(at('2026-03-10T12:00:00Z'), [{ resourceId: 'table/users', scalableDimension: 'dynamodb:table:ReadCapacityUnits', min: 5, max: 20 }])
    fake.add('users', { unit: { read: 5, write: 5 } })
    const ledger = join(tempDir(), 'l.json')
    await bumpThroughput(conn, [{ table: 'users', capacity: { read: 50 } }], { now, ledger })
    expect(fake.updates).toEqual([])
    await restoreThroughput(conn, ledger, { now })
    expect(aasMock.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceNamespace: 'dynamodb', ResourceId: 'table/users', ScalableDimension: 'dynamodb:table:ReadCapacityUnits', MinCapacity: 50, MaxCapacity: 50 },
      { ServiceNamespace: 'dynamodb', ResourceId: 'table/users', ScalableDimension: 'dynamodb:table:ReadCapacityUnits', MinCapacity: 5, MaxCapacity: 20 },
    ])
    expect(onDisk(ledger).status).toBe('restored')
    // A second restore of the same values (ledger reopened by hand) finds them back and registers nothing.
    writeFileSync(ledger, JSON.stringify({ ...onDisk(ledger), status: 'open' }))
    const again = await restoreThroughput(conn, ledger, { now })
    expect(again.unchanged.map((c) => c.mechanism)).toEqual(['auto-scaling'])
    expect(aasMock.commandCalls(RegisterScalableTargetCommand)).toHaveLength(2)
  })
})

// ---------------------------------------------------------------- plan files and flags

describe('throughput plans', () => {
  const write = (name: string, text: string) => {
    const file = join(tempDir('dynx-plan-'), name)
    writeFileSync(file, text)
    return file
  }
  const rejection = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as UserInputError).exitCode).toBe(2)
    return (err as Error).message
  }

  it('reads a JSON plan: "table" is the table itself, other keys are GSIs; the prefix goes on table names', async () => {
    const file = write('plan.json', JSON.stringify({ users: { table: { read: 500 }, byEmail: { read: 100, write: 20 } }, orders: { table: { write: 50 } } }))
    expect(await loadThroughputPlan(file, 'dev_')).toEqual([
      { table: 'dev_users', capacity: { read: 500 }, indexes: { byEmail: { read: 100, write: 20 } } },
      { table: 'dev_orders', capacity: { write: 50 } },
    ])
  })

  it('reads a YAML plan', async () => {
    const file = write('plan.yaml', 'users:\n  table:\n    read: 500\n    write: 10\n  byEmail:\n    read: 100\n')
    expect(await loadThroughputPlan(file)).toEqual([{ table: 'users', capacity: { read: 500, write: 10 }, indexes: { byEmail: { read: 100 } } }])
  })

  it('rejects read: 0, read: "x" and an unknown key inside a unit, naming where', async () => {
    expect(await rejection(loadThroughputPlan(write('p.json', '{"users": {"table": {"read": 0}}}')))).toMatch(
      /is not a valid throughput plan:\n {2}users\.table\.read: .*(>0|too small)/i,
    )
    expect(await rejection(loadThroughputPlan(write('p.json', '{"users": {"table": {"read": "x"}}}')))).toMatch(/users\.table\.read: .*expected number/i)
    expect(await rejection(loadThroughputPlan(write('p.yaml', 'users:\n  byEmail:\n    reads: 5\n')))).toMatch(/users\.byEmail\.reads: unknown field/)
    expect(await rejection(loadThroughputPlan(write('p.json', '{"users": {"table": {"read": 1.5}}}')))).toMatch(/users\.table\.read: .*int/i)
  })

  it('rejects a file that does not parse, a missing file, and a plan with nothing to raise', async () => {
    expect(await rejection(loadThroughputPlan(write('p.json', '{"users": ')))).toMatch(/not valid JSON/)
    expect(await rejection(loadThroughputPlan(join(tempDir(), 'missing.json')))).toMatch(/Cannot read plan file .*ENOENT/)
    expect(await rejection(loadThroughputPlan(write('p.json', '{}')))).toMatch(/No tables in/)
    expect(await rejection(loadThroughputPlan(write('p.json', '{"users": {}}')))).toMatch(/Nothing to raise for table "users"/)
  })

  it('builds the same request per table from flags', () => {
    expect(throughputPlanFromFlags({ tables: ['a', 'b'], read: 10, indexes: [{ name: 'byX', write: 3 }], allIndexes: { read: 4 } })).toEqual([
      { table: 'a', capacity: { read: 10 }, indexes: { byX: { write: 3 } }, allIndexes: { read: 4 } },
      { table: 'b', capacity: { read: 10 }, indexes: { byX: { write: 3 } }, allIndexes: { read: 4 } },
    ])
  })

  it('flags: 0, negative and fractional capacities, a table twice, and nothing to raise are UserInputErrors', () => {
    const fails = (flags: Parameters<typeof throughputPlanFromFlags>[0]) => {
      try {
        throughputPlanFromFlags(flags)
      } catch (e) {
        expect(e).toBeInstanceOf(UserInputError)
        return (e as Error).message
      }
      throw new Error('no error')
    }
    expect(fails({ tables: ['a'], read: 0 })).toBe('The read capacity for table a is 0; it must be a whole number of at least 1.')
    expect(fails({ tables: ['a'], write: -5 })).toBe('The write capacity for table a is -5; it must be a whole number of at least 1.')
    expect(fails({ tables: ['a'], read: 2.5 })).toMatch(/is 2\.5; it must be a whole number/)
    expect(fails({ tables: ['a'], indexes: [{ name: 'byX', read: 0 }] })).toMatch(/read capacity for index byX of a is 0/)
    expect(fails({ tables: ['a'] })).toBe('Nothing to raise for table "a" in the command line.')
    expect(fails({ tables: ['a'], indexes: [{ name: 'byX' }] })).toMatch(/Nothing to raise/)
    expect(fails({ tables: ['a', 'a'], read: 5 })).toMatch(/appears twice/)
    expect(fails({ tables: [], read: 5 })).toMatch(/No tables/)
  })
})

// ---------------------------------------------------------------- ledger files

describe('ledger files', () => {
  const rejection = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as UserInputError).exitCode).toBe(2)
    return (err as Error).message
  }

  it('readLedger refuses a JSON file that is not a ledger, garbage, a bad change and a missing file', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'other.json'), '{"tables": []}')
    writeFileSync(join(dir, 'junk.json'), '\u0000not json at all')
    const bad = newLedger([{ table: 't', dimension: 'read', mechanism: 'provisioned', from: 1, to: 0 }], [], {})
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad))
    expect(await rejection(readLedger(join(dir, 'other.json')))).toMatch(/other\.json is not a dynx throughput ledger \(it has no "kind": "dynx-throughput-ledger"\)/)
    expect(await rejection(readLedger(join(dir, 'junk.json')))).toMatch(/junk\.json is not a dynx throughput ledger \(it is not JSON\)/)
    expect(await rejection(readLedger(join(dir, 'bad.json')))).toMatch(/bad\.json is not a dynx throughput ledger \(changes\.0\.to: /)
    expect(await rejection(readLedger(join(dir, 'nope.json')))).toMatch(/Cannot read ledger .*nope\.json: ENOENT/)
    expect(await rejection(restoreThroughput(connect('http://127.0.0.1:1'), join(dir, 'other.json')))).toMatch(/not a dynx throughput ledger/)
  })

  it('writeLedger/readLedger round-trip; findOpenLedgers lists open ledgers of a table, newest first', async () => {
    const dir = tempDir()
    const change = (table: string) => ({ table, dimension: 'read' as const, mechanism: 'provisioned' as const, from: 1, to: 2 })
    const older = { ...newLedger([change('users')], [], { local: true }), createdAt: '2026-03-10T10:00:00.000Z' }
    const newer = { ...newLedger([change('users'), change('orders')], [], {}, ['dynx', 'copy']), createdAt: '2026-03-10T11:00:00.000Z' }
    const closed = { ...newLedger([change('users')], [], {}), status: 'restored' as const }
    await writeLedger(join(dir, 'a.json'), older)
    await writeLedger(join(dir, 'b.json'), newer)
    await writeLedger(join(dir, 'c.json'), closed)
    writeFileSync(join(dir, 'not-a-ledger.json'), '[]')
    expect(await readLedger(join(dir, 'b.json'))).toEqual(newer)
    expect((await findOpenLedgers('users', dir)).map((l) => l.path)).toEqual([join(dir, 'b.json'), join(dir, 'a.json')])
    expect((await findOpenLedgers('orders', dir)).map((l) => l.path)).toEqual([join(dir, 'b.json')])
    expect(await findOpenLedgers('ghost', dir)).toEqual([])
    expect(await findOpenLedgers(undefined, join(dir, 'missing'))).toEqual([])
    // No temp files are left behind.
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.json', 'c.json', 'not-a-ledger.json'])
  })

  it('restoreCommand quotes what the shell would split and names the connection', () => {
    expect(restoreCommand('/tmp/l.json', { local: true, endpoint: 'http://x' })).toBe('dynx throughput restore --ledger /tmp/l.json --local')
    expect(restoreCommand("/tmp/my ledgers/it's.json", { endpoint: 'http://127.0.0.1:8000', region: 'eu-west-1', profile: 'ops' })).toBe(
      "dynx throughput restore --ledger '/tmp/my ledgers/it'\\''s.json' --endpoint http://127.0.0.1:8000 --region eu-west-1 --profile ops",
    )
    // A --local store other than the default is named, so the restore opens the same one.
    expect(restoreCommand('/tmp/l.json', { local: true, localPath: '/tmp/other store' })).toBe(
      "DYNX_LOCAL_PATH='/tmp/other store' dynx throughput restore --ledger /tmp/l.json --local",
    )
    expect(restoreCommand('/tmp/l.json', { local: true, localPath: defaultLocalPath() })).toBe('dynx throughput restore --ledger /tmp/l.json --local')
  })
})
