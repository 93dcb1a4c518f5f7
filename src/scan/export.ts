import type { KeySchemaElement, TableDescription } from '@aws-sdk/client-dynamodb'
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Writable } from 'node:stream'

import type { Connection } from '../connection/clients.js'
import { rawItemJson, type Item } from '../data/values.js'
import { UserInputError, attachPartialResult } from '../errors.js'
import type { Outcome } from '../outcome.js'
import { describeTableRaw } from '../tables/describe.js'
import { ScanCheckpoint } from './checkpoint.js'
import { buildProjection } from './expressions.js'
import { defaultSegmentCount, parallelScan, validateScanOptions, type ParallelScanOptions, type ScanPage, type ScanProgress } from './parallel-scan.js'
import { ScanOutput, type OutputState, type ScanFormat } from './output.js'

export interface ScanRequest {
  table: string
  index?: string
  /** Default: one per 2 GB of table (defaultSegmentCount). */
  segments?: number
  concurrency?: number
  /** Inclusive range of segments to scan, e.g. [0, 3] of 16. */
  segmentRange?: [number, number]
  filter?: string
  names?: Record<string, string>
  values?: Item
  /** Attribute paths to return; reserved words are escaped. */
  attributes?: string[]
  consistentRead?: boolean
  pageLimit?: number
  maxRcu?: number
  /** Percent of the table's (or index's) provisioned read capacity. */
  rcuPercent?: number
  signal?: AbortSignal
}

/** Everything checked and looked up before the first item is read or any file is opened. */
export interface PreparedScan {
  options: ParallelScanOptions
  description: TableDescription
  keyNames: string[]
  /** CSV columns from --attributes. */
  columns?: string[]
  /** DynamoDB's estimate (updated about every 6 hours); 0 when unknown. */
  estimatedItems: number
}

/** The table's key attributes, then the scanned index's (CSV and table columns put these first). */
function keyNamesOf(d: TableDescription, index?: { KeySchema?: KeySchemaElement[] }): string[] {
  const names = (d.KeySchema ?? []).map((k) => k.AttributeName!)
  for (const k of index?.KeySchema ?? []) if (!names.includes(k.AttributeName!)) names.push(k.AttributeName!)
  return names
}

/** Validates a scan request against the live table: index exists, capacity known for --rcu-percent. */
export async function prepareScan(conn: Connection, req: ScanRequest): Promise<PreparedScan> {
  if (req.maxRcu !== undefined && req.rcuPercent !== undefined)
    throw new UserInputError('Give --max-rcu or --rcu-percent, not both.', 'Keep the one that states the budget you mean.')
  if (req.rcuPercent !== undefined && !(req.rcuPercent > 0 && req.rcuPercent <= 100)) {
    throw new UserInputError(
      `--rcu-percent must be above 0 and at most 100, got ${req.rcuPercent}.`,
      'For example --rcu-percent 25 uses a quarter of the provisioned read capacity.',
    )
  }
  if (req.values && !req.filter) throw new UserInputError('--values is only used by --filter.', 'Add a --filter that uses the :placeholders, or leave out --values.')
  const projection = req.attributes?.length ? buildProjection(req.attributes) : undefined
  if (req.segmentRange && req.segments === undefined)
    throw new UserInputError('--segment-range needs --segments.', 'Give the total, e.g. --segments 16 --segment-range 0-3, the same on every machine.')
  const segmentList = req.segmentRange ? range(req.segmentRange[0], req.segmentRange[1]) : undefined
  // Checked before any call; a default segment count (computed below) is always valid.
  validateScanOptions({ segments: req.segments ?? 1, segmentList, concurrency: req.concurrency, pageLimit: req.pageLimit, maxRcu: req.maxRcu })

  const d = await describeTableRaw(conn, req.table)
  const { gsi, lsi, keyNames } = readIndex(d, req.table, req.index, req.consistentRead, 'scan')

  let maxRcu = req.maxRcu
  if (req.rcuPercent !== undefined) {
    const provisioned = gsi ? gsi.ProvisionedThroughput?.ReadCapacityUnits : d.ProvisionedThroughput?.ReadCapacityUnits
    const onDemand = d.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' || !provisioned
    if (onDemand) {
      throw new UserInputError(
        `"${req.table}"${req.index ? ` index ${req.index}` : ''} is on-demand, so it has no provisioned read capacity to take a percent of.`,
        'Give an absolute budget instead, e.g. --max-rcu 500.',
      )
    }
    maxRcu = Math.max(1, (provisioned * req.rcuPercent) / 100)
  }

  const sizeBytes = (gsi?.IndexSizeBytes ?? lsi?.IndexSizeBytes ?? d.TableSizeBytes) || 0
  const segments = req.segments ?? defaultSegmentCount(sizeBytes)
  const options: ParallelScanOptions = {
    table: req.table,
    index: req.index,
    segments,
    concurrency: req.concurrency,
    segmentList,
    filter: req.filter,
    names: { ...req.names, ...projection?.names },
    values: req.values,
    projection: projection?.expression,
    consistentRead: req.consistentRead,
    pageLimit: req.pageLimit,
    maxRcu,
    signal: req.signal,
  }
  const estimated = (gsi?.ItemCount ?? lsi?.ItemCount ?? d.ItemCount) || 0
  const share = segmentList ? segmentList.length / segments : 1
  return { options, description: d, keyNames, columns: projection?.columns, estimatedItems: Math.round(estimated * share) }
}

/** The output's folder must exist and the path must not be a folder, checked before any read. */
export function assertWritableTarget(file: string, example = 'users.jsonl'): void {
  const dir = dirname(resolve(file))
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserInputError(`The folder of --output ${file} does not exist.`, `Create ${dir} first, or write somewhere else.`)
  if (existsSync(file) && statSync(file).isDirectory()) throw new UserInputError(`--output ${file} is a folder.`, `Give a file name, e.g. --output ${example}.`)
}

/**
 * The index a scan or query reads (none: the table), checked before any read: it exists, and a
 * GSI is not read consistently. With the key attributes of the table and that index.
 */
export function readIndex(d: TableDescription, table: string, index: string | undefined, consistentRead: boolean | undefined, verb: 'scan' | 'query') {
  const gsi = (d.GlobalSecondaryIndexes ?? []).find((i) => i.IndexName === index)
  const lsi = (d.LocalSecondaryIndexes ?? []).find((i) => i.IndexName === index)
  if (index && !gsi && !lsi) {
    const all = [...(d.GlobalSecondaryIndexes ?? []), ...(d.LocalSecondaryIndexes ?? [])].map((i) => i.IndexName)
    throw new UserInputError(
      `Table "${table}" has no index "${index}".`,
      all.length ? `Its indexes: ${all.join(', ')}.` : `It has no secondary indexes; leave out --index to ${verb} the table.`,
    )
  }
  if (consistentRead && gsi) throw new UserInputError(`Global secondary index "${index}" cannot be read consistently.`, 'Leave out --consistent; GSIs are eventually consistent.')
  return { gsi, lsi, keyNames: keyNamesOf(d, gsi ?? lsi) }
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i)

/** "3-7" or "5" -> [3, 7]; the bounds are checked against --segments later. */
export function parseSegmentRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text)
  const a = m ? Number(m[1]) : NaN
  const b = m ? Number(m[2] ?? m[1]) : NaN
  if (!m || b < a)
    throw new UserInputError(
      `--segment-range "${text}" is not a range like 0-3.`,
      'Give FIRST-LAST (inclusive, from 0), e.g. --segments 16 --segment-range 0-7 on one machine and 8-15 on another.',
    )
  return [a, b]
}

export interface ScanToOutputOptions extends ScanRequest {
  format: ScanFormat
  raw?: boolean
  /** Write here (via FILE.partial, renamed at the end) instead of `stdout`. */
  output?: string
  stdout?: Writable
  /** Total items to write; the scan stops early. */
  limit?: number
  /** Resume file; needs `output` so an unrecorded tail can be cut off. */
  checkpoint?: string
  onProgress?: (p: ScanProgress & { written: number; estimatedItems: number }) => void
  /** Called once the request is validated, before reading (e.g. to print where the checkpoint is). */
  onStart?: (info: { segments: number; segmentsToScan: number; resumed: boolean; estimatedItems: number; partialPath?: string }) => void
}

export interface ScanResult {
  table: string
  index?: string
  segments: number
  segmentsScanned: number
  items: number
  scanned: number
  consumedCapacity: number
  format: ScanFormat
  output?: string
  /** False when interrupted (signal) or stopped by an error before the end. */
  complete: boolean
  /** ok, or interrupted (what was written is kept; with a checkpoint a re-run continues). */
  outcome: Outcome
  resumed: boolean
  checkpoint?: string
  seconds: number
}

/** The `dynx scan` pipeline: parallelScan -> formatted output, with checkpoint and limit. */
export async function scanToOutput(conn: Connection, o: ScanToOutputOptions): Promise<ScanResult> {
  ScanOutput.validate(o)
  if (o.checkpoint && !o.output)
    throw new UserInputError(
      '--checkpoint needs --output FILE.',
      'A resumed scan appends to the file it was writing (and cuts any unrecorded tail), which standard output cannot do.',
    )
  if (o.checkpoint && o.limit !== undefined)
    throw new UserInputError(
      '--limit cannot be combined with --checkpoint.',
      'A limited scan is short by design; drop --checkpoint, or drop --limit to export everything resumably.',
    )
  if (o.output) assertWritableTarget(o.output)
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit >= 1))
    throw new UserInputError(`--limit must be a whole number of at least 1, got ${o.limit}.`, 'For example --limit 100.')
  // A small --limit should not read 1 MB pages from every segment.
  let req: ScanRequest = o.limit !== undefined && o.pageLimit === undefined && !o.filter ? { ...o, pageLimit: Math.min(o.limit, 1000) } : o
  // A resumed run keeps the interrupted run's default segment count, even if the table's size estimate moved since.
  const savedSegments = o.checkpoint && o.segments === undefined ? ScanCheckpoint.savedSegments(o.checkpoint) : undefined
  if (savedSegments) req = { ...req, segments: savedSegments }
  const prepared = await prepareScan(conn, req)
  const { options } = prepared
  const started = performance.now()

  const fingerprint = {
    table: o.table,
    index: o.index ?? null,
    filter: o.filter ?? null,
    names: o.names ?? null,
    values: o.values ? rawItemJson(o.values) : null,
    attributes: o.attributes ?? null,
    segmentRange: o.segmentRange ?? null,
    format: o.format,
    raw: !!o.raw,
    output: o.output,
  }
  const checkpoint = o.checkpoint ? ScanCheckpoint.open<OutputState>(o.checkpoint, 'scan', options.segments, fingerprint, { bytes: 0, items: 0 }) : undefined
  const resumeFrom = checkpoint?.resumed ? checkpoint.position() : undefined
  const wanted = options.segmentList?.length ?? options.segments
  const result: ScanResult = {
    table: o.table,
    index: o.index,
    segments: options.segments,
    segmentsScanned: 0,
    items: 0,
    scanned: 0,
    consumedCapacity: 0,
    format: o.format,
    output: o.output,
    complete: false,
    outcome: 'interrupted',
    resumed: !!resumeFrom,
    checkpoint: o.checkpoint,
    seconds: 0,
  }
  if (checkpoint && resumeFrom && o.output && resumeFrom.finished.length >= wanted && !existsSync(`${o.output}.partial`) && existsSync(o.output)) {
    // Stopped between renaming the finished file into place and deleting the checkpoint: already done.
    checkpoint.remove()
    return { ...result, items: checkpoint.state.items, complete: true, outcome: 'ok' }
  }
  let output: ScanOutput | undefined
  const pages = parallelScan(conn, {
    ...options,
    resumeFrom,
    onProgress: (p) => o.onProgress?.({ ...p, written: output?.items ?? 0, estimatedItems: prepared.estimatedItems }),
  })
  // The first page proves the request valid (DynamoDB checks --filter only then), so a rejected
  // scan leaves no output file behind.
  let first: IteratorResult<ScanPage>
  try {
    first = await pages.next()
  } catch (err) {
    throw explainScanRejection(err)
  }
  try {
    output = await ScanOutput.open({
      format: o.format,
      raw: o.raw,
      file: o.output,
      stdout: o.stdout,
      columns: prepared.columns,
      keyNames: prepared.keyNames,
      resume: checkpoint?.resumed ? checkpoint.state : undefined,
    })
  } catch (err) {
    await pages.return()
    throw err
  }
  o.onStart?.({
    segments: options.segments,
    segmentsToScan: wanted - (resumeFrom?.finished.filter((s) => !options.segmentList || options.segmentList.includes(s)).length ?? 0),
    resumed: !!checkpoint?.resumed,
    estimatedItems: prepared.estimatedItems,
    partialPath: output.partialPath,
  })

  let finished = false
  try {
    for (let next = first; !next.done; next = await pages.next()) {
      const page = next.value
      const room = o.limit === undefined ? Infinity : o.limit - output.items
      await output.writePage(page.items.length > room ? page.items.slice(0, room) : page.items)
      result.scanned += page.scannedCount
      result.consumedCapacity += page.consumedCapacity
      if (output.items === o.limit) {
        finished = true
        await pages.return()
        break
      }
      if (!page.lastEvaluatedKey) result.segmentsScanned++
      if (checkpoint) {
        checkpoint.commit(page, output.snapshot())
        checkpoint.save()
      }
    }
    finished ||= !o.signal?.aborted
    if (finished) {
      await output.finish()
      checkpoint?.remove()
      result.complete = true
      result.outcome = 'ok'
    } else {
      await output.abandon()
    }
  } catch (err) {
    await output.abandon()
    await pages.return()
    attachPartialResult(err, {
      ...result,
      outcome: 'partial',
      items: output.items,
      seconds: (performance.now() - started) / 1000,
      ...(o.output ? { partialOutput: output.partialPath } : {}),
    })
    throw err
  } finally {
    result.items = output.items
    result.seconds = (performance.now() - started) / 1000
  }
  return result
}

export interface CountResult {
  table: string
  index?: string
  count: number
  scannedCount: number
  segments: { segment: number; count: number; scannedCount: number }[]
  consumedCapacity: number
  seconds: number
  /** ok, or interrupted (the counts cover what was read by then). */
  outcome: Outcome
}

/** Select COUNT over every segment: how many items match (and how many were read). */
export async function countItems(conn: Connection, req: ScanRequest & { onProgress?: (p: ScanProgress) => void }): Promise<CountResult> {
  const prepared = await prepareScan(conn, req)
  const started = performance.now()
  const perSegment = new Map<number, { segment: number; count: number; scannedCount: number }>()
  const result: CountResult = { table: req.table, index: req.index, count: 0, scannedCount: 0, segments: [], consumedCapacity: 0, seconds: 0, outcome: 'ok' }
  const pages = parallelScan(conn, { ...prepared.options, projection: undefined, select: 'COUNT', names: req.names, onProgress: req.onProgress })
  for await (const page of rejectionsExplained(pages)) {
    result.count += page.count
    result.scannedCount += page.scannedCount
    result.consumedCapacity += page.consumedCapacity
    const s = perSegment.get(page.segment) ?? { segment: page.segment, count: 0, scannedCount: 0 }
    s.count += page.count
    s.scannedCount += page.scannedCount
    perSegment.set(page.segment, s)
  }
  result.segments = [...perSegment.values()].sort((a, b) => a.segment - b.segment)
  result.seconds = (performance.now() - started) / 1000
  if (req.signal?.aborted) result.outcome = 'interrupted'
  return result
}

async function* rejectionsExplained<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* pages
  } catch (err) {
    throw explainScanRejection(err)
  }
}

/** DynamoDB's own message for a rejected expression, plus what to do about it. */
export function explainScanRejection(err: unknown): unknown {
  const e = err as { name?: string; message?: string }
  if (e?.name !== 'ValidationException') return err
  const msg = e.message ?? ''
  let hint =
    'Check --filter, --names and --values against the DynamoDB expression syntax: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html'
  const reserved = /reserved keyword; reserved keyword: (\w+)/i.exec(msg)
  if (reserved) hint = `"${reserved[1]}" is a reserved word: write #${reserved[1]} in --filter and add --names '{"#${reserved[1]}":"${reserved[1]}"}'.`
  else if (/ExpressionAttributeValues|attribute value/i.test(msg))
    hint = 'Every :value in --filter needs an entry in --values, and every entry in --values must be used, e.g. --values \'{":min": 10}\'.'
  else if (/ExpressionAttributeNames|attribute name/i.test(msg))
    hint = 'Every #name in --filter needs an entry in --names, and every entry in --names must be used, e.g. --names \'{"#s": "status"}\'.'
  return new UserInputError(`DynamoDB rejected the scan: ${msg}`, hint, { cause: err })
}
