import { DeleteItemCommand } from '@aws-sdk/client-dynamodb'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { copyTable } from '../../src/copy/copy-table.js'
import { copyTables } from '../../src/copy/copy-tables.js'
import { planCopy } from '../../src/copy/plan.js'
import { loadTransform } from '../../src/copy/transform.js'
import { batchWriteItems } from '../../src/data/batch-write.js'
import type { Item } from '../../src/data/values.js'
import { SchemaMismatchError, TableNotFoundError, UserInputError } from '../../src/errors.js'
import { createTable } from '../../src/tables/create.js'
import { describeTable } from '../../src/tables/describe.js'
import { engineList } from '../setup/engines.js'
import { connect, tempDir, uniqueName } from '../helpers.js'
import { allItems, bulkItem, byPk, canonical, specialItems } from '../scan-fixtures.js'

const ENGINES = engineList().filter(([name]) => name === 'dynalite' || name === 'dynamodb-local')
const endpointOf = (name: string) => ENGINES.find(([n]) => n === name)![1]
// ~1 KB each: several 1 MB pages per segment.
const BULK = 3000

/** pk + kind keys, a GSI and an LSI, holding `count` bulk items and the hard-to-copy special ones. */
async function seedSource(conn: ReturnType<typeof connect>, name: string, count: number): Promise<Item[]> {
  await createTable(
    conn,
    {
      name,
      hashKey: { name: 'pk', type: 'S' },
      rangeKey: { name: 'kind', type: 'S' },
      indexes: [{ name: 'by-status', hashKey: { name: 'status', type: 'S' }, rangeKey: { name: 'n', type: 'N' }, projection: 'ALL' }],
      localIndexes: [{ name: 'by-n', rangeKey: { name: 'n', type: 'N' }, projection: 'KEYS_ONLY' }],
    },
    { wait: true },
  )
  const items = [...Array.from({ length: count }, (_, i) => bulkItem(i)), ...specialItems()]
  const result = await batchWriteItems(conn, name, items, { concurrency: 8 })
  if (result.failed.length) throw new Error(`seeding ${name}: ${result.failed[0].reason}`)
  return items
}

const sorted = async (conn: ReturnType<typeof connect>, table: string) => (await allItems(conn, table)).sort(byPk).map((i) => canonical(i))

describe.each(ENGINES)('copy on %s', (engine, endpoint) => {
  const conn = connect(endpoint)
  const source = uniqueName('copysrc')
  const dir = tempDir('dynx-copy-')
  let seeded: Item[] = []

  beforeAll(async () => {
    seeded = await seedSource(conn, source, BULK)
  })
  afterAll(() => conn.destroy())

  it('copies a table item for item (38 digits, sets, binary, nesting) into a clone with its GSI and LSI', async () => {
    const target = uniqueName('copydst')
    const plan = await planCopy(conn, conn, { tables: [{ source, target }] }, { checkpoint: join(dir, 'one.json') })
    expect(plan.entries).toMatchObject([{ source, target, action: 'create', targetHasItems: false, checkpoint: join(dir, 'one.json'), resumes: false }])
    const result = await copyTables(conn, conn, plan, { segments: 4, deadLetter: join(dir, 'dl.jsonl') })
    expect(result).toMatchObject({ complete: true, written: seeded.length, deadLettered: 0, failedTables: 0 })
    expect(result.tables[0]).toMatchObject({ status: 'copied', created: true, read: seeded.length })
    expect(await sorted(conn, target)).toEqual(await sorted(conn, source))
    const cloned = await describeTable(conn, target)
    expect(cloned.spec.indexes?.map((i) => i.name)).toEqual(['by-status'])
    expect(cloned.spec.localIndexes?.map((i) => i.name)).toEqual(['by-n'])
    // A finished copy leaves no checkpoint and no dead-letter file.
    expect(existsSync(join(dir, 'one.json'))).toBe(false)
    expect(existsSync(join(dir, 'dl.jsonl'))).toBe(false)
  })

  it('continues from the checkpoint after an interruption and ends with every item exactly once', async () => {
    const target = uniqueName('copyresume')
    await createTable(conn, { name: target, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'kind', type: 'S' } }, { wait: true })
    const checkpoint = join(dir, 'resume.json')
    const stop = new AbortController()
    const first = await copyTable(conn, source, conn, target, {
      segments: 3,
      pageLimit: 200,
      checkpoint,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.written >= 600) stop.abort()
      },
    })
    expect(first.complete).toBe(false)
    expect(first.written).toBeLessThan(seeded.length)
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as { next: Record<string, string>; finished: number[] }
    expect(Object.keys(saved.next).length + saved.finished.length).toBeGreaterThan(0)

    const second = await copyTable(conn, source, conn, target, { segments: 3, pageLimit: 200, checkpoint })
    expect(second).toMatchObject({ complete: true, resumed: true })
    // Only pages not yet acknowledged were read again: far fewer than the whole table.
    expect(second.read).toBeLessThan(seeded.length)
    expect(first.written + second.written).toBeGreaterThanOrEqual(seeded.length)
    expect(existsSync(checkpoint)).toBe(false)
    expect(await sorted(conn, target)).toEqual(await sorted(conn, source))
  })

  it('copies every table of a prefix to another prefix (three tables, two at a time)', async () => {
    const env = uniqueName('env')
    const from = `${env}_stg_`
    const to = `${env}_prd_`
    for (const [name, n] of [
      ['users', 40],
      ['orders', 25],
      ['events', 0],
    ] as const) {
      await createTable(conn, { name: `${from}${name}`, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
      if (n)
        await batchWriteItems(
          conn,
          `${from}${name}`,
          Array.from({ length: n }, (_, i) => bulkItem(i)),
        )
    }
    const plan = await planCopy(conn, conn, { fromPrefix: from, toPrefix: to })
    expect(plan.entries.map((e) => `${e.source}>${e.target}`).sort()).toEqual(['events', 'orders', 'users'].map((n) => `${from}${n}>${to}${n}`))
    const result = await copyTables(conn, conn, plan, { parallelTables: 2, segments: 2 })
    expect(result).toMatchObject({ complete: true, written: 65, failedTables: 0 })
    for (const name of ['users', 'orders', 'events']) expect(await sorted(conn, `${to}${name}`)).toEqual(await sorted(conn, `${from}${name}`))
    // Only some tables, by their names without the prefix.
    const some = await planCopy(conn, conn, { fromPrefix: from, toPrefix: `${env}_qa_`, only: ['orders'] })
    expect(some.entries.map((e) => e.target)).toEqual([`${env}_qa_orders`])
  })

  it('applies a transform: modify, drop and fan out, with counts; a throwing transform dead-letters the item', async () => {
    const target = uniqueName('copytx')
    const fn = join(dir, 'fn.mjs')
    writeFileSync(
      fn,
      `export default function (item) {
        if (item.pk === 'special-reserved') throw new Error('cannot migrate ' + item.pk)
        if (item.kind === 'b') return null
        if (item.kind === 'c') return [item, { ...item, pk: item.pk + '#copy' }]
        return { ...item, migrated: true, big2: item.big }
      }`,
    )
    const transform = await loadTransform(fn)
    const plan = await planCopy(conn, conn, { tables: [{ source, target }] })
    const deadLetter = join(dir, 'tx-dead.jsonl')
    const result = await copyTables(conn, conn, plan, { transform, transformId: fn, deadLetter })
    const kinds = (k: string) => seeded.filter((i) => i.kind.S === k).length
    const out = result.tables[0]
    expect(out).toMatchObject({ dropped: kinds('b'), deadLettered: 1 })
    expect(out.transformed).toBe(seeded.length - kinds('b') - 1)
    expect(out.written).toBe(kinds('a') + kinds('special') - 1 + 2 * kinds('c'))
    const copied = new Map((await allItems(conn, target)).map((i) => [i.pk.S!, i]))
    expect(copied.size).toBe(out.written)
    // Numbers stay exact through the plain-item round trip, 38 digits included.
    const special = copied.get('special-numbers')!
    expect(special.big2).toEqual({ N: seeded.find((i) => i.pk.S === 'special-numbers')!.big.N })
    expect(special.migrated).toEqual({ BOOL: true })
    expect(canonical(copied.get('special-sets')!) as object).toMatchObject(canonical({ ...seeded.find((i) => i.pk.S === 'special-sets')!, migrated: { BOOL: true } }) as object)
    expect(copied.has('item-00001')).toBe(false) // kind b
    expect(copied.has('item-00002#copy')).toBe(true) // kind c
    const dead = readFileSync(deadLetter, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { item: Item; reason: string })
    expect(dead).toHaveLength(1)
    expect(dead[0].item.pk).toEqual({ S: 'special-reserved' })
    expect(dead[0].reason).toBe('transform threw: cannot migrate special-reserved')
  })

  it('dead-letters items the target rejects (key of another type) and copies the rest', async () => {
    const target = uniqueName('copybadkey')
    // The target's sort key is a number: every item's string `kind` is rejected.
    await createTable(conn, { name: target, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'n', type: 'N' } }, { wait: true })
    const small = uniqueName('copysmall')
    await createTable(conn, { name: small, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'n', type: 'S' } }, { wait: true })
    await batchWriteItems(conn, small, [...Array.from({ length: 30 }, (_, i) => ({ pk: { S: `p${i}` }, n: { S: String(i) } })), { pk: { S: 'bad' }, n: { S: 'not a number' } }])
    // Through planCopy the mismatch is refused up front...
    await expect(planCopy(conn, conn, { tables: [{ source: small, target }] })).rejects.toBeInstanceOf(SchemaMismatchError)
    // ...copyTable on its own writes what it can and reports the rest.
    const deadLetter = join(dir, 'badkey.jsonl')
    const result = await copyTable(conn, small, conn, target, { deadLetter, checkpoint: false })
    expect(result).toMatchObject({ complete: true, read: 31, written: 0, deadLettered: 31 })
    const lines = readFileSync(deadLetter, 'utf8').trim().split('\n')
    expect(new Set(lines.map((l) => (JSON.parse(l) as { item: Item }).item.pk.S)).size).toBe(31)
  })

  it('an interrupted copy with dead letters, resumed, reports them all in one file (none lost on resume)', async () => {
    const small = uniqueName('copydlsrc')
    const target = uniqueName('copydldst')
    await createTable(conn, { name: small, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'n', type: 'S' } }, { wait: true })
    await createTable(conn, { name: target, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'n', type: 'N' } }, { wait: true })
    await batchWriteItems(
      conn,
      small,
      Array.from({ length: 40 }, (_, i) => ({ pk: { S: `p${i}` }, n: { S: `x${i}` } })),
    )
    const checkpoint = join(dir, 'dl-resume.json')
    const deadLetter = join(dir, 'dl-resume.jsonl')
    const stop = new AbortController()
    // Every item fails (a transform that rejects all); the first run is stopped after 12 of them.
    let calls = 0
    const rejectAll = (abortAt: number) => async () => {
      if (++calls === abortAt) stop.abort()
      return { error: 'transform threw: not wanted' }
    }
    const first = await copyTable(conn, small, conn, target, {
      segments: 1,
      pageLimit: 5,
      checkpoint,
      deadLetter,
      signal: stop.signal,
      transform: rejectAll(12),
      transformId: 'reject',
    })
    expect(first.complete).toBe(false)
    expect(first.deadLettered).toBeGreaterThanOrEqual(10)
    // The resumed run is given no --dead-letter: it continues the file the checkpoint names.
    const second = await copyTable(conn, small, conn, target, { segments: 1, pageLimit: 5, checkpoint, transform: rejectAll(-1), transformId: 'reject' })
    expect(second).toMatchObject({ complete: true, resumed: true, deadLettered: 40, deadLetterFile: deadLetter })
    const keys = readFileSync(deadLetter, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { item: Item }).item.pk.S)
    expect(new Set(keys).size).toBe(40)
  })

  it('refuses bad input before writing: source missing, same table, --no-create with a missing target, empty prefix match', async () => {
    await expect(planCopy(conn, conn, { tables: [{ source: uniqueName('nope'), target: uniqueName('t') }] })).rejects.toBeInstanceOf(TableNotFoundError)
    await expect(planCopy(conn, conn, { tables: [{ source, target: source }] })).rejects.toThrow(/same table/)
    await expect(planCopy(conn, conn, { tables: [{ source, target: uniqueName('t') }] }, { create: false })).rejects.toThrow(/does not exist.*--no-create/)
    await expect(planCopy(conn, conn, { fromPrefix: uniqueName('none'), toPrefix: 'x_' })).rejects.toBeInstanceOf(UserInputError)
    // Two connection objects built alike reach the same table: still the same table.
    const twin = connect(endpoint)
    try {
      await expect(planCopy(conn, twin, { tables: [{ source, target: source }] })).rejects.toThrow(/same table/)
    } finally {
      twin.destroy()
    }
  })

  it('sees a non-empty existing target and the differences that do not stop a copy', async () => {
    const target = uniqueName('copyexisting')
    await createTable(conn, { name: target, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'kind', type: 'S' } }, { wait: true })
    const [entry] = (await planCopy(conn, conn, { tables: [{ source, target }] })).entries
    expect(entry).toMatchObject({ action: 'existing', targetHasItems: false, differences: ['target lacks GSI by-status', 'target lacks LSI by-n'] })
    await batchWriteItems(conn, target, [{ pk: { S: 'x' }, kind: { S: 'y' } }])
    const [again] = (await planCopy(conn, conn, { tables: [{ source, target }] })).entries
    expect(again.targetHasItems).toBe(true)
    await conn.dynamodb.send(new DeleteItemCommand({ TableName: target, Key: { pk: { S: 'x' }, kind: { S: 'y' } } }))
  })

  if (engine === 'dynalite') {
    it('copies across endpoints: dynalite -> DynamoDB Local', async () => {
      const remote = connect(endpointOf('dynamodb-local'))
      const target = uniqueName('crossengine')
      try {
        const plan = await planCopy(conn, remote, { tables: [{ source, target }] })
        const result = await copyTables(conn, remote, plan, { segments: 2, checkpoint: false })
        expect(result).toMatchObject({ complete: true, written: seeded.length })
        // Both engines normalise numbers their own way: compare by value.
        const a = (await allItems(conn, source)).sort(byPk).map((i) => canonical(i, true))
        const b = (await allItems(remote, target)).sort(byPk).map((i) => canonical(i, true))
        expect(b).toEqual(a)
      } finally {
        remote.destroy()
      }
    })
  }
})
