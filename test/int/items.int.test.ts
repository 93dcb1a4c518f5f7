import { GetItemCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { batchWriteItems } from '../../src/data/batch-write.js'
import { parseExpressionValues, type Item } from '../../src/data/values.js'
import { UserInputError } from '../../src/errors.js'
import { getItem } from '../../src/items/get.js'
import { KeyInputError } from '../../src/items/keys.js'
import { parseItemJson, putItem } from '../../src/items/put.js'
import { queryItems, queryToOutput } from '../../src/items/query.js'
import { truncateTable } from '../../src/items/truncate.js'
import { createTable } from '../../src/tables/create.js'
import { describeTable, describeTableRaw } from '../../src/tables/describe.js'
import type { TableSpec } from '../../src/tables/spec.js'
import { engineList, localClient } from '../setup/engines.js'
import { connect, fullSpec, tempDir, uniqueName } from '../helpers.js'
import { allItems, canonical, DIGITS_38, seedScanTable, specialItems } from '../scan-fixtures.js'

// ~1 KB items, a third of them of kind "a": over 1 MB in one partition of the by-kind GSI.
const BULK = 4000
const DATA_ENGINES = engineList().filter(([name]) => name === 'dynalite' || name === 'dynamodb-local')

/** Every item of a query as the SDK reads it, page after page. */
async function sdkQuery(endpoint: string, input: QueryCommandInput): Promise<{ items: Item[]; pages: number }> {
  const client = localClient(endpoint)
  const items: Item[] = []
  let pages = 0
  let start: Item | undefined
  try {
    do {
      const out = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }))
      items.push(...(out.Items ?? []))
      pages++
      start = out.LastEvaluatedKey
    } while (start)
  } finally {
    client.destroy()
  }
  return { items, pages }
}

async function sdkGet(endpoint: string, table: string, key: Item): Promise<Item | undefined> {
  const client = localClient(endpoint)
  try {
    return (await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item
  } finally {
    client.destroy()
  }
}

async function collect(pages: AsyncIterable<{ items: Item[] }>): Promise<{ items: Item[]; pages: number }> {
  const items: Item[] = []
  let n = 0
  for await (const page of pages) {
    items.push(...page.items)
    n++
  }
  return { items, pages: n }
}

/** A stream that keeps what it is given, standing for stdout. */
function memoryStdout(): Writable & { text: () => string } {
  const chunks: Buffer[] = []
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk)
      done()
    },
  }) as Writable & { text: () => string }
  w.text = () => Buffer.concat(chunks).toString('utf8')
  return w
}

describe.each(DATA_ENGINES)('get, query and put on %s', (_engine, endpoint) => {
  const conn = connect(endpoint)
  const table = uniqueName('items')
  const composite = uniqueName('items_nk')
  const binary = uniqueName('items_bk')
  const composite38: Item = { pk: { S: 'p' }, sk: { N: DIGITS_38 }, ns: { NS: ['1', DIGITS_38] }, b: { B: new Uint8Array([0, 255]) } }
  const binaryKey = new Uint8Array([0, 1, 2, 250, 255])

  beforeAll(async () => {
    await seedScanTable(conn, table, BULK)
    await createTable(conn, { name: composite, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' } }, { wait: true })
    await createTable(conn, { name: binary, hashKey: { name: 'id', type: 'B' } }, { wait: true })
    const rows: Item[] = [composite38, ...Array.from({ length: 20 }, (_, i) => ({ pk: { S: 'p' }, sk: { N: String(i) }, v: { S: `v${i}` } }))]
    await batchWriteItems(conn, composite, rows)
    await batchWriteItems(conn, binary, [{ id: { B: binaryKey }, v: { S: 'binary key' } }])
  })
  afterAll(() => conn.destroy())

  it('get returns what the SDK reads directly: 38-digit numbers, sets, binary, nesting, reserved names', async () => {
    for (const item of specialItems()) {
      const got = await getItem(conn, { table, key: `pk=${item.pk.S}`, consistentRead: true })
      expect(got.found).toBe(true)
      expect(canonical(got.item!)).toEqual(canonical((await sdkGet(endpoint, table, { pk: item.pk }))!))
      // The engines store numbers by value (1E-130 may come back spelled otherwise).
      expect(canonical(got.item!, true)).toEqual(canonical(item, true))
    }
  })

  it('types KEY by the key schema: a 38-digit number sort key (text and JSON), a binary partition key (base64), DynamoDB JSON', async () => {
    const direct = await sdkGet(endpoint, composite, { pk: { S: 'p' }, sk: { N: DIGITS_38 } })
    for (const key of [`pk=p,sk=${DIGITS_38}`, `{"pk":"p","sk":${DIGITS_38}}`, `{"pk":{"S":"p"},"sk":{"N":"${DIGITS_38}"}}`]) {
      const got = await getItem(conn, { table: composite, key })
      expect(got.item?.sk.N).toBe(DIGITS_38)
      expect(canonical(got.item!)).toEqual(canonical(direct!))
    }
    const b64 = Buffer.from(binaryKey).toString('base64')
    const got = await getItem(conn, { table: binary, key: `id=${b64}` })
    expect(Buffer.from(got.item!.id.B!)).toEqual(Buffer.from(binaryKey))
    expect((await getItem(conn, { table: binary, key: b64 })).found).toBe(true)
  })

  it('get with --attributes projects; a missing item is found: false', async () => {
    const got = await getItem(conn, { table, key: 'pk=special-reserved', attributes: ['name', 'size'] })
    expect(got.item).toEqual({ name: { S: 'reserved: name' }, size: { N: '42' } })
    const none = await getItem(conn, { table: composite, key: 'pk=p,sk=12345' })
    expect(none).toMatchObject({ found: false })
    expect(none.item).toBeUndefined()
  })

  it.each([
    ['a missing sort key', 'pk=p', /has no sk/],
    ['an extra attribute', 'pk=p,sk=1,v=x', /"v", which is not a key attribute/],
    ['text for a number key', 'pk=p,sk=abc', /sk must be a number/],
    ['a JSON string for a number key', '{"pk":"p","sk":"1"}', /sk must be a JSON number/],
    ['DynamoDB JSON of the wrong type', '{"pk":{"S":"p"},"sk":{"S":"1"}}', /sk must be of type N/],
    ['a bare value for a two-part key', 'p', /gives one value, but the key has 2 parts/],
  ])('a KEY with %s is bad input naming the key schema, before any read of the item', async (_what, key, message) => {
    const err = await getItem(conn, { table: composite, key }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KeyInputError)
    expect((err as KeyInputError).exitCode).toBe(2)
    expect((err as Error).message).toMatch(message)
    expect((err as Error).message).toContain('The key of')
    expect((err as Error).message).toContain('pk (S, partition key), sk (N, sort key)')
    expect((err as KeyInputError).hint).toContain('pk=abc,sk=42')
  })

  it('query on a GSI reads every page past 1 MB and equals what the SDK reads', async () => {
    const values = parseExpressionValues('{":k":"a"}')
    const ours = await collect(queryItems(conn, { table, index: 'by-kind', key: 'kind = :k', values }))
    const sdk = await sdkQuery(endpoint, { TableName: table, IndexName: 'by-kind', KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: values })
    expect(ours.items.length).toBe(Math.ceil(BULK / 3))
    expect(sdk.pages).toBeGreaterThan(1)
    expect(ours.pages).toBe(sdk.pages)
    expect(ours.items.map((i) => canonical(i))).toEqual(sdk.items.map((i) => canonical(i)))
  })

  it('--reverse gives the descending order, --limit the first N (fewer reads), on the table and a GSI', async () => {
    const values = parseExpressionValues('{":k":"b"}')
    const forward = (await sdkQuery(endpoint, { TableName: table, IndexName: 'by-kind', KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: values })).items
    const reverse = await collect(queryItems(conn, { table, index: 'by-kind', key: 'kind = :k', values, reverse: true }))
    expect(reverse.items.map((i) => i.pk.S)).toEqual(forward.map((i) => i.pk.S).reverse())
    const limited = await collect(queryItems(conn, { table, index: 'by-kind', key: 'kind = :k', values, limit: 7 }))
    expect(limited.items.map((i) => i.pk.S)).toEqual(forward.slice(0, 7).map((i) => i.pk.S))
    const lastThree = await collect(
      queryItems(conn, { table: composite, key: 'pk = :p AND sk < :m', values: parseExpressionValues('{":p":"p",":m":100}'), reverse: true, limit: 3 }),
    )
    expect(lastThree.items.map((i) => i.sk.N)).toEqual(['19', '18', '17'])
  })

  it('query with a filter and --attributes writes exact numbers in the formats of scan', async () => {
    const stdout = memoryStdout()
    const result = await queryToOutput(conn, {
      table: composite,
      key: 'pk = :p',
      filter: 'attribute_exists(ns)',
      values: parseExpressionValues(`{":p":"p"}`),
      attributes: ['sk', 'ns'],
      format: 'jsonl',
      stdout,
    })
    expect(result).toMatchObject({ items: 1, outcome: 'ok' })
    expect(result.scanned).toBe(21)
    const line = stdout.text()
    expect(line.trim().split('\n')).toHaveLength(1)
    expect(line).toMatch(new RegExp(`^\\{"sk":${DIGITS_38},"ns":\\[(1,${DIGITS_38}|${DIGITS_38},1)\\]\\}\\n$`))
  })

  it.each([
    ['a key condition on a non-key attribute', { key: 'v = :v', values: '{":v":"x"}' }],
    ['a reserved word in the filter', { key: 'pk = :p', filter: 'status = :s', values: '{":p":"p",":s":"x"}' }],
    ['a value the expression does not use', { key: 'pk = :p', values: '{":p":"p",":unused":1}' }],
    ['a key condition missing the partition key', { key: 'sk > :n', values: '{":n":1}' }],
  ])('an expression DynamoDB rejects (%s) is bad input, and nothing is written to stdout or a file', async (_what, q) => {
    const stdout = memoryStdout()
    const dir = tempDir('dynx-query-')
    for (const output of [undefined, join(dir, 'out.json')]) {
      const err = await queryToOutput(conn, {
        table: composite,
        key: q.key,
        filter: (q as { filter?: string }).filter,
        values: parseExpressionValues(q.values),
        format: 'json',
        stdout,
        output,
      }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as Error).message).toMatch(/^DynamoDB rejected the query/)
    }
    expect(stdout.text()).toBe('')
    expect(readdirSync(dir)).toEqual([])
  })

  it('put keeps every digit of plain JSON numbers and writes DynamoDB JSON as given', async () => {
    const { item } = parseItemJson(`{"pk":"put-plain","sk":1,"big":${DIGITS_38},"neg":-${DIGITS_38},"tiny":0.000000000000000000000000000000000001,"l":[1.50,{"m":${DIGITS_38}}]}`)
    await putItem(conn, { table: composite, item })
    const stored = await sdkGet(endpoint, composite, { pk: { S: 'put-plain' }, sk: { N: '1' } })
    expect(stored?.big.N).toBe(DIGITS_38)
    expect(stored?.neg.N).toBe(`-${DIGITS_38}`)
    expect(stored?.l.L?.[1].M?.m.N).toBe(DIGITS_38)
    const raw = parseItemJson('{"pk":{"S":"put-raw"},"sk":{"N":"2"},"ss":{"SS":["x","y"]},"b":{"B":"AP8="}}')
    expect(raw.encoding).toBe('raw')
    await putItem(conn, { table: composite, item: raw.item })
    const back = await sdkGet(endpoint, composite, { pk: { S: 'put-raw' }, sk: { N: '2' } })
    expect(canonical(back!)).toEqual(canonical(raw.item))
  })

  it('put --if-not-exists writes a new item once and leaves an existing one unchanged; --dry-run writes nothing', async () => {
    const first = parseItemJson('{"pk":"ine","sk":1,"v":"first"}').item
    const second = parseItemJson('{"pk":"ine","sk":1,"v":"second"}').item
    const dry = await putItem(conn, { table: composite, item: first, dryRun: true })
    expect(dry).toMatchObject({ written: false, dryRun: true })
    expect(await sdkGet(endpoint, composite, { pk: { S: 'ine' }, sk: { N: '1' } })).toBeUndefined()
    expect(await putItem(conn, { table: composite, item: first, ifNotExists: true })).toMatchObject({ written: true, existed: false })
    expect(await putItem(conn, { table: composite, item: second, ifNotExists: true })).toMatchObject({ written: false, existed: true })
    expect((await sdkGet(endpoint, composite, { pk: { S: 'ine' }, sk: { N: '1' } }))?.v.S).toBe('first')
    // Without the flag the item is replaced, and the result says so.
    expect(await putItem(conn, { table: composite, item: second })).toMatchObject({ written: true, existed: true })
    expect((await sdkGet(endpoint, composite, { pk: { S: 'ine' }, sk: { N: '1' } }))?.v.S).toBe('second')
  })

  it('put refuses an item without its key or with a key of the wrong type, writing nothing', async () => {
    for (const text of ['{"pk":"nokey"}', '{"pk":"badtype","sk":"1"}']) {
      const err = await putItem(conn, { table: composite, item: parseItemJson(text).item }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KeyInputError)
    }
    expect((await sdkQuery(endpoint, { TableName: composite, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'nokey' } } })).items).toEqual([])
  })
})

/** The full spec of tables.int.test.ts with deletion protection: what each engine keeps of it the re-created table must have too. */
const truncateSpec = (name: string): TableSpec => ({ ...fullSpec(name), deletionProtection: true })

const rows = (n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({ pk: { S: `p${i % 7}` }, sk: { N: String(i) }, email: { S: `e${i}@x` }, name: { S: `n${i}` }, createdAt: { S: `2026-01-${i % 28}` } }))

describe.each(engineList())('truncate on %s', (engine, endpoint) => {
  const conn = connect(endpoint)
  const stateDir = tempDir('dynx-truncate-')
  afterAll(() => conn.destroy())

  it('--recreate leaves the table empty with the same definition (GSIs, LSIs, capacity, and TTL, stream, tags, PITR, deletion protection where the engine keeps them)', async () => {
    const name = uniqueName('trunc')
    await createTable(conn, truncateSpec(name), { wait: true })
    await batchWriteItems(conn, name, rows(300))
    const before = await describeTable(conn, name)
    const result = await truncateTable(conn, name, { recreate: true, stateDir })
    expect(result).toMatchObject({ mode: 'recreate', outcome: 'ok', dryRun: false })
    const after = await describeTable(conn, name)
    expect(after.spec).toEqual(before.spec)
    expect(after.status).toBe('ACTIVE')
    expect(await allItems(conn, name)).toEqual([])
    // It is a new table, and nothing is left behind to resume.
    expect((await describeTableRaw(conn, name)).CreationDateTime!.getTime()).toBeGreaterThanOrEqual(before.description.CreationDateTime!.getTime())
    expect(readdirSync(stateDir)).toEqual([])
    // What each engine keeps is kept (the others report what they lack as skipped, never silently).
    if (engine === 'moto') expect(after.spec).toMatchObject({ ttl: 'expiresAt', pitr: true, tags: { team: 'core', env: 'test' }, stream: 'NEW_AND_OLD_IMAGES' })
    if (engine === 'dynamodb-local') expect(after.spec).toMatchObject({ ttl: 'expiresAt', stream: 'NEW_AND_OLD_IMAGES', deletionProtection: true })
    if (engine === 'dynalite') expect(after.spec).toMatchObject({ tags: { team: 'core', env: 'test' } })
    expect(result.plan.keeps.join('\n')).toContain('GSI by-email')
    expect(result.plan.keeps.join('\n')).toContain('LSI by-created')
  })

  it('--recreate --dry-run and a declined confirmation change nothing', async () => {
    const name = uniqueName('trunc_dry')
    await createTable(conn, { name, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' } }, { wait: true })
    await batchWriteItems(conn, name, rows(40))
    const before = await describeTableRaw(conn, name)
    const dry = await truncateTable(conn, name, { recreate: true, dryRun: true, stateDir })
    expect(dry).toMatchObject({ dryRun: true, mode: 'recreate' })
    const declined = await truncateTable(conn, name, {
      recreate: true,
      stateDir,
      confirm: () => Promise.reject(new UserInputError('Not confirmed; nothing was changed.')),
    }).catch((e: unknown) => e)
    expect(declined).toBeInstanceOf(UserInputError)
    expect((await describeTableRaw(conn, name)).CreationDateTime).toEqual(before.CreationDateTime)
    expect((await allItems(conn, name)).length).toBe(40)
    expect(readdirSync(stateDir)).toEqual([])
  })

  it('--recreate stopped after the delete is finished by running it again, from the saved definition', async () => {
    const name = uniqueName('trunc_crash')
    await createTable(conn, { ...truncateSpec(name), deletionProtection: false }, { wait: true })
    await batchWriteItems(conn, name, rows(20))
    const before = await describeTable(conn, name)
    const crash = await truncateTable(conn, name, {
      recreate: true,
      stateDir,
      onProgress: (p) => {
        if (p.stage === 'create') throw new Error('killed between delete and create')
      },
    }).catch((e: unknown) => e)
    expect((crash as Error).message).toBe('killed between delete and create')
    expect(existsSync(join(stateDir, readdirSync(stateDir)[0]))).toBe(true)
    const again = await truncateTable(conn, name, { recreate: true, stateDir })
    expect(again.plan.resumed).toBe(true)
    expect((await describeTable(conn, name)).spec).toEqual(before.spec)
    expect(readdirSync(stateDir)).toEqual([])
  })

  // moto answers Scan but is not a data-plane reference.
  it.skipIf(engine === 'moto')('without --recreate deletes every item (past several pages) and keeps the table', async () => {
    const name = uniqueName('trunc_items')
    await createTable(conn, { name, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' } }, { wait: true })
    const many = rows(2500).map((r) => ({ ...r, pad: { S: 'x'.repeat(800) } }))
    await batchWriteItems(conn, name, many, { concurrency: 8 })
    const before = await describeTableRaw(conn, name)
    expect((await allItems(conn, name)).length).toBe(2500)
    const result = await truncateTable(conn, name, { stateDir })
    expect((await allItems(conn, name)).length).toBe(0)
    expect(result).toMatchObject({ mode: 'delete-items', deleted: 2500, outcome: 'ok' })
    expect(await allItems(conn, name)).toEqual([])
    expect((await describeTableRaw(conn, name)).CreationDateTime).toEqual(before.CreationDateTime)
  })
})
