#!/usr/bin/env node
// npm run bench: each dynx figure next to a raw-SDK floor measured in the same run, as a ratio.
// Seeds the embedded engine (dynalite, in memory) so it runs on any machine.
import { BatchWriteItemCommand, paginateScan } from '@aws-sdk/client-dynamodb'

import { batchWriteItems, createConnection, createTable, LOCAL_CREDENTIALS, sampleUsers, startLocalEngine } from '../dist/src/index.js'

const ITEMS = Number(process.env.BENCH_ITEMS ?? 4000)
const CONCURRENCY = 4

const engine = await startLocalEngine({ inMemory: true, transitionMs: 0 })
const conn = createConnection({ endpoint: engine.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS })
const items = sampleUsers(ITEMS)

async function fresh(name) {
  await createTable(conn, { name, hashKey: { name: 'userId', type: 'S' } }, { wait: true })
  return name
}

async function count(table) {
  let n = 0
  for await (const page of paginateScan({ client: conn.dynamodb }, { TableName: table, Select: 'COUNT' })) n += page.Count ?? 0
  return n
}

// The floor: the plainest correct loop over the SDK (chunks of 25, same concurrency, unprocessed retried at once).
async function rawWrite(table) {
  const chunks = []
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25))
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < chunks.length) {
      let pending = chunks[next++].map((Item) => ({ PutRequest: { Item } }))
      while (pending.length) {
        const out = await conn.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))
        pending = out.UnprocessedItems?.[table] ?? []
      }
    }
  }))
}

async function measure(label, fn) {
  const table = await fresh(`bench_${label}_${Date.now()}`)
  const rss = process.memoryUsage().rss
  const start = performance.now()
  await fn(table)
  const seconds = (performance.now() - start) / 1000
  const written = await count(table)
  if (written !== ITEMS) throw new Error(`${label}: ${written} of ${ITEMS} items written`)
  return { seconds, rate: ITEMS / seconds, rssDeltaMb: (process.memoryUsage().rss - rss) / 2 ** 20 }
}

try {
  // Warm up the engine and the connection pool once, so neither side pays for it.
  await measure('warmup', (t) => batchWriteItems(conn, t, items, { concurrency: CONCURRENCY }))
  const raw = await measure('raw', rawWrite)
  const dynx = await measure('dynx', (t) => batchWriteItems(conn, t, items, { concurrency: CONCURRENCY }))
  const row = (name, v, floor, unit) => console.log(`${name.padEnd(34)} ${v.toFixed(0).padStart(8)} ${unit.padEnd(8)} raw SDK ${floor.toFixed(0).padStart(8)} ${unit.padEnd(8)} ratio ${(v / floor).toFixed(2)}`)
  console.log(`dynx bench: ${ITEMS} items, concurrency ${CONCURRENCY}, dynalite in memory, node ${process.version}`)
  row('batch write (bootstrap, copy path)', dynx.rate, raw.rate, 'items/s')
  console.log(`${'rss growth during write'.padEnd(34)} ${dynx.rssDeltaMb.toFixed(1).padStart(8)} MB       raw SDK ${raw.rssDeltaMb.toFixed(1).padStart(8)} MB`)
} finally {
  conn.destroy()
  await engine.close()
}
