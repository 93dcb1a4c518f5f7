// The raw-SDK floor of `dynx delete TABLE --all`, as its own process:
// node bench/raw-delete-child.js ENDPOINT TABLE SEGMENTS WRITERS [KEY,KEY]
// A keys-only parallel Scan (ProjectionExpression of the key attributes, default `id`, the bench
// tables' key), all SEGMENTS at once; each page's keys go out as plain BatchWriteItemCommands of 25
// DeleteRequests with at most WRITERS calls in flight across the segments (a segment waits for a
// free slot before it sends its next chunk, and scans its next page once its chunks are sent),
// unprocessed items sent again at once until none is left. No checks, no checkpoint, no dead letters.
// Prints {"items":N,"seconds":S} on stdout (S: first Scan sent to last delete acknowledged).
import { ScanCommand } from '@aws-sdk/client-dynamodb'

import { createConnection } from '../dist/src/index.js'
import { BENCH_CREDENTIALS } from './credentials.js'
import { rawBatchSender } from './raw-batches.js'

const BATCH = 25
const [endpoint, table, segmentsText, writersText, keysText = 'id'] = process.argv.slice(2)
const segments = Number(segmentsText)
const writers = Number(writersText)
const keys = keysText.split(',').filter(Boolean)
if (!endpoint || !table || !(segments >= 1) || !(writers >= 1) || !keys.length) throw new Error('usage: raw-delete-child.js ENDPOINT TABLE SEGMENTS WRITERS [KEY,KEY]')
const names = Object.fromEntries(keys.map((k, i) => [`#k${i}`, k]))
const projection = Object.keys(names).join(', ')

// A 60 s request timeout, as the CLI runs are given (--timeout 60): a loaded machine can stall dynalite on disk.
const conn = createConnection({ endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS, requestTimeoutMs: 60_000 })
const client = conn.dynamodb

// At most `writers` chunks in flight across all segments.
const sender = rawBatchSender(client, table, writers)

try {
  const started = performance.now()
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let count = 0
      let startKey
      do {
        const out = await client.send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: segments,
            ProjectionExpression: projection,
            ExpressionAttributeNames: names,
            ExclusiveStartKey: startKey,
          }),
        )
        const items = out.Items ?? []
        for (let i = 0; i < items.length; i += BATCH) await sender.send(items.slice(i, i + BATCH).map((Key) => ({ DeleteRequest: { Key } })))
        count += items.length
        startKey = out.LastEvaluatedKey
      } while (startKey)
      return count
    }),
  )
  await sender.drain()
  const items = counts.reduce((a, b) => a + b, 0)
  process.stdout.write(`${JSON.stringify({ items, seconds: (performance.now() - started) / 1000 })}\n`)
} finally {
  conn.destroy()
}
