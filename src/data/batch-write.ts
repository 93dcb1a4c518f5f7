import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb'
import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { DEFAULT_RETRY_WINDOW_MS, backoffDelay, type BackoffOptions } from '../connection/retry.js'
import type { Item } from './values.js'

export interface BatchWriteResult {
  written: number
  /** Items that could not be written, with why; never dropped silently. */
  failed: { item: Item; reason: string }[]
}

/**
 * Writes items with BatchWriteItem in chunks of 25, `concurrency` batches at a time. Throttling,
 * 5xx and network errors are retried by the connection's policy; unprocessed items are sent again
 * with backoff until the retry window passes without progress. What still fails is returned, not dropped.
 */
export async function batchWriteItems(conn: Connection, table: string, items: Item[], options: BackoffOptions & { concurrency?: number } = {}): Promise<BatchWriteResult> {
  const windowMs = options.windowMs ?? conn.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS
  const limit = pLimit(options.concurrency ?? 4)
  const result: BatchWriteResult = { written: 0, failed: [] }
  const chunks: Item[][] = []
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25))
  await Promise.all(
    chunks.map((chunk) =>
      limit(async () => {
        let pending: WriteRequest[] = chunk.map((Item) => ({ PutRequest: { Item } }))
        let stalledSince = performance.now()
        for (let attempt = 0; pending.length; attempt++) {
          if (attempt > 0) {
            if (performance.now() - stalledSince >= windowMs) break
            await sleep(backoffDelay(attempt, options))
          }
          try {
            const out = await call(conn, 'BatchWriteItem', () => conn.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } })), table)
            const left = out.UnprocessedItems?.[table] ?? []
            result.written += pending.length - left.length
            if (left.length < pending.length) stalledSince = performance.now()
            pending = left
          } catch (err) {
            for (const r of pending) result.failed.push({ item: r.PutRequest?.Item ?? {}, reason: (err as Error).message })
            return
          }
        }
        for (const r of pending) result.failed.push({ item: r.PutRequest?.Item ?? {}, reason: `still unprocessed after ${Math.round(windowMs / 1000)}s without progress` })
      }),
    ),
  )
  return result
}
