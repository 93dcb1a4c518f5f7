import type { Connection } from '../connection/clients.js'
import type { BackoffOptions } from '../connection/retry.js'
import { BatchWriter } from '../copy/writer.js'
import { fromWireItem, toWireItem, type Item } from './values.js'

export interface BatchWriteResult {
  written: number
  /** Items that could not be written for their own sake (DynamoDB rejected them), with why; never dropped silently. */
  failed: { item: Item; reason: string }[]
}

/**
 * Writes items with BatchWriteItem, 25 at a time and `concurrency` calls at once, through the
 * copy engine's BatchWriter (one writer, one set of give-up rules). An item DynamoDB rejects is
 * returned with its reason; anything else (the retry window passed on throttling, 5xx or network
 * errors, or items left unprocessed without progress) stops every other batch and rejects.
 */
export async function batchWriteItems(conn: Connection, table: string, items: Item[], options: BackoffOptions & { concurrency?: number } = {}): Promise<BatchWriteResult> {
  const writer = new BatchWriter(conn, table, { ...options, concurrency: options.concurrency ?? 4 })
  const failures = await writer.write(items.map(toWireItem))
  return { written: writer.stats.written, failed: failures.map((f) => ({ item: fromWireItem(f.item), reason: f.reason })) }
}
