import { BatchWriteItemCommand, DynamoDBClient, ScanCommand, type WriteRequest } from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

import { createConnection } from '../../src/connection/clients.js'
import { renderCopySummary } from '../../src/cli/render.js'
import { copyTable } from '../../src/copy/copy-table.js'
import { copyTables } from '../../src/copy/copy-tables.js'
import { BatchWriter } from '../../src/copy/writer.js'
import type { Item } from '../../src/data/values.js'
import { NoProgressError } from '../../src/errors.js'
import { loadTable } from '../../src/load/load-table.js'
import { tempDir } from '../helpers.js'

// Faked responses: no local engine throttles or leaves items unprocessed (dynalite and DynamoDB
// Local ignore provisioned capacity), as a busy table on AWS does under a bulk copy.
// aws-sdk-client-mock replaces the client's send, so the connection's retry policy is not in the
// way: an error thrown here is one the policy has already retried for its whole window
// (test/unit/retry.unit.test.ts covers the policy itself).
const conn = createConnection({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
const fast = { baseMs: 1, capMs: 4 }
const item = (i: number, bad = false): Item => ({ id: { S: `k${i}` }, n: { N: String(i) }, ...(bad ? { bad: { BOOL: true } } : {}) })
const throttle = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ProvisionedThroughputExceededException', $metadata: {} })
const invalid = () => Object.assign(new Error('One or more parameter values were invalid: Type mismatch for key id'), { name: 'ValidationException', $metadata: {} })

/**
 * A table on a bad day: at random (~30%) a call writes nothing and hands every item back
 * unprocessed (throttled partitions), a batch holding a "bad" item is rejected whole (as DynamoDB
 * does for a key of the wrong type), and otherwise half of the batch comes back as
 * UnprocessedItems. Returns the ids that were really stored, with repeats.
 */
function stormyTable(mock: ReturnType<typeof mockClient>, random: () => number) {
  const stored: string[] = []
  mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
    const [table, requests] = Object.entries(input.RequestItems)[0]
    if (random() < 0.3) return { UnprocessedItems: { [table]: requests }, ConsumedCapacity: [] }
    if (requests.some((r) => r.PutRequest?.Item?.bad)) throw invalid()
    const keep = Math.floor(requests.length / 2)
    for (const r of requests.slice(0, requests.length - keep)) stored.push(r.PutRequest!.Item!.id.S!)
    return { UnprocessedItems: keep ? { [table]: requests.slice(requests.length - keep) } : {}, ConsumedCapacity: [{ TableName: table, CapacityUnits: requests.length - keep }] }
  })
  return stored
}

function seeded(seed: number) {
  let s = seed
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32
}

describe('BatchWriter under throttling and unprocessed items (stands for a throttled AWS table)', () => {
  let mock: ReturnType<typeof mockClient>
  afterEach(() => mock.restore())

  it('writes every item exactly once; bad items are isolated and reported once each', async () => {
    mock = mockClient(DynamoDBClient)
    const stored = stormyTable(mock, seeded(7))
    const items = Array.from({ length: 500 }, (_, i) => item(i, i % 97 === 5))
    const writer = new BatchWriter(conn, 't', { ...fast, concurrency: 8 })
    const failures = await writer.write(items)
    const bad = items.filter((x) => x.bad).map((x) => x.id.S)
    expect(failures.map((f) => f.item.id.S).sort()).toEqual([...bad].sort())
    expect(failures.every((f) => f.reason.startsWith('ValidationException'))).toBe(true)
    expect([...stored].sort()).toEqual(
      items
        .filter((x) => !x.bad)
        .map((x) => x.id.S)
        .sort(),
    )
    expect(writer.stats).toMatchObject({ written: 500 - bad.length, failed: bad.length })
    expect(writer.stats.retries).toBeGreaterThan(20)
    // Throttling lowered the writers at some point.
    expect(writer.stats.throttles).toBeGreaterThan(0)
  })

  it('a batch that stays unprocessed for the whole window fails the write (NoProgressError): good items are not dead-lettered', async () => {
    mock = mockClient(DynamoDBClient)
    mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => ({ UnprocessedItems: input.RequestItems }))
    const writer = new BatchWriter(conn, 't', { ...fast, windowMs: 30 })
    await expect(writer.write([item(1), item(2)])).rejects.toThrow(NoProgressError)
    expect(writer.stats).toMatchObject({ written: 0, failed: 0 })
    expect(writer.stats.throttles).toBeGreaterThan(1)
  })

  it('a throttling error the retry policy gave up on fails the write instead of dead-lettering good items', async () => {
    mock = mockClient(DynamoDBClient)
    mock.on(BatchWriteItemCommand).rejects(throttle())
    const writer = new BatchWriter(conn, 't', fast)
    await expect(writer.write([item(1), item(2)])).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' })
    // Sent once: the policy (the SDK strategy) did the retrying, the writer does not repeat it.
    expect(mock.commandCalls(BatchWriteItemCommand)).toHaveLength(1)
    expect(writer.stats.failed).toBe(0)
  })

  it('a table that writes a little on every call is not given up on (the window counts only time without progress)', async () => {
    mock = mockClient(DynamoDBClient)
    // One item per call, the rest unprocessed: 25 calls for a batch, the whole far longer than a backoff step.
    mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
      const [table, requests] = Object.entries(input.RequestItems)[0]
      return { UnprocessedItems: requests.length > 1 ? { [table]: requests.slice(1) } : {} }
    })
    const writer = new BatchWriter(conn, 't', { ...fast, windowMs: 5_000 })
    expect(await writer.write(Array.from({ length: 25 }, (_, i) => item(i)))).toEqual([])
    expect(writer.stats.written).toBe(25)
  })

  it('an error that is not about an item (table deleted) fails the write instead of dead-lettering everything', async () => {
    mock = mockClient(DynamoDBClient)
    mock.on(BatchWriteItemCommand).rejects(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException', $metadata: {} }))
    await expect(new BatchWriter(conn, 'gone', fast).write([item(1)])).rejects.toThrow(/Table "gone" does not exist/)
  })
})

describe('copyTable through a throttling storm (faked scan and writes)', () => {
  it('every item arrives and each bad item is in the dead-letter file exactly once', async () => {
    const mock = mockClient(DynamoDBClient)
    const items = Array.from({ length: 700 }, (_, i) => item(i, i % 50 === 3))
    // One segment in three pages.
    mock
      .on(ScanCommand)
      .resolvesOnce({ Items: items.slice(0, 250), Count: 250, ScannedCount: 250, LastEvaluatedKey: items[249] })
      .resolvesOnce({ Items: items.slice(250, 500), Count: 250, ScannedCount: 250, LastEvaluatedKey: items[499] })
      .resolvesOnce({ Items: items.slice(500), Count: 200, ScannedCount: 200 })
    const stored = stormyTable(mock, seeded(11))
    const dir = tempDir()
    const deadLetter = join(dir, 'dead.jsonl')
    const result = await copyTable(conn, 'src', conn, 'dst', { segments: 1, checkpoint: join(dir, 'c.json'), deadLetter, backoff: fast })
    mock.restore()
    const bad = items.filter((x) => x.bad).map((x) => x.id.S!)
    expect(result).toMatchObject({ complete: true, read: 700, written: 700 - bad.length, deadLettered: bad.length })
    expect([...stored].sort()).toEqual(
      items
        .filter((x) => !x.bad)
        .map((x) => x.id.S)
        .sort(),
    )
    const lines = readFileSync(deadLetter, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { item: Item; reason: string; table: string; source: string })
    expect(lines.map((l) => l.item.id.S).sort()).toEqual([...bad].sort())
    expect(lines[0]).toMatchObject({ table: 'dst', source: 'src', item: { bad: { BOOL: true } } })
    expect(lines[0].reason).toMatch(/^ValidationException: .*Type mismatch/)
  })
})

describe('a copy that fails keeps its accounting (stands for a target whose writes fail for good mid-copy)', () => {
  it('the outcome and the summary show what was read and written and where the checkpoint stands, not 0', async () => {
    const mock = mockClient(DynamoDBClient)
    const items = Array.from({ length: 300 }, (_, i) => item(i))
    mock
      .on(ScanCommand)
      .resolvesOnce({ Items: items.slice(0, 100), Count: 100, ScannedCount: 100, LastEvaluatedKey: items[99] })
      .resolvesOnce({ Items: items.slice(100, 200), Count: 100, ScannedCount: 100, LastEvaluatedKey: items[199] })
      .resolvesOnce({ Items: items.slice(200), Count: 100, ScannedCount: 100 })
    // The first 8 batches (the first two pages) are written; then every write fails after the policy's window.
    let calls = 0
    mock.on(BatchWriteItemCommand).callsFake(() => {
      if (++calls > 8) throw Object.assign(new Error('Too many requests'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })
      return {}
    })
    const dir = tempDir()
    const checkpoint = join(dir, 'c.json')
    const plan = {
      entries: [
        { source: 'src', target: 'dst', estimatedItems: 300, sourceSizeBytes: 0, action: 'existing' as const, targetHasItems: false, differences: [], checkpoint, resumes: false },
      ],
      skipped: [],
    }
    // One writer and one page at a time, so the pages are written in order.
    const result = await copyTables(conn, conn, plan, { segments: 1, writeConcurrency: 1, backoff: fast })
    mock.restore()
    const [outcome] = result.tables
    expect(outcome.status).toBe('failed')
    expect(outcome.error).toMatch(/Too many requests/)
    expect(outcome.read).toBe(300)
    expect(outcome.written).toBe(200)
    expect(outcome.checkpoint).toBe(checkpoint)
    expect(result.written).toBe(200)
    // The checkpoint is past the two acknowledged pages: a re-run continues after item 199.
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as { next: Record<string, string> }
    expect(JSON.parse(saved.next['0'])).toEqual(items[199])
    const summary = renderCopySummary(result)
    expect(summary).toMatch(/src\s*│\s*dst\s*│\s*failed\s*│\s*300\s*│\s*200\s*│/)
    expect(summary).toContain(`progress saved in ${checkpoint}`)
  })
})

describe('BatchWriter: consumed capacity asked only where it is used', () => {
  let mock: ReturnType<typeof mockClient>
  afterEach(() => mock.restore())

  it('consumedCapacity: false sends ReturnConsumedCapacity NONE, unless a --max-wcu budget needs it; deletes go as DeleteRequests', async () => {
    mock = mockClient(DynamoDBClient)
    const asked: string[] = []
    mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]>; ReturnConsumedCapacity?: string }) => {
      asked.push(`${input.ReturnConsumedCapacity}:${Object.keys(Object.values(input.RequestItems)[0][0])[0]}`)
      return { UnprocessedItems: {} }
    })
    await new BatchWriter(conn, 't', { consumedCapacity: false }).write([item(1)])
    await new BatchWriter(conn, 't', { consumedCapacity: false, maxWcu: 1000 }).write([item(2)])
    await new BatchWriter(conn, 't', { consumedCapacity: false, deletes: true }).write([{ id: { S: 'k3' } }])
    await new BatchWriter(conn, 't').write([item(4)])
    expect(asked).toEqual(['NONE:PutRequest', 'TOTAL:PutRequest', 'NONE:DeleteRequest', 'TOTAL:PutRequest'])
  })
})

describe('loadTable and copyTable: consumed capacity asked only with a WCU budget (what the engine is asked to compute; no local engine reports the request)', () => {
  let mock: ReturnType<typeof mockClient>
  afterEach(() => mock.restore())

  it('a load without --max-wcu/--wcu-percent sends ReturnConsumedCapacity NONE; with --max-wcu, TOTAL (it paces by it)', async () => {
    mock = mockClient(DynamoDBClient)
    const asked: string[] = []
    mock.on(BatchWriteItemCommand).callsFake((input: { ReturnConsumedCapacity?: string }) => {
      asked.push(String(input.ReturnConsumedCapacity))
      return { UnprocessedItems: {} }
    })
    const dir = tempDir('load-capacity-')
    const file = join(dir, 'items.jsonl')
    writeFileSync(file, '{"id":"a","n":1}\n{"id":"b","n":2}\n')
    const source = { path: file, label: file, size: statSync(file).size, gzip: false }
    const table = { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }] }
    const plain = await loadTable(conn, 't', [source], { table, checkpoint: false, deadLetter: join(dir, 'dl.jsonl') })
    expect(plain.loaded).toBe(2)
    expect(plain.consumedWrite).toBeUndefined()
    await loadTable(conn, 't', [source], { table, checkpoint: false, deadLetter: join(dir, 'dl2.jsonl'), maxWcu: 1000 })
    expect(asked).toEqual(['NONE', 'TOTAL'])
  })

  it('a copy without --max-wcu sends NONE and reports no consumed write capacity; with --max-wcu, TOTAL and the figure', async () => {
    mock = mockClient(DynamoDBClient)
    const asked: string[] = []
    mock.on(ScanCommand).resolves({ Items: [item(1), item(2)], Count: 2, ScannedCount: 2 })
    mock.on(BatchWriteItemCommand).callsFake((input: { ReturnConsumedCapacity?: string }) => {
      asked.push(String(input.ReturnConsumedCapacity))
      return { UnprocessedItems: {}, ConsumedCapacity: [{ TableName: 'dst', CapacityUnits: 2 }] }
    })
    const dir = tempDir('copy-capacity-')
    const plain = await copyTable(conn, 'src', conn, 'dst', { segments: 1, checkpoint: join(dir, 'a.json'), deadLetter: join(dir, 'dl.jsonl') })
    expect(plain).toMatchObject({ complete: true, written: 2 })
    expect(plain.consumedWrite).toBeUndefined()
    const paced = await copyTable(conn, 'src', conn, 'dst', { segments: 1, checkpoint: join(dir, 'b.json'), deadLetter: join(dir, 'dl2.jsonl'), maxWcu: 1000 })
    expect(paced.consumedWrite).toBe(2)
    expect(asked).toEqual(['NONE', 'TOTAL'])
  })
})
