// What the raw-SDK floors of load and delete share: plain BatchWriteItemCommands of at most 25
// requests, at most WRITERS calls in flight, unprocessed requests sent again at once until none is
// left. No checks, no backoff, no dead letters.
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb'

/**
 * `send(requests)` waits for a free slot, then sends one chunk (PutRequest or DeleteRequest
 * objects) in the background; `drain()` waits for every chunk and throws the first failure.
 */
export function rawBatchSender(client, table, writers) {
  const inFlight = new Set()
  let failure
  async function writeChunk(requests) {
    let pending = requests
    while (pending.length) {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))
      pending = out.UnprocessedItems?.[table] ?? []
    }
  }
  return {
    async send(requests) {
      while (inFlight.size >= writers) await Promise.race(inFlight)
      if (failure) throw failure
      const p = writeChunk(requests).then(
        () => inFlight.delete(p),
        (err) => {
          failure ??= err
          inFlight.delete(p)
        },
      )
      inFlight.add(p)
    },
    async drain() {
      await Promise.all(inFlight)
      if (failure) throw failure
    },
  }
}
