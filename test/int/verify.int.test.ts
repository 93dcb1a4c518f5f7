import { BatchWriteItemCommand, DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { Connection } from '../../src/connection/clients.js'
import type { Item } from '../../src/data/values.js'
import { SchemaMismatchError, TableNotFoundError, UserInputError } from '../../src/errors.js'
import { createTable } from '../../src/tables/create.js'
import type { TableSpec } from '../../src/tables/spec.js'
import { verifyTables, type VerifyProgress } from '../../src/verify/verify.js'
import { engineList } from '../setup/engines.js'
import { connect, uniqueName } from '../helpers.js'
import { allItems, seedScanTable } from '../scan-fixtures.js'

const BULK = 2000
// moto answers Scan but is not a data-plane reference; the issue asks for these two engines.
const ENGINES = engineList().filter(([name]) => name === 'dynalite' || name === 'dynamodb-local')
const endpointOf = (name: string) => ENGINES.find(([n]) => n === name)![1]

const PK_ONLY: Omit<TableSpec, 'name'> = { hashKey: { name: 'pk', type: 'S' } }

/** A plain BatchWriteItem loop (25 at a time, unprocessed items sent again). */
async function writeAll(conn: Connection, table: string, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }))
    while (requests.length) {
      const out = await conn.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: requests } }))
      requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests
    }
  }
}

/** A second table with the same key, holding a copy of every item of `from`. */
async function copyOf(fromConn: Connection, from: string, toConn: Connection, to: string): Promise<Item[]> {
  await createTable(toConn, { name: to, ...PK_ONLY }, { wait: true })
  const items = await allItems(fromConn, from)
  await writeAll(toConn, to, items)
  return items
}

describe.each(ENGINES)('verify on %s', (_engine, endpoint) => {
  const conn = connect(endpoint)
  const source = uniqueName('vsrc')
  const target = uniqueName('vdst')

  beforeAll(async () => {
    await seedScanTable(conn, source, BULK)
    await copyOf(conn, source, conn, target)
  })
  afterAll(() => conn.destroy())

  it('finds a faithful copy equal: counts, checksums, 38-digit numbers, sets, binary, nesting', async () => {
    const phases = new Set<string>()
    const result = await verifyTables(conn, source, conn, target, { onProgress: (p) => phases.add(p.phase) })
    const total = BULK + 4
    expect(result).toMatchObject({ equal: true, complete: true, segments: 4, differences: { missing: 0, extra: 0, changed: 0 }, diffs: [], truncated: false })
    expect(result.source).toMatchObject({ table: source, items: total })
    expect(result.target).toMatchObject({ table: target, items: total })
    expect(result.source.checksum).toMatch(/^[0-9a-f]{32}$/)
    expect(result.target.checksum).toBe(result.source.checksum)
    expect([...phases]).toEqual(['checksum'])
  })

  it('is not fooled by number spelling or set order in what was written', async () => {
    const other = uniqueName('vspell')
    await createTable(conn, { name: other, ...PK_ONLY }, { wait: true })
    await writeAll(conn, other, [{ pk: { S: 'a' }, n: { N: '1.50' }, ns: { NS: ['10', '2.0'] }, ss: { SS: ['b', 'a'] } }])
    const again = uniqueName('vspell')
    await createTable(conn, { name: again, ...PK_ONLY }, { wait: true })
    await writeAll(conn, again, [{ pk: { S: 'a' }, n: { N: '15e-1' }, ns: { NS: ['2', '1e1'] }, ss: { SS: ['a', 'b'] } }])
    expect((await verifyTables(conn, other, conn, again, { segments: 2 })).equal).toBe(true)
  })

  it('names the missing, changed and extra keys; counts every difference', async () => {
    const changed = uniqueName('vdiff')
    await copyOf(conn, source, conn, changed)
    await conn.dynamodb.send(new DeleteItemCommand({ TableName: changed, Key: { pk: { S: 'item-00010' } } }))
    const sets = (await allItems(conn, source)).find((i) => i.pk.S === 'special-sets')!
    await conn.dynamodb.send(new PutItemCommand({ TableName: changed, Item: { ...sets, ss: { SS: ['x', 'y'] } } }))
    await conn.dynamodb.send(new PutItemCommand({ TableName: changed, Item: { pk: { S: 'zzz-extra' }, n: { N: '1' } } }))

    const progress: VerifyProgress[] = []
    const result = await verifyTables(conn, source, conn, changed, { segments: 3, onProgress: (p) => progress.push(p) })
    expect(result).toMatchObject({ equal: false, complete: true, segments: 3, differences: { missing: 1, changed: 1, extra: 1 }, truncated: false })
    expect(result.source.items).toBe(BULK + 4)
    expect(result.target.items).toBe(BULK + 4)
    expect(result.target.checksum).not.toBe(result.source.checksum)
    expect(result.diffs).toEqual([
      { kind: 'missing', key: { pk: { S: 'item-00010' } } },
      { kind: 'changed', key: { pk: { S: 'special-sets' } } },
      { kind: 'extra', key: { pk: { S: 'zzz-extra' } } },
    ])
    expect(progress.some((p) => p.phase === 'diff')).toBe(true)
    expect(progress.at(-1)).toMatchObject({ phase: 'diff', source: { segmentsDone: 3, segmentsTotal: 3 } })

    const few = await verifyTables(conn, source, conn, changed, { maxDiffs: 1 })
    expect(few).toMatchObject({ differences: { missing: 1, changed: 1, extra: 1 }, truncated: true, diffs: [{ kind: 'missing', key: { pk: { S: 'item-00010' } } }] })
  })

  it('sorts keys by value and returns binary keys as bytes', async () => {
    const spec: Omit<TableSpec, 'name'> = { hashKey: { name: 'id', type: 'B' }, rangeKey: { name: 'v', type: 'N' } }
    const [a, b] = [uniqueName('vbin'), uniqueName('vbin')]
    await Promise.all([createTable(conn, { name: a, ...spec }, { wait: true }), createTable(conn, { name: b, ...spec }, { wait: true })])
    const item = (id: number[], v: string, x = 'same'): Item => ({ id: { B: new Uint8Array(id) }, v: { N: v }, x: { S: x } })
    await writeAll(conn, a, [item([1], '10'), item([1], '9'), item([1], '-1'), item([0, 255], '1'), item([2], '1')])
    await writeAll(conn, b, [item([1], '10', 'new'), item([1], '9', 'new'), item([1], '-1', 'new'), item([0, 255], '1'), item([2], '1')])
    const result = await verifyTables(conn, a, conn, b, { segments: 2 })
    expect(result.differences).toEqual({ missing: 0, extra: 0, changed: 3 })
    expect(result.diffs.map((d) => [Buffer.from(d.key.id.B!).toString('hex'), d.key.v.N])).toEqual([
      ['01', '-1'],
      ['01', '9'],
      ['01', '10'],
    ])
    expect(result.diffs[0].key.id.B).toBeInstanceOf(Uint8Array)
  })

  it('refuses tables whose keys differ, a missing table, and the same table twice', async () => {
    const other = uniqueName('vkeys')
    await createTable(conn, { name: other, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' } }, { wait: true })
    const err = await verifyTables(conn, source, conn, other).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SchemaMismatchError)
    expect((err as Error).message).toContain('pk (S, partition key)')
    expect((err as Error).message).toContain('sk (N, sort key)')
    const typed = uniqueName('vkeys')
    await createTable(conn, { name: typed, hashKey: { name: 'pk', type: 'N' } }, { wait: true })
    await expect(verifyTables(conn, source, conn, typed)).rejects.toBeInstanceOf(SchemaMismatchError)
    await expect(verifyTables(conn, source, conn, uniqueName('nope'))).rejects.toBeInstanceOf(TableNotFoundError)
    await expect(verifyTables(conn, source, conn, source)).rejects.toBeInstanceOf(UserInputError)
  })

  it('stops when aborted and says it is incomplete', async () => {
    const abort = new AbortController()
    const result = await verifyTables(conn, source, conn, target, {
      segments: 4,
      concurrency: 1,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.source.items + p.target.items > 0) abort.abort()
      },
    })
    expect(result.complete).toBe(false)
    expect(result.equal).toBe(false)
    expect(result.outcome).toBe('interrupted')
  })
})

describe('verify across engines', () => {
  it('finds identical data on dynalite and DynamoDB Local equal', async () => {
    const dynalite = connect(endpointOf('dynalite'))
    const local = connect(endpointOf('dynamodb-local'))
    try {
      const table = uniqueName('vx')
      await seedScanTable(dynalite, table, 500)
      // The same table name on both engines: different connections, so not "the same table".
      await copyOf(dynalite, table, local, table)
      const result = await verifyTables(dynalite, table, local, table)
      expect(result).toMatchObject({ equal: true, source: { items: 504 }, target: { items: 504 } })
      expect(result.target.checksum).toBe(result.source.checksum)

      await local.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'special-numbers' }, n: { N: '0.0' } } }))
      const after = await verifyTables(dynalite, table, local, table)
      expect(after.differences).toEqual({ missing: 0, extra: 0, changed: 1 })
    } finally {
      dynalite.destroy()
      local.destroy()
    }
  })
})
