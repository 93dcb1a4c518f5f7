import { createHash } from 'node:crypto'
import { join } from 'node:path'

import { connectionIdentity, type Connection } from '../connection/clients.js'
import type { BackoffOptions } from '../connection/retry.js'
import { runPagesInFlight } from '../data/pages-in-flight.js'
import type { WireItem } from '../data/values.js'
import { UserInputError } from '../errors.js'
import { dynxHome } from '../home.js'
import { ScanCheckpoint } from '../scan/checkpoint.js'
import { parallelScan, validateScanOptions, type ScanPage } from '../scan/parallel-scan.js'
import { DeadLetterFile, type DeadLetter } from './dead-letter.js'
import type { TransformOutcome } from './transform.js'
import { BatchWriter } from './writer.js'

/** What a copy has done so far; both its progress reports and its result carry these. */
export interface CopyCounts {
  source: string
  target: string
  /** Items read from the source in this run. */
  read: number
  written: number
  /** Items in the dead-letter file, those of the interrupted runs this one continues included. */
  deadLettered: number
  transformed: number
  dropped: number
  /** Writes sent again: unprocessed items, and retries of throttling, 5xx and network errors. */
  retries: number
  /** Throttled writes (and calls that came back with unprocessed items). */
  throttles: number
  /** Source Scan requests sent again by the retry policy. */
  readRetries: number
  /** Of those, throttled ones. */
  readThrottles: number
  seconds: number
}

export interface CopyProgress extends CopyCounts {
  /** Writers allowed at once (throttling lowers it). */
  writers: number
  /** Source segments allowed to read at once (throttling lowers it). */
  readers: number
  segmentsDone: number
  segmentsTotal: number
}

export interface CopyTableOptions {
  /** TotalSegments of the source scan (default 4, or the checkpoint's). */
  segments?: number
  /** Scan pages fetched at once (default min(segments, 8)). */
  scanConcurrency?: number
  /** BatchWriteItem calls at once (default 16). */
  writeConcurrency?: number
  /** Backoff for unprocessed items (default 50 ms doubling to 5 s, for the connection's retry window without progress). */
  backoff?: BackoffOptions
  pageLimit?: number
  maxRcu?: number
  maxWcu?: number
  /** From loadTransform: each source item becomes zero, one or several target items. */
  transform?: (item: WireItem) => Promise<TransformOutcome>
  /** What identifies the transform in the checkpoint (its resolved path). */
  transformId?: string
  /** Checkpoint file; default under ~/.dynx/checkpoints (see defaultCheckpointPath); false for none. */
  checkpoint?: string | false
  /** Dead-letter JSONL file, created only if an item fails (default under ~/.dynx/dead-letter). */
  deadLetter?: string
  signal?: AbortSignal
  /** Every page and every retry; once more with the final counts at the end, also when the copy fails. */
  onProgress?: (p: CopyProgress) => void
  /** Called once the checkpoint is opened, before the first read. */
  onStart?: (s: CopyStart) => void
  /** Read only these items or attributes of the source (a filter, a projection): what `dynx delete` reads. */
  select?: { filter?: string; names?: Record<string, string>; values?: WireItem; projection?: string }
  /**
   * Delete from the target (the source table itself is allowed) the keys read, instead of writing
   * items: `dynx delete` is this copy of a keys-only scan into BatchWriteItem DeleteRequests.
   */
  deletes?: boolean
  /** What the checkpoint is of (default 'copy'); a checkpoint of another kind is refused. */
  kind?: string
  /**
   * Ask for the write capacity each call consumed (default: only with maxWcu, which is paced by
   * it; asked for, it is work for the engine on every item). consumedWrite is reported when asked.
   */
  consumedCapacity?: boolean
}

export interface CopyStart {
  checkpoint?: string
  resumed: boolean
  segments: number
  segmentsToScan: number
  /** Where items that cannot be written go (created only when one fails). */
  deadLetterFile: string
}

export interface CopyTableResult extends CopyCounts {
  /** False when interrupted: the checkpoint holds the position. */
  complete: boolean
  resumed: boolean
  segments: number
  consumedRead: number
  /** Write capacity units the target reported, when asked (a --max-wcu budget, or consumedCapacity). */
  consumedWrite?: number
  itemsPerSecond: number
  checkpoint?: string
  deadLetterFile?: string
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_')
const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')

/**
 * ~/.dynx/checkpoints/SOURCE--TARGET-HASH.json; the hash of both connections' identities
 * (connectionIdentity: endpoint, region, profile) tells apart the same names elsewhere.
 */
export function defaultCheckpointPath(sourceId: string, sourceTable: string, targetId: string, targetTable: string): string {
  const where = createHash('sha256').update(`${sourceId}\n${targetId}`).digest('hex').slice(0, 8)
  return join(dynxHome(), 'checkpoints', `${fileSafe(sourceTable)}--${fileSafe(targetTable)}-${where}.json`)
}

export function defaultDeadLetterPath(sourceTable: string, targetTable: string): string {
  return join(dynxHome(), 'dead-letter', `${fileSafe(sourceTable)}--${fileSafe(targetTable)}-${stamp()}.jsonl`)
}

export const DEFAULT_COPY_SEGMENTS = 4
export const DEFAULT_WRITERS = 16

/** What a copy's checkpoint keeps besides positions: where its dead letters go and how many there are. */
interface CopyState {
  deadLetterFile: string
  deadLettered: number
}

/** Checks the numbers of a copy before anything is created or read. */
export function validateCopyOptions(o: Pick<CopyTableOptions, 'segments' | 'scanConcurrency' | 'pageLimit' | 'maxRcu' | 'maxWcu' | 'writeConcurrency'>): void {
  validateScanOptions({ segments: o.segments ?? DEFAULT_COPY_SEGMENTS, concurrency: o.scanConcurrency, pageLimit: o.pageLimit, maxRcu: o.maxRcu })
  if (o.maxWcu !== undefined && !(o.maxWcu > 0))
    throw new UserInputError(`--max-wcu must be above 0, got ${o.maxWcu}.`, 'Give write capacity units per second, e.g. --max-wcu 200.')
  const w = o.writeConcurrency ?? DEFAULT_WRITERS
  if (!Number.isInteger(w) || w < 1)
    throw new UserInputError(`--writers must be a whole number of at least 1, got ${w}.`, `Leave it out for ${DEFAULT_WRITERS} BatchWriteItem calls at once.`)
}

/**
 * Copies every item of `sourceTable` into the existing `targetTable` (which may be on another
 * connection): a parallel scan of wire items feeding a BatchWriter, pages in flight bounded so
 * memory stays flat whatever the table's size. A page counts as copied only when every item of it
 * is written or dead-lettered; only then may the checkpoint move past it, so a crash or kill at
 * any moment loses nothing and a re-run re-copies at most the pages that were in flight.
 */
export async function copyTable(source: Connection, sourceTable: string, target: Connection, targetTable: string, options: CopyTableOptions = {}): Promise<CopyTableResult> {
  const started = performance.now()
  const [sourceId, targetId] = await Promise.all([connectionIdentity(source), connectionIdentity(target)])
  if (sourceId === targetId && sourceTable === targetTable && !options.deletes)
    throw new UserInputError(`Source and target are the same table "${sourceTable}".`, 'Give a different target name, or a different --target-endpoint/--target-region.')
  const checkpointFile = options.checkpoint === false ? undefined : (options.checkpoint ?? defaultCheckpointPath(sourceId, sourceTable, targetId, targetTable))
  const segments = options.segments ?? (checkpointFile ? ScanCheckpoint.savedSegments(checkpointFile) : undefined) ?? DEFAULT_COPY_SEGMENTS
  validateCopyOptions({ ...options, segments })
  const writeConcurrency = options.writeConcurrency ?? DEFAULT_WRITERS

  const fingerprint = {
    source: sourceTable,
    target: targetTable,
    from: sourceId,
    to: targetId,
    transform: options.transformId ?? null,
    ...(options.select ? { select: options.select } : {}),
  }
  const checkpoint = checkpointFile
    ? ScanCheckpoint.open<CopyState>(checkpointFile, options.kind ?? 'copy', segments, fingerprint, {
        deadLetterFile: options.deadLetter ?? defaultDeadLetterPath(sourceTable, targetTable),
        deadLettered: 0,
      })
    : undefined
  const position = checkpoint?.resumed ? checkpoint.position() : undefined
  // A resumed copy appends to the dead-letter file of the run it continues, and counts what it held.
  const earlierDeadLetters = checkpoint?.resumed ? checkpoint.state.deadLettered : 0
  const segmentsToScan = segments - (position?.finished.length ?? 0)
  const deadLetterFile = checkpoint?.state.deadLetterFile ?? options.deadLetter ?? defaultDeadLetterPath(sourceTable, targetTable)
  options.onStart?.({ checkpoint: checkpointFile, resumed: Boolean(checkpoint?.resumed), segments, segmentsToScan, deadLetterFile })

  const abort = new AbortController()
  const onOuterAbort = () => abort.abort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) abort.abort()

  const scanConcurrency = options.scanConcurrency ?? Math.min(segments, 8)
  const counts = { read: 0, transformed: 0, dropped: 0, consumedRead: 0, segmentsDone: position?.finished.length ?? 0, readRetries: 0, readThrottles: 0, readers: scanConcurrency }
  const askWriteCapacity = options.consumedCapacity ?? Boolean(options.maxWcu)
  const writer = new BatchWriter(target, targetTable, {
    ...options.backoff,
    concurrency: writeConcurrency,
    maxWcu: options.maxWcu,
    signal: abort.signal,
    onRetry: () => options.onProgress?.(progress()),
    deletes: options.deletes,
    consumedCapacity: askWriteCapacity,
  })
  const deadLetter = new DeadLetterFile(deadLetterFile)
  const tally = (): CopyCounts => ({
    source: sourceTable,
    target: targetTable,
    read: counts.read,
    written: writer.stats.written,
    deadLettered: earlierDeadLetters + deadLetter.count,
    transformed: counts.transformed,
    dropped: counts.dropped,
    retries: writer.stats.retries,
    throttles: writer.stats.throttles,
    readRetries: counts.readRetries,
    readThrottles: counts.readThrottles,
    seconds: (performance.now() - started) / 1000,
  })
  const progress = (c = tally()): CopyProgress => ({ ...c, writers: writer.stats.concurrency, readers: counts.readers, segmentsDone: counts.segmentsDone, segmentsTotal: segments })

  // Pages handed to the writer and not yet fully acknowledged: two pages at least (so writers never
  // wait for the tail of one page), more small ones up to enough items to keep every writer busy
  // twice over. The scan's own permits bound what waits behind them.
  const maxInFlightItems = writeConcurrency * 25 * 2
  let lastSave = 0
  const saveCheckpoint = (force = false) => {
    if (!checkpoint) return
    const now = performance.now()
    if (!force && now - lastSave < 1000) return
    lastSave = now
    checkpoint.save()
  }

  const copyPage = async (page: ScanPage): Promise<void> => {
    let items = page.items
    const failed: DeadLetter[] = []
    if (options.transform) {
      items = []
      for (const item of page.items) {
        const out = await options.transform(item)
        if ('error' in out) failed.push({ table: targetTable, source: sourceTable, reason: out.error, item })
        else if (out.dropped) counts.dropped++
        else {
          counts.transformed++
          items.push(...out.items)
        }
      }
    }
    const failures = await writer.write(items)
    for (const f of failures) failed.push({ table: targetTable, source: sourceTable, reason: f.reason, item: f.item })
    deadLetter.add(failed)
    checkpoint?.commit(page, (state) => ({ ...state, deadLettered: state.deadLettered + failed.length }))
    if (!page.lastEvaluatedKey) counts.segmentsDone++
    saveCheckpoint()
  }

  let complete = false
  try {
    const pages = parallelScan(source, {
      table: sourceTable,
      segments,
      concurrency: scanConcurrency,
      pageLimit: options.pageLimit,
      maxRcu: options.maxRcu,
      resumeFrom: position,
      wireItems: true,
      ...options.select,
      signal: abort.signal,
      onProgress: (p) => {
        const retried = p.retries !== counts.readRetries
        Object.assign(counts, { readRetries: p.retries, readThrottles: p.throttles, readers: p.readers })
        // Pages report through the loop below; a retry (the scan waiting) is shown at once.
        if (retried) options.onProgress?.(progress())
      },
    })
    complete = await runPagesInFlight(pages, abort, {
      maxItems: maxInFlightItems,
      work: (page) => {
        counts.read += page.items.length
        counts.consumedRead += page.consumedCapacity
        return copyPage(page)
      },
      handedOut: () => options.onProgress?.(progress()),
    })
  } finally {
    abort.abort()
    options.signal?.removeEventListener('abort', onOuterAbort)
    if (complete) checkpoint?.remove()
    else saveCheckpoint(true)
    // Also on failure: what was read and written up to here (a caller keeps it for its summary).
    options.onProgress?.(progress())
  }
  const final = tally()
  return {
    ...final,
    complete,
    resumed: Boolean(checkpoint?.resumed),
    segments,
    consumedRead: counts.consumedRead,
    ...(askWriteCapacity ? { consumedWrite: writer.stats.consumedCapacity } : {}),
    itemsPerSecond: final.seconds > 0 ? Math.round(final.written / final.seconds) : 0,
    checkpoint: complete ? undefined : checkpointFile,
    ...(final.deadLettered ? { deadLetterFile: deadLetter.path } : {}),
  }
}
