import { DynamoDBClient, type ScanCommandInput, type ScanCommandOutput } from '@aws-sdk/client-dynamodb'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { withRetryListener, type RetryEvent } from '../connection/retry.js'
import { AdaptiveConcurrency } from '../data/aimd.js'
import { TokenBucket } from '../data/rate-limit.js'
import type { Item } from '../data/values.js'
import { UserInputError } from '../errors.js'
import { rawItemsScan } from './raw-scan.js'

/** DynamoDB's own ceiling for TotalSegments. */
export const MAX_SEGMENTS = 1_000_000
const BYTES_PER_SEGMENT = 2 * 1024 ** 3

/** AWS guidance: about one segment per 2 GB of table, at least one. */
export function defaultSegmentCount(tableSizeBytes: number | undefined): number {
  return Math.min(MAX_SEGMENTS, Math.max(1, Math.ceil((tableSizeBytes ?? 0) / BYTES_PER_SEGMENT)))
}

/** Where a scan stands: finished segments and the key each unfinished one continues after. */
export interface ScanPosition {
  segments: number
  finished: number[]
  next: Record<string, Item>
}

export interface ScanPage {
  segment: number
  /** Index of this page within its segment in this run, from 0 (checkpoints commit in this order). */
  seq: number
  items: Item[]
  /** Items that matched (for Select COUNT the only result). */
  count: number
  /** Items read before the filter. */
  scannedCount: number
  /** Where the segment continues; undefined when this page finished it. */
  lastEvaluatedKey?: Item
  consumedCapacity: number
}

export interface ScanProgress {
  items: number
  scanned: number
  pages: number
  consumedCapacity: number
  segmentsDone: number
  segmentsTotal: number
  /** Scan requests sent again by the retry policy (throttling, 5xx, resets, timeouts). */
  retries: number
  /** Of those, throttled ones. */
  throttles: number
  /** Segments allowed to read at once right now (throttling halves it, success raises it again). */
  readers: number
}

export interface ParallelScanOptions {
  table: string
  index?: string
  /** TotalSegments; see defaultSegmentCount. */
  segments: number
  /** Pages fetched or waiting at once (default min(segments, 32)); bounds memory. */
  concurrency?: number
  /** Scan only these segments of `segments` (e.g. one machine's share). */
  segmentList?: number[]
  filter?: string
  names?: Record<string, string>
  values?: Item
  projection?: string
  consistentRead?: boolean
  /** Limit per Scan request (items read, before the filter). */
  pageLimit?: number
  select?: 'COUNT'
  /** Continue from a saved position: finished segments are skipped. */
  resumeFrom?: ScanPosition
  /** Read capacity units per second across all segments. */
  maxRcu?: number
  onProgress?: (progress: ScanProgress) => void
  signal?: AbortSignal
  /**
   * Hand out items as DynamoDB's wire JSON: binary (B, BS) stays base64 text instead of
   * Uint8Array, so an item can be written back or hashed with JSON.stringify (see WireItem).
   */
  wireItems?: boolean
}

type ScanTarget = Connection | DynamoDBClient

/**
 * Parallel segmented Scan as an async iterable of pages of raw AttributeValue items.
 *
 * Segments are handed out from a work queue to `concurrency` workers; each worker holds a permit
 * per page it fetches, returned when the consumer takes the page, so at most `concurrency` pages
 * exist beyond the one the consumer holds, however large the table.
 *
 * Throttling is ridden out like the copy's writers do: each request is retried by the connection's
 * policy (backoff per segment, for the retry window), and the segments share an
 * AdaptiveConcurrency that halves the number of requests in flight while throttled and raises it
 * one at a time as pages come back. Every retry is reported through onProgress.
 */
export async function* parallelScan(target: ScanTarget, options: ParallelScanOptions): AsyncGenerator<ScanPage, void, undefined> {
  const { table, segments } = options
  validateScanOptions(options)
  const conn: Connection = target instanceof DynamoDBClient ? ({ dynamodb: target, label: 'DynamoDB' } as Connection) : target
  const resume = options.resumeFrom
  if (resume && resume.segments !== segments) {
    throw new UserInputError(
      `The saved position is for ${resume.segments} segments, not ${segments}.`,
      `Run with --segments ${resume.segments}, or start over without the checkpoint.`,
    )
  }
  const finished = new Set(resume?.finished ?? [])
  const wanted = options.segmentList ?? Array.from({ length: segments }, (_, i) => i)
  const todo = wanted.filter((s) => !finished.has(s))
  const concurrency = Math.max(1, Math.min(options.concurrency ?? Math.min(segments, 32), todo.length || 1))
  const bucket = options.maxRcu ? new TokenBucket(options.maxRcu) : undefined

  const abort = new AbortController()
  const onOuterAbort = () => abort.abort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) abort.abort()

  const readers = new AdaptiveConcurrency(concurrency)
  const progress: ScanProgress = {
    items: 0,
    scanned: 0,
    pages: 0,
    consumedCapacity: 0,
    segmentsDone: wanted.length - todo.length,
    segmentsTotal: wanted.length,
    retries: 0,
    throttles: 0,
    readers: concurrency,
  }
  const heardRetry = (event: RetryEvent) => {
    progress.retries++
    if (event.kind === 'throttle') {
      progress.throttles++
      readers.throttled()
      progress.readers = readers.concurrency
    }
    options.onProgress?.({ ...progress })
  }
  const queue: ScanPage[] = []
  let permits = concurrency
  let permitWaiters: (() => void)[] = []
  let wake: (() => void) | undefined
  let failure: unknown
  let running = 0
  const signalConsumer = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const takePermit = async () => {
    while (permits === 0 && !abort.signal.aborted) await new Promise<void>((r) => permitWaiters.push(r))
    permits--
  }
  const wakePermitWaiters = () => {
    const waiters = permitWaiters
    permitWaiters = []
    for (const w of waiters) w()
  }
  const givePermit = () => {
    permits++
    wakePermitWaiters()
  }
  abort.signal.addEventListener('abort', () => {
    wakePermitWaiters()
    signalConsumer()
  })

  // What a page costs, estimated from the pages so far: reserved before each request so that
  // concurrent workers share the budget instead of all spending the same credit.
  let pageCost = options.pageLimit ? Math.min(128, Math.max(1, options.pageLimit / 2)) : 128
  // The same for every page; each request adds its segment and start key.
  const request: ScanCommandInput = {
    TableName: table,
    IndexName: options.index,
    TotalSegments: segments,
    FilterExpression: options.filter,
    ExpressionAttributeNames: options.names && Object.keys(options.names).length ? options.names : undefined,
    ExpressionAttributeValues: options.values && Object.keys(options.values).length ? options.values : undefined,
    ProjectionExpression: options.projection,
    ConsistentRead: options.consistentRead || undefined,
    Limit: options.pageLimit,
    Select: options.select,
    ReturnConsumedCapacity: bucket ? 'TOTAL' : undefined,
  }
  let nextSegment = 0
  const worker = async () => {
    while (nextSegment < todo.length && !abort.signal.aborted) {
      const segment = todo[nextSegment++]
      let startKey: Item | undefined = resume?.next[String(segment)]
      let seq = 0
      do {
        await takePermit()
        if (abort.signal.aborted) return
        const reserved = bucket ? pageCost : 0
        if (bucket) await bucket.acquire(reserved, abort.signal)
        if (abort.signal.aborted) return
        let out: ScanCommandOutput
        const scan = rawItemsScan({ ...request, Segment: segment, ExclusiveStartKey: startKey }, options.wireItems)
        try {
          out = await readers.run(() => withRetryListener(heardRetry, () => call(conn, 'Scan', () => conn.dynamodb.send(scan.command, { abortSignal: abort.signal }), table)))
          readers.succeeded()
          progress.readers = readers.concurrency
        } catch (err) {
          bucket?.charge(-reserved)
          if (abort.signal.aborted) return
          throw err
        }
        const consumed = out.ConsumedCapacity?.CapacityUnits ?? 0
        if (bucket) {
          bucket.charge(consumed - reserved)
          pageCost = Math.max(0.5, pageCost * 0.7 + consumed * 0.3)
        }
        startKey = out.LastEvaluatedKey
        queue.push({
          segment,
          seq: seq++,
          items: scan.items() ?? out.Items ?? [],
          count: out.Count ?? 0,
          scannedCount: out.ScannedCount ?? 0,
          lastEvaluatedKey: startKey,
          consumedCapacity: consumed,
        })
        signalConsumer()
      } while (startKey && !abort.signal.aborted)
    }
  }

  const workers = Array.from({ length: todo.length ? concurrency : 0 }, async () => {
    running++
    try {
      await worker()
    } catch (err) {
      failure ??= err
      abort.abort()
    } finally {
      running--
      signalConsumer()
    }
  })

  try {
    for (;;) {
      if (failure) throw failure
      const page = queue.shift()
      if (page) {
        givePermit()
        if (abort.signal.aborted) continue
        progress.pages++
        progress.items += page.count
        progress.scanned += page.scannedCount
        progress.consumedCapacity += page.consumedCapacity
        if (!page.lastEvaluatedKey) progress.segmentsDone++
        options.onProgress?.({ ...progress })
        yield page
        continue
      }
      if (running === 0) break
      await new Promise<void>((r) => {
        wake = r
      })
    }
    if (failure) throw failure
  } finally {
    abort.abort()
    options.signal?.removeEventListener('abort', onOuterAbort)
    await Promise.allSettled(workers)
  }
}

export function validateScanOptions(o: Pick<ParallelScanOptions, 'segments' | 'segmentList' | 'concurrency' | 'pageLimit' | 'maxRcu'>): void {
  if (!Number.isInteger(o.segments) || o.segments < 1 || o.segments > MAX_SEGMENTS) {
    throw new UserInputError(
      `--segments must be a whole number from 1 to ${MAX_SEGMENTS}, got ${o.segments}.`,
      'Use --segments 1 for a plain scan, or about one segment per 2 GB of table (the default).',
    )
  }
  for (const s of o.segmentList ?? []) {
    if (!Number.isInteger(s) || s < 0 || s >= o.segments) {
      throw new UserInputError(`Segment ${s} is outside 0..${o.segments - 1} (of --segments ${o.segments}).`, `Give a --segment-range within 0-${o.segments - 1}.`)
    }
  }
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency < 1)) {
    throw new UserInputError(`--concurrency must be a whole number of at least 1, got ${o.concurrency}.`, 'Use about as many as --segments.')
  }
  if (o.pageLimit !== undefined && (!Number.isInteger(o.pageLimit) || o.pageLimit < 1)) {
    throw new UserInputError(`--page-size must be a whole number of at least 1, got ${o.pageLimit}.`, 'Leave it out to read 1 MB pages.')
  }
  if (o.maxRcu !== undefined && !(o.maxRcu > 0)) throw new UserInputError(`--max-rcu must be above 0, got ${o.maxRcu}.`, 'Give read capacity units per second, e.g. --max-rcu 100.')
}
