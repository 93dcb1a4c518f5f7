import { existsSync, statSync } from 'node:fs'

import type { Connection } from '../connection/clients.js'
import type { Item } from '../data/values.js'
import { UserInputError, attachPartialResult } from '../errors.js'
import { keyProblem } from '../load/check.js'
import { keyTypesOf, type ColumnTypes, type LoadEncoding, type LoadFormat } from '../load/formats.js'
import { inspectSource, type Inspected } from '../load/load-table.js'
import { readRecords, type LoadRecord } from '../load/read.js'
import { resolveSources, type LoadSource } from '../load/sources.js'
import { parallelScan, validateScanOptions } from '../scan/parallel-scan.js'
import { describeTableRaw } from '../tables/describe.js'
import { Buckets, bucketOfKey, compareKeys, defaultVerifySegments, digestOf, keyOf, keySchemaOf, reviveKeyBinary } from './buckets.js'
import { canonicalKeyText } from './canonical.js'
import type { VerifyDiff, VerifyOptions, VerifyProgress, VerifyResult, VerifySideProgress } from './verify.js'

/** Which side of the comparison the files are: SOURCE (then `missing` means only in the files) or TARGET. */
export type VerifyFileSide = 'source' | 'target'

export interface VerifyFileOptions extends VerifyOptions {
  /** Default 'source': the files are what the table should hold. */
  fileSide?: VerifyFileSide
  /** As shown for the file side (default: the file's name, or "N files"). */
  label?: string
  /** Read every file as this format (else from its name and content), as `dynx load --format`. */
  format?: LoadFormat
  /** DynamoDB JSON or plain (else from each file's first item), as `dynx load --raw/--plain`. */
  encoding?: LoadEncoding
  /** Types of plain attributes and CSV columns, as `dynx load --types`. */
  types?: ColumnTypes
  /** Records to leave out, by file label and line (a load's dead-lettered ones). */
  skip?: (source: string, line: number) => boolean
}

export interface VerifyFileInfo {
  side: VerifyFileSide
  /** Each file read, as labelled (relative to the folder given, or as given). */
  sources: string[]
  /** Records read (CSV headers not counted, skipped ones not either). */
  records: number
  /** Records that are not items of the table (not JSON or CSV items, a key attribute missing or of another type): counted, never compared. */
  notItems: number
  /** Records whose key a later record repeats: only the last one is compared, as the last one written wins in a load. */
  duplicates: number
  /** Records left out by `skip`. */
  skipped: number
  /** The first 10 records that are not items, with why. */
  problems: { source: string; line: number; reason: string }[]
}

/** A verify with a file side: the side's `table` is the files' label, its `items` the distinct keys compared. */
export interface VerifyFileResult extends VerifyResult {
  files: VerifyFileInfo
}

const GLOB_OR_PATH = /[/\\*?[{]/
const DATA_FILE_NAME = /\.(jsonl|ndjson|json|csv)(\.gz)?$/i

/**
 * Whether a `dynx verify` argument names files rather than a table: `-`; anything with a slash or
 * a glob character (no table name can hold one: `dumps/`, `./users`, `'parts/*.csv'`); or an
 * existing file here whose name ends in .jsonl, .ndjson, .json or .csv (.gz too). A bare name is
 * otherwise a table, even where a folder or file of that name exists (`src`, `data`).
 */
export function isFileArgument(arg: string): boolean {
  if (arg === '-' || GLOB_OR_PATH.test(arg)) return true
  return DATA_FILE_NAME.test(arg) && existsSync(arg) && statSync(arg).isFile()
}

interface Found {
  digest: string
  key: Item
  at?: { source: string; line: number }
}

/**
 * Compares files (what `dynx load` reads: JSON lines, JSON arrays, CSV, plain or DynamoDB JSON,
 * gzip, export folders) with a table, as verifyTables compares two tables: one pass reads the
 * files and scans the table at once into per-bucket checksums, and only when they differ a second
 * pass reads both again to name the missing, extra and changed keys. The files are read with the
 * table's key schema. Buckets are chosen by key here, so every record of one key lands in one
 * bucket: a key repeated in the files is resolved in the second pass, where the last record wins
 * and the earlier ones are counted as duplicates. stdin is refused (it cannot be read twice).
 */
export async function verifyFileAgainstTable(conn: Connection, table: string, files: string[] | LoadSource[], options: VerifyFileOptions = {}): Promise<VerifyFileResult> {
  const started = performance.now()
  const fileSide = options.fileSide ?? 'source'
  const maxDiffs = options.maxDiffs ?? 20
  if (!Number.isInteger(maxDiffs) || maxDiffs < 0)
    throw new UserInputError(`--max-diffs must be a whole number of at least 0, got ${maxDiffs}.`, 'For example --max-diffs 100 (all differences are counted either way).')
  validateScanOptions({ segments: options.segments ?? 1, concurrency: options.concurrency, maxRcu: options.maxRcu })
  const sources = files.length && typeof files[0] === 'string' ? await resolveSources(files as string[], options.format, { connection: async () => conn }) : (files as LoadSource[])
  if (!sources.length) throw new UserInputError('Give the files to compare with the table.', 'For example: dynx verify users.jsonl users')
  if (sources.some((s) => s.path === '-'))
    throw new UserInputError(
      'verify cannot read stdin (-): when the files differ from the table it reads them a second time to name the keys, and stdin can be read once.',
      'Save it to a file first (e.g. zcat users.jsonl.gz > users.jsonl) and verify that file.',
    )
  const label = options.label ?? (sources.length === 1 ? sources[0].label : `${sources.length} files`)

  const d = await describeTableRaw(conn, table)
  const keyNames = keySchemaOf(d).map((k) => k.name)
  const keys = keyTypesOf(d.KeySchema, d.AttributeDefinitions)
  const inspected: Inspected[] = []
  for (const s of sources) inspected.push(await inspectSource(s, keys, options))
  const segments = options.segments ?? defaultVerifySegments(d.TableSizeBytes ?? 0)

  const abort = new AbortController()
  const onOuterAbort = () => abort.abort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) abort.abort()

  let phase: VerifyProgress['phase'] = 'checksum'
  const expected = sources.reduce((n, s) => n + (s.expectedItems ?? 0), 0)
  const fileProgress: VerifySideProgress = { items: 0, segmentsDone: 0, segmentsTotal: sources.length, estimatedItems: expected, retries: 0, throttles: 0 }
  const tableProgress: VerifySideProgress = { items: 0, segmentsDone: 0, segmentsTotal: segments, estimatedItems: d.ItemCount ?? 0, retries: 0, throttles: 0 }
  const earlier = { retries: 0, throttles: 0 }
  const report = () => {
    const [source, target] = fileSide === 'source' ? [fileProgress, tableProgress] : [tableProgress, fileProgress]
    options.onProgress?.({ phase, source: { ...source }, target: { ...target } })
  }

  const info: VerifyFileInfo = { side: fileSide, sources: sources.map((s) => s.label), records: 0, notItems: 0, duplicates: 0, skipped: 0, problems: [] }
  /** The key text of a record that is an item of the table, or undefined (counted in pass 1). */
  const itemKey = (r: LoadRecord, source: string, count: boolean): string | undefined => {
    if (r.header) return undefined
    if (options.skip?.(source, r.line)) {
      if (count) info.skipped++
      return undefined
    }
    if (count) info.records++
    const reason = r.item ? keyProblem(r.item, keys) : (r.error ?? 'not an item')
    if (reason) {
      if (count) {
        info.notItems++
        if (info.problems.length < 10) info.problems.push({ source, line: r.line, reason })
      }
      return undefined
    }
    return canonicalKeyText(r.item!, keyNames)
  }

  /** Reads the files (in order) and scans the table at once. */
  const readBoth = async (onRecord: (r: LoadRecord, source: string) => void, onItem: (item: Item) => void) => {
    const readFiles = async () => {
      for (const [i, s] of sources.entries()) {
        const { format, decoder } = inspected[i]
        for await (const batch of readRecords({ path: s.path, gzip: s.gzip, ...(s.open ? { open: s.open } : {}) }, { offset: 0, line: 0 }, { format, decoder })) {
          if (abort.signal.aborted) return
          for (const r of batch) onRecord(r, s.label)
          fileProgress.items += batch.length
          report()
        }
        fileProgress.segmentsDone++
        report()
      }
    }
    const scanTable = async () => {
      const pages = parallelScan(conn, {
        table,
        segments,
        concurrency: options.concurrency,
        maxRcu: options.maxRcu,
        wireItems: true,
        signal: abort.signal,
        onProgress: (p) => {
          Object.assign(tableProgress, { items: p.items, segmentsDone: p.segmentsDone, retries: earlier.retries + p.retries, throttles: earlier.throttles + p.throttles })
          report()
        },
      })
      for await (const page of pages) for (const item of page.items) onItem(item)
    }
    const stopOtherOnFailure = (p: Promise<void>) =>
      p.catch((err: unknown) => {
        abort.abort()
        throw err
      })
    const settled = await Promise.allSettled([stopOtherOnFailure(readFiles()), stopOtherOnFailure(scanTable())])
    for (const s of settled) if (s.status === 'rejected') throw s.reason
  }

  try {
    // Pass 1: counts and checksums per bucket, the bucket chosen by key.
    const fileBuckets = new Buckets()
    const tableBuckets = new Buckets()
    await readBoth(
      (r, source) => {
        const kt = itemKey(r, source, true)
        if (kt !== undefined) fileBuckets.add(digestOf(r.item!), bucketOfKey(kt))
      },
      (item) => tableBuckets.add(digestOf(item), bucketOfKey(canonicalKeyText(item, keyNames))),
    )
    const sideOf = (b: Buckets, name: string) => ({ table: name, items: b.items, checksum: b.checksum() })
    const result: VerifyFileResult = {
      source: fileSide === 'source' ? sideOf(fileBuckets, label) : sideOf(tableBuckets, table),
      target: fileSide === 'source' ? sideOf(tableBuckets, table) : sideOf(fileBuckets, label),
      equal: false,
      differences: { missing: 0, extra: 0, changed: 0 },
      diffs: [],
      truncated: false,
      segments,
      seconds: 0,
      complete: false,
      outcome: 'interrupted',
      files: info,
    }
    const done = (complete: boolean, equal = false): VerifyFileResult => ({
      ...result,
      complete,
      equal,
      outcome: !complete ? 'interrupted' : equal ? 'ok' : 'drift',
      seconds: (performance.now() - started) / 1000,
    })
    if (abort.signal.aborted) return done(false)
    const { flags, count } = fileBuckets.differing(tableBuckets)
    if (count === 0) return done(true, true)

    // Pass 2: key -> digest for the keys of differing buckets only (a repeated key's bucket always differs).
    phase = 'diff'
    Object.assign(earlier, { retries: tableProgress.retries, throttles: tableProgress.throttles })
    Object.assign(fileProgress, { items: 0, segmentsDone: 0 })
    Object.assign(tableProgress, { items: 0, segmentsDone: 0 })
    const inFiles = new Map<string, Found>()
    const inTable = new Map<string, Found>()
    await readBoth(
      (r, source) => {
        const kt = itemKey(r, source, false)
        if (kt === undefined) return
        const bucket = bucketOfKey(kt)
        if (!flags[bucket]) return
        const before = inFiles.get(kt)
        if (before) {
          // The later record wins: the earlier one leaves the checksum, as it would leave the table.
          info.duplicates++
          fileBuckets.remove(before.digest, bucket)
        }
        inFiles.set(kt, { digest: digestOf(r.item!), key: keyOf(r.item!, keyNames), at: { source, line: r.line } })
      },
      (item) => {
        const kt = canonicalKeyText(item, keyNames)
        if (flags[bucketOfKey(kt)]) inTable.set(kt, { digest: digestOf(item), key: keyOf(item, keyNames) })
      },
    )
    if (abort.signal.aborted) return done(false)
    const fileSideResult = sideOf(fileBuckets, label)
    if (fileSide === 'source') result.source = fileSideResult
    else result.target = fileSideResult

    const [src, tgt] = fileSide === 'source' ? [inFiles, inTable] : [inTable, inFiles]
    const all: (VerifyDiff & { at?: Found['at'] })[] = []
    for (const [text, s] of src) {
      const t = tgt.get(text)
      if (!t) all.push({ kind: 'missing', key: s.key, ...(s.at ? { at: s.at } : {}) })
      else if (t.digest !== s.digest) all.push({ kind: 'changed', key: s.key, at: (s.at ?? t.at)! })
    }
    for (const [text, t] of tgt) if (!src.has(text)) all.push({ kind: 'extra', key: t.key, ...(t.at ? { at: t.at } : {}) })
    for (const x of all) result.differences[x.kind]++
    const compare = compareKeys(keyNames)
    all.sort((a, b) => compare(a.key, b.key) || a.kind.localeCompare(b.kind))
    result.diffs = all.slice(0, maxDiffs).map((x) => ({ ...x, key: reviveKeyBinary(x.key) }))
    result.truncated = all.length > maxDiffs
    return done(true, all.length === 0)
  } catch (err) {
    attachPartialResult(err, {
      phase,
      source: fileSide === 'source' ? { table: label, ...fileProgress } : { table, ...tableProgress },
      target: fileSide === 'source' ? { table, ...tableProgress } : { table: label, ...fileProgress },
      segments,
      seconds: (performance.now() - started) / 1000,
    })
    throw err
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
  }
}

/**
 * Which argument of `dynx verify SOURCE TARGET` names files (isFileArgument), if one does. Both is
 * bad input, and so are file flags (`fileFlags`: those given of --format, --raw, --plain, --types)
 * when neither does.
 */
export function fileSideOf(source: string | undefined, target: string | undefined, fileFlags: string[] = []): VerifyFileSide | undefined {
  const s = source !== undefined && isFileArgument(source)
  const t = target !== undefined && isFileArgument(target)
  if (s && t)
    throw new UserInputError(`Both ${source} and ${target} name files; verify compares files with a table.`, 'Name a table on one side, e.g. dynx verify users.jsonl users.')
  if (!s && !t && fileFlags.length)
    throw new UserInputError(
      `${fileFlags.join(', ')} ${fileFlags.length === 1 ? 'says' : 'say'} how to read files, but neither SOURCE nor TARGET is one.`,
      'A side is files when it is -, holds a / or a glob character (./users, dumps/), or is a .jsonl, .json or .csv file here.',
    )
  return s ? 'source' : t ? 'target' : undefined
}
