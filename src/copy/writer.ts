import { BatchWriteItemCommand, type BatchWriteItemCommandInput, type BatchWriteItemCommandOutput } from '@aws-sdk/client-dynamodb'
import type { BuildHandler, BuildHandlerArguments, HttpRequest, InitializeHandler } from '@smithy/types'
import { setTimeout as sleep } from 'node:timers/promises'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { DEFAULT_RETRY_WINDOW_MS, backoffDelay, withRetryListener, type BackoffOptions, type RetryEvent } from '../connection/retry.js'
import { AdaptiveConcurrency } from '../data/aimd.js'
import { TokenBucket } from '../data/rate-limit.js'
import { toWireItem, type WireItem } from '../data/values.js'
import { NoProgressError } from '../errors.js'

/** DynamoDB's limit of write requests per BatchWriteItem call. */
export const BATCH_SIZE = 25

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
  /** Requests sent again: unprocessed items, and the SDK's retries of throttling, 5xx and network errors. */
  retries: number
  /** Throttled requests and calls that came back with unprocessed items. */
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
  /** Told after each retry (the stats already count it), e.g. to show the waiting. */
  onRetry?: (event: RetryEvent) => void
  /** The items given are keys to delete (DeleteRequest) rather than items to put. */
  deletes?: boolean
  /**
   * Ask DynamoDB for the capacity each call consumed (default true; always with maxWcu, which is
   * paced by it). Off, stats.consumedCapacity stays 0 and the engine does less work per write.
   */
  consumedCapacity?: boolean
}

/**
 * Writes wire items to one table with BatchWriteItem, 25 at a time and `concurrency` calls at
 * once. Throttling, 5xx and network errors are retried by the connection's retry policy (the SDK
 * strategy, TimeBoundRetryStrategy); what only dynx can do is done here: unprocessed items are
 * sent again with capped exponential backoff and full jitter until the retry window passes without
 * progress (then NoProgressError: the items are fine, so they are not dead-lettered), and
 * throttling of either kind halves the number of writers (AdaptiveConcurrency, raised again one by
 * one as calls succeed), so a busy table is eased off rather than hammered. A batch rejected
 * because of one of its items is split until that item is alone; it is then returned as failed
 * with DynamoDB's reason. An error the policy gave up on fails the write.
 *
 * The request body is the items' own JSON (they already are DynamoDB's wire format), built in one
 * JSON.stringify instead of the SDK's per-value serializer.
 */
export class BatchWriter {
  readonly stats: WriteStats
  private readonly writers: AdaptiveConcurrency
  private readonly bucket?: TokenBucket
  private readonly windowMs: number
  /** Estimated WCU per item, from what the target reported so far. */
  private unitsPerItem = 1
  /** Aborted at the first failure that is not about one item (or by options.signal): every other batch stops. */
  private readonly stop = new AbortController()
  private readonly signal: AbortSignal
  /** That first failure, thrown by this and every later write. */
  private failure?: unknown
  private readonly askCapacity: boolean

  constructor(
    private readonly conn: Connection,
    readonly table: string,
    private readonly options: BatchWriterOptions = {},
  ) {
    this.writers = new AdaptiveConcurrency(options.concurrency ?? 16)
    this.bucket = options.maxWcu ? new TokenBucket(options.maxWcu) : undefined
    this.askCapacity = Boolean(options.maxWcu) || options.consumedCapacity !== false
    this.windowMs = options.windowMs ?? conn.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS
    this.stats = { written: 0, failed: 0, retries: 0, throttles: 0, consumedCapacity: 0, concurrency: this.writers.max }
    this.signal = options.signal ? AbortSignal.any([options.signal, this.stop.signal]) : this.stop.signal
  }

  /** The SDK retrying one of this writer's calls. */
  private readonly heardRetry = (event: RetryEvent): void => {
    this.stats.retries++
    if (event.kind === 'throttle') this.throttled()
    this.options.onRetry?.(event)
  }

  /**
   * Writes all `items` (any number); resolves when each is written or failed. Never rejects for an
   * item's sake. The first failure that is not about one item stops the other batches, queued or in
   * flight (their calls are aborted, not left to wait out their own retry windows), and is thrown by
   * this and every later write, once no batch of this writer is running any more.
   */
  async write(items: WireItem[]): Promise<WriteFailure[]> {
    if (this.failure !== undefined) throw this.failure
    const failures: WriteFailure[] = []
    const chunks: Promise<void>[] = []
    for (let i = 0; i < items.length; i += BATCH_SIZE) {
      const chunk = items.slice(i, i + BATCH_SIZE)
      chunks.push(this.writers.run(() => this.writeChunk(chunk, failures).catch((err: unknown) => this.stopAll(err))))
    }
    await Promise.all(chunks)
    if (this.failure !== undefined) throw this.failure
    return failures
  }

  /** One batch until every item is written or failed. */
  private async writeChunk(chunk: WireItem[], failures: WriteFailure[]): Promise<void> {
    let pending = chunk
    // Time without progress: a slow but moving table is not given up on.
    let stalledSince = performance.now()
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > 0) {
        if (performance.now() - stalledSince >= this.windowMs) {
          throw new NoProgressError(
            `Writes to ${this.table} made no progress for ${Math.round(this.windowMs / 1000)}s: DynamoDB kept returning ${pending.length} items unprocessed (throttled).`,
            "Progress is saved: re-run to continue, with fewer --writers, a --max-wcu below the table's write capacity, or a longer --retry-for.",
          )
        }
        this.stats.retries++
        await this.pause(backoffDelay(attempt, this.options))
      }
      if (this.signal.aborted) {
        // Stopping: what is left was not acknowledged, so its page is not committed and is read again on resume.
        throw this.signal.reason ?? new Error('aborted')
      }
      const estimate = pending.length * this.unitsPerItem
      if (this.bucket) await this.bucket.acquire(estimate, this.signal)
      let out: BatchWriteItemCommandOutput
      try {
        const batch = pending
        out = await withRetryListener(this.heardRetry, () =>
          call(
            this.conn,
            'BatchWriteItem',
            () => this.conn.dynamodb.send(rawBatchWrite(this.table, batch, this.options.deletes, this.askCapacity), { abortSignal: this.signal }),
            this.table,
          ),
        )
      } catch (err) {
        this.bucket?.charge(-estimate)
        if (ITEM_ERRORS.has((err as Error).name)) {
          await this.isolate(pending, err as Error, failures)
          return
        }
        // Throttling, 5xx and network errors were retried by the connection's policy for its whole window.
        throw err
      }
      const consumed = (out.ConsumedCapacity ?? []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0)
      const left = (out.UnprocessedItems?.[this.table] ?? []).map((r) => toWireItem(r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {}))
      const done = pending.length - left.length
      this.stats.written += done
      this.stats.consumedCapacity += consumed
      if (this.bucket) this.bucket.charge(consumed - estimate)
      if (consumed > 0 && done > 0) this.unitsPerItem = this.unitsPerItem * 0.8 + (consumed / done) * 0.2
      if (left.length) this.throttled()
      else this.succeeded()
      if (done > 0) stalledSince = performance.now()
      pending = left
    }
  }

  /** Stops every batch, before the failed one's slot lets a queued batch start. The stop's own echo (a batch cut short by it) is not the cause. */
  private stopAll(err: unknown): void {
    if (this.failure !== undefined) return
    this.failure = err
    this.stop.abort(err)
  }

  /** A backoff that Ctrl-C cuts short. */
  private async pause(ms: number): Promise<void> {
    const signal = this.signal
    try {
      await sleep(ms, undefined, { signal })
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err
      throw err
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
    this.writers.throttled()
    this.stats.concurrency = this.writers.concurrency
  }

  private succeeded(): void {
    this.writers.succeeded()
    this.stats.concurrency = this.writers.concurrency
  }
}

/**
 * A BatchWriteItem whose body is JSON.stringify of the wire items. The command carries the real
 * input (for anything that inspects it, such as aws-sdk-client-mock), but the SDK's serializer is
 * handed an empty one, and the body is set just before the SDK computes the length and signs.
 */
export function rawBatchWrite(table: string, items: WireItem[], deletes = false, consumedCapacity = true): BatchWriteItemCommand {
  const requests = deletes ? items.map((Key) => ({ DeleteRequest: { Key } })) : items.map((Item) => ({ PutRequest: { Item } }))
  const ReturnConsumedCapacity = consumedCapacity ? 'TOTAL' : 'NONE'
  const input = { RequestItems: { [table]: requests }, ReturnConsumedCapacity } satisfies BatchWriteItemCommandInput
  const command = new BatchWriteItemCommand(input)
  const empty: BatchWriteItemCommandInput = { RequestItems: { [table]: [] }, ReturnConsumedCapacity }
  command.middlewareStack.add((next: InitializeHandler<BatchWriteItemCommandInput, BatchWriteItemCommandOutput>) => (args) => next({ ...args, input: empty }), {
    step: 'initialize',
    priority: 'high',
    name: 'dynxRawBatchWriteInput',
  })
  command.middlewareStack.add(
    (next: BuildHandler<BatchWriteItemCommandInput, BatchWriteItemCommandOutput>) => (args: BuildHandlerArguments<BatchWriteItemCommandInput>) => {
      const request = args.request as HttpRequest
      // Bytes, not a string: the SDK hashes them for the signature and the socket writes them, each without encoding the text again.
      request.body = Buffer.from(JSON.stringify(input))
      delete request.headers['content-length']
      return next(args)
    },
    { step: 'build', priority: 'high', name: 'dynxRawBatchWriteBody' },
  )
  return command
}
