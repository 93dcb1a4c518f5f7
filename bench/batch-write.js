// Batch write (bootstrap and the copy path): batchWriteItems against the plainest correct SDK loop,
// in-process against dynalite in memory (the figure the benchmark has always printed).
import { BatchWriteItemCommand, paginateScan } from '@aws-sdk/client-dynamodb'

import { batchWriteItems, createConnection, createTable, sampleUsers, startLocalEngine } from '../dist/src/index.js'
import { BENCH_CREDENTIALS } from './credentials.js'

const CONCURRENCY = 4

/** Items/s of dynx and of the raw floor writing `count` sample users, best of two runs each. */
export async function benchBatchWrite(count, log = () => {}) {
  const engine = await startLocalEngine({ inMemory: true, transitionMs: 0 })
  const conn = createConnection({ endpoint: engine.endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS })
  const items = sampleUsers(count)
  let tables = 0

  const fresh = async (label) => {
    const name = `bench_write_${label}_${tables++}`
    await createTable(conn, { name, hashKey: { name: 'userId', type: 'S' } }, { wait: true })
    return name
  }

  const countItems = async (table) => {
    let n = 0
    for await (const page of paginateScan({ client: conn.dynamodb }, { TableName: table, Select: 'COUNT' })) n += page.Count ?? 0
    return n
  }

  // The floor: chunks of 25, the same concurrency, unprocessed items retried at once.
  const rawWrite = async (table) => {
    const chunks = []
    for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25))
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < chunks.length) {
          let pending = chunks[next++].map((Item) => ({ PutRequest: { Item } }))
          while (pending.length) {
            const out = await conn.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))
            pending = out.UnprocessedItems?.[table] ?? []
          }
        }
      }),
    )
  }
  const dynxWrite = (table) => batchWriteItems(conn, table, items, { concurrency: CONCURRENCY })

  const measure = async (label, fn) => {
    const table = await fresh(label)
    const started = performance.now()
    await fn(table)
    const seconds = (performance.now() - started) / 1000
    const written = await countItems(table)
    if (written !== count) throw new Error(`batch write ${label}: ${written} of ${count} items written`)
    return count / seconds
  }

  try {
    log(`batch write: ${count} items, concurrency ${CONCURRENCY}, in-process dynalite in memory`)
    await measure('warmup', dynxWrite)
    // Order raw, dynx, dynx, raw and the best of each: neither side gets all the warm runs.
    const raw = [await measure('raw', rawWrite)]
    const dynx = [await measure('dynx', dynxWrite), await measure('dynx', dynxWrite)]
    raw.push(await measure('raw', rawWrite))
    return { items: count, concurrency: CONCURRENCY, raw: Math.max(...raw), dynx: Math.max(...dynx) }
  } finally {
    conn.destroy()
    await engine.close()
  }
}
