import { BatchWriteItemCommand, type BatchWriteItemCommandInput, type BatchWriteItemCommandOutput } from '@aws-sdk/client-dynamodb'
import type { BuildHandler, BuildHandlerArguments, HttpRequest, InitializeHandler } from '@smithy/types'
import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { backoffDelay, type BackoffOptions } from '../data/batch-write.js'
import { TokenBucket } from '../data/rate-limit.js'
import { toWireItem, type WireItem } from '../data/values.js'

/** DynamoDB's limit of write requests per BatchWriteItem call. */
export const BATCH_SIZE = 25

/** Errors that mean "too fast": retried after a backoff, and they slow every writer down. */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'])
/** Errors that may pass on a later try. */
const TRANSIENT = new Set(['InternalServerError', 'ServiceUnavailable', 'ServiceUnavailableException'])
/**
 * Errors caused by an item of the batch (a key of the wrong type, an item too large, duplicate
 * keys from a transform): the batch is split to find the item, which is reported, not retried.
 */
const ITEM_ERRORS = new Set(['ValidationException', 'ItemCollectionSizeLimitExceededException', 'SerializationException'])

export interface WriteFailure {
  item: WireItem
  reason: string
}

export interface WriteStats {
  written: number
  failed: number
  /** Requests sent again: unprocessed items, throttling, transient errors. */
  retries: number
  throttles: number
  /** Write capacity units the target reported (its GSIs included). */
  consumedCapacity: number
  /** Writers allowed at once right now (lowered by throttling, raised again by success). */
  concurrency: number
}

export interface BatchWriterOptions extends BackoffOptions {
  /** BatchWriteItem calls in flight at most (default 16). */
  concurrency?: number
  /** Write capacity units per second across all writers. */
  maxWcu?: number
  signal?: AbortSignal
}

/**
 * Writes wire items to one table with BatchWriteItem, 25 at a time and `concurrency` calls at
 * once. Unprocessed items and throttling are retried with capped exponential backoff and full
 * jitter; throttling also halves the number of writers (raised again one by one as calls succeed),
 * so a busy table is eased off rather than hammered. A batch rejected because of one of its items
 * is split until that item is alone; it is then returned as failed with DynamoDB's reason.
 *
 * The request body is the items' own JSON (they already are DynamoDB's wire format), built in one
 * JSON.stringify instead of the SDK's per-value serializer.
 */
export class BatchWriter {
  readonly stats: WriteStats
  private readonly limit: ReturnType<typeof pLimit>
  private readonly bucket?: TokenBucket
  private readonly maxAttempts: number
  private readonly maxConcurrency: number
  private successesSinceChange = 0
  private lastDecrease = 0
  /** Estimated WCU per item, from what the target reported so far. */
  private unitsPerItem = 1

  constructor(
    private readonly conn: Connection,
    readonly table: string,
    private readonly options: BatchWriterOptions = {},
  ) {
    this.maxConcurrency = Math.max(1, options.concurrency ?? 16)
    this.limit = pLimit(this.maxConcurrency)
    this.bucket = options.maxWcu ? new TokenBucket(options.maxWcu) : undefined
    this.maxAttempts = options.maxAttempts ?? 15
    this.stats = { written: 0, failed: 0, retries: 0, throttles: 0, consumedCapacity: 0, concurrency: this.maxConcurrency }
  }

  /** Writes all `items` (any number); resolves when each is written or failed. Never rejects for an item's sake. */
  async write(items: WireItem[]): Promise<WriteFailure[]> {
    const failures: WriteFailure[] = []
    const chunks: Promise<void>[] = []
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      const chunk = items.slice(i, i + BATCH_SIZE)
      chunks.push(this.limit(() => this.writeChunk(chunk, failures)))
    }
    await Promise.all(chunks)
    return failures
  }

  /** One batch until every item is written or failed. */
  private async writeChunk(chunk: WireItem[], failures: WriteFailure[]): Promise<void> {
    let pending = chunk
    // Attempts in a row that wrote nothing: a slow but moving table is not given up on.
    let stalled = 0
    for (let attempt = 0; pending.length; attempt++, stalled++) {
      if (stalled >= this.maxAttempts) {
        this.fail(pending, `still unprocessed or throttled after ${this.maxAttempts} attempts in a row`, failures)
        return
      }
      if (attempt > 0) {
        this.stats.retries++
        await sleep(backoffDelay(attempt, this.options))
      }
      if (this.options.signal?.aborted) {
        // Stopping: what is left was not acknowledged, so its page is not committed and is read again on resume.
        throw this.options.signal.reason ?? new Error('aborted')
      }
      const estimate = pending.length * this.unitsPerItem
      if (this.bucket) await this.bucket.acquire(estimate, this.options.signal)
      let out: BatchWriteItemCommandOutput
      try {
        out = await call(this.conn, 'BatchWriteItem', () => this.conn.dynamodb.send(rawBatchWrite(this.table, pending), { abortSignal: this.options.signal }), this.table)
      } catch (err) {
        this.bucket?.charge(-estimate)
        const name = (err as Error).name
        if (THROTTLING.has(name)) {
          this.throttled()
          continue
        }
        if (TRANSIENT.has(name)) continue
        if (ITEM_ERRORS.has(name)) {
          await this.isolate(pending, err as Error, failures)
          return
        }
        throw err
      }
      const consumed = (out.ConsumedCapacity ?? []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0)
      const left = (out.UnprocessedItems?.[this.table] ?? []).map((r) => toWireItem(r.PutRequest?.Item ?? {}))
      const done = pending.length - left.length
      this.stats.written += done
      this.stats.consumedCapacity += consumed
      if (this.bucket) this.bucket.charge(consumed - estimate)
      if (consumed > 0 && done > 0) this.unitsPerItem = this.unitsPerItem * 0.8 + (consumed / done) * 0.2
      if (left.length) this.throttled()
      else this.succeeded()
      if (done > 0) stalled = -1
      pending = left
    }
  }

  /** Splits a rejected batch in halves until the items that cause the rejection stand alone. */
  private async isolate(batch: WireItem[], err: Error, failures: WriteFailure[]): Promise<void> {
    if (batch.length === 1) {
      this.fail(batch, `${err.name}: ${err.message}`, failures)
      return
    }
    const half = Math.ceil(batch.length / 2)
    await this.writeChunk(batch.slice(0, half), failures)
    await this.writeChunk(batch.slice(half), failures)
  }

  private fail(items: WireItem[], reason: string, failures: WriteFailure[]): void {
    for (const item of items) failures.push({ item, reason })
    this.stats.failed += items.length
  }

  private throttled(): void {
    this.stats.throttles++
    const now = performance.now()
    // One halving per second: the calls already in flight report the same congestion.
    if (now - this.lastDecrease < 1000) return
    this.lastDecrease = now
    this.setConcurrency(Math.max(1, Math.floor(this.limit.concurrency / 2)))
  }

  private succeeded(): void {
    if (this.limit.concurrency >= this.maxConcurrency) return
    if (++this.successesSinceChange >= this.limit.concurrency) this.setConcurrency(this.limit.concurrency + 1)
  }

  private setConcurrency(n: number): void {
    this.successesSinceChange = 0
    this.limit.concurrency = n
    this.stats.concurrency = n
  }
}

/**
 * A BatchWriteItem whose body is JSON.stringify of the wire items. The command carries the real
 * input (for anything that inspects it, such as aws-sdk-client-mock), but the SDK's serializer is
 * handed an empty one, and the body is set just before the SDK computes the length and signs.
 */
export function rawBatchWrite(table: string, items: WireItem[]): BatchWriteItemCommand {
  const input = { RequestItems: { [table]: items.map((Item) => ({ PutRequest: { Item } })) }, ReturnConsumedCapacity: 'TOTAL' } satisfies BatchWriteItemCommandInput
  const command = new BatchWriteItemCommand(input)
  const empty: BatchWriteItemCommandInput = { RequestItems: { [table]: [] }, ReturnConsumedCapacity: 'TOTAL' }
  command.middlewareStack.add((next: InitializeHandler<BatchWriteItemCommandInput, BatchWriteItemCommandOutput>) => (args) => next({ ...args, input: empty }), {
    step: 'initialize',
    priority: 'high',
    name: 'dynxRawBatchWriteInput',
  })
  command.middlewareStack.add(
    (next: BuildHandler<BatchWriteItemCommandInput, BatchWriteItemCommandOutput>) => (args: BuildHandlerArguments<BatchWriteItemCommandInput>) => {
      const request = args.request as HttpRequest
      request.body = JSON.stringify(input)
      delete request.headers['content-length']
      return next(args)
    },
    { step: 'build', priority: 'high', name: 'dynxRawBatchWriteBody' },
  )
  return command
}
