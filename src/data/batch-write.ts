import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb'
import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import type { Item } from './values.js'


export interface BackoffOptions {
  baseMs?: number
  capMs?: number
  /** Attempts per batch before its remaining items count as failed. */
  maxAttempts?: number
}

/** Exponential backoff with full jitter (AWS architecture blog), capped. */
export function backoffDelay(attempt: number, { baseMs = 50, capMs = 5_000 }: BackoffOptions = {}): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt)
}

const RETRYABLE = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError'])

export interface BatchWriteResult {
  written: number
  /** Items that could not be written, with why; never dropped silently. */
  failed: { item: Item; reason: string }[]
}

/**
 * Writes items with BatchWriteItem in chunks of 25, `concurrency` batches at a time. Unprocessed
 * items and throttling are retried with backoff; what still fails is returned, not dropped.
 */
export async function batchWriteItems(conn: Connection, table: string, items: Item[], options: BackoffOptions & { concurrency?: number } = {}): Promise<BatchWriteResult> {
  const maxAttempts = options.maxAttempts ?? 10
  const limit = pLimit(options.concurrency ?? 4)
  const result: BatchWriteResult = { written: 0, failed: [] }
  const chunks: Item[][] = []
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25))
  await Promise.all(
    chunks.map((chunk) =>
      limit(async () => {
        let pending: WriteRequest[] = chunk.map((Item) => ({ PutRequest: { Item } }))
        for (let attempt = 0; pending.length && attempt < maxAttempts; attempt++) {
          if (attempt > 0) await sleep(backoffDelay(attempt, options))
          try {
            const out = await call(conn, 'BatchWriteItem', () => conn.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } })), table)
            const left = out.UnprocessedItems?.[table] ?? []
            result.written += pending.length - left.length
            pending = left
          } catch (err) {
            if (!RETRYABLE.has((err as Error).name)) {
              for (const r of pending) result.failed.push({ item: r.PutRequest?.Item ?? {}, reason: (err as Error).message })
              return
            }
          }
        }
        for (const r of pending) result.failed.push({ item: r.PutRequest?.Item ?? {}, reason: `still unprocessed after ${maxAttempts} attempts` })
      }),
    ),
  )
  return result
}
