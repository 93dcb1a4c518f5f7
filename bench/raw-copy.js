// The raw-SDK floor of a copy: per segment (all segments at once) a plain ScanCommand loop; each
// page's items go out as plain BatchWriteItemCommands of 25, all chunks of the page at once,
// unprocessed items sent again until none is left; then the next page. No conversion of items.
//
// The one bound: BatchWriteItems in flight across segments stay within the client's socket pool
// (the SDK's NodeHttpHandler keeps 50), less one socket per segment for its Scan. Past the pool,
// requests queue in the agent, and the handler counts that wait against its connection timeout
// (3 s in dynx's connections): against a slow engine they fail with TimeoutError, and the SDK's
// retry quota is soon spent. Every page's chunks still go out at once up to that bound.
import { BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

const BATCH = 25
const SOCKETS = 50

async function writeChunk(client, target, items) {
  let pending = items.map((Item) => ({ PutRequest: { Item } }))
  while (pending.length) {
    const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [target]: pending } }))
    pending = out.UnprocessedItems?.[target] ?? []
  }
}

/** Copies every item of `source` into the existing `target` through `client`; returns the items written. */
export async function rawCopy(client, source, target, segments) {
  const limit = pLimit(Math.max(1, SOCKETS - segments))
  const written = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let count = 0
      let startKey
      do {
        const out = await client.send(new ScanCommand({ TableName: source, Segment: segment, TotalSegments: segments, ExclusiveStartKey: startKey }))
        const items = out.Items ?? []
        const chunks = []
        for (let i = 0; i < items.length; i += BATCH) {
          const chunk = items.slice(i, i + BATCH)
          chunks.push(limit(() => writeChunk(client, target, chunk)))
        }
        await Promise.all(chunks)
        count += items.length
        startKey = out.LastEvaluatedKey
      } while (startKey)
      return count
    }),
  )
  return written.reduce((a, b) => a + b, 0)
}
