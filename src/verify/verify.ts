import { isSameTable, type Connection } from '../connection/clients.js'
import type { Item } from '../data/values.js'
import { SchemaMismatchError, UserInputError, attachPartialResult } from '../errors.js'
import type { Outcome } from '../outcome.js'
import { parallelScan, validateScanOptions, type ScanProgress } from '../scan/parallel-scan.js'
import { describeTableRaw } from '../tables/describe.js'
import { Buckets, BUCKETS, compareKeys, defaultVerifySegments, digestOf, keySchemaOf, lane, reviveKeyBinary, schemaText } from './buckets.js'
import { canonicalKeyText } from './canonical.js'

export interface VerifyOptions {
  /** Scan segments per table; default the larger table's defaultSegmentCount, at least 4. */
  segments?: number
  /** Pages fetched at once per table (default: segments, at most 32). */
  concurrency?: number
  /** Diff entries to return (all are counted); default 20. */
  maxDiffs?: number
  /** Read capacity units per second, for each table. */
  maxRcu?: number
  signal?: AbortSignal
  onProgress?: (progress: VerifyProgress) => void
}

export interface VerifySideProgress {
  items: number
  segmentsDone: number
  segmentsTotal: number
  /** DynamoDB's item-count estimate (updated about every 6 hours); 0 when unknown. */
  estimatedItems: number
  /** Scan requests sent again by the retry policy, both passes. */
  retries: number
  /** Of those, throttled ones. */
  throttles: number
}

export interface VerifyProgress {
  /** `checksum`: both tables read whole; `diff`: read again to name the differing keys. */
  phase: 'checksum' | 'diff'
  source: VerifySideProgress
  target: VerifySideProgress
}

export interface VerifySide {
  table: string
  items: number
  /** Order-independent 128-bit checksum of the canonical item texts, as hex. */
  checksum: string
}

export type DiffKind = 'missing' | 'extra' | 'changed'

export interface VerifyDiff {
  /** missing: only in the source; extra: only in the target; changed: in both, different. */
  kind: DiffKind
  /** The item's key attributes. */
  key: Item
  /** A file side's record (verifyFileAgainstTable): the file and line of the one compared (the last with that key). */
  at?: { source: string; line: number }
}

export interface VerifyResult {
  source: VerifySide
  target: VerifySide
  /**
   * No difference found. Also true when the first read's checksums differed but the second read
   * found no differing key (the tables changed between the reads); source and target then keep
   * the first read's counts and checksums.
   */
  equal: boolean
  /** Every difference counted (from the second pass). */
  differences: { missing: number; extra: number; changed: number }
  /** Up to maxDiffs of them, sorted by key. */
  diffs: VerifyDiff[]
  /** More differences exist than `diffs` lists. */
  truncated: boolean
  segments: number
  seconds: number
  /** False when interrupted (signal): the counts then cover only what was read. */
  complete: boolean
  /** ok (equal), drift (different) or interrupted. */
  outcome: Outcome
}

/**
 * Compares two tables item by item, in two passes at most. Pass 1 scans both at once and keeps
 * per-bucket counts and checksums of every item's canonical form (canonicalItemText); equal
 * buckets everywhere means equal tables. Otherwise pass 2 scans both again and, for items in the
 * differing buckets only, keeps key -> digest per side, which names each missing, extra and
 * changed key. Items written during the verify can show up as differences.
 */
export async function verifyTables(source: Connection, sourceTable: string, target: Connection, targetTable: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now()
  if (source === target && sourceTable === targetTable) {
    throw new UserInputError(
      `Source and target are the same table ("${sourceTable}" on ${source.label}).`,
      'Name two different tables, or give the target another endpoint or region with --target-endpoint/--target-region.',
    )
  }
  const maxDiffs = options.maxDiffs ?? 20
  if (!Number.isInteger(maxDiffs) || maxDiffs < 0)
    throw new UserInputError(`--max-diffs must be a whole number of at least 0, got ${maxDiffs}.`, 'For example --max-diffs 100 (all differences are counted either way).')
  validateScanOptions({ segments: options.segments ?? 1, concurrency: options.concurrency, maxRcu: options.maxRcu })

  const [sd, td] = await Promise.all([describeTableRaw(source, sourceTable), describeTableRaw(target, targetTable)])
  // Two connections made from different flags can still reach the same table.
  if (isSameTable(source, sd.TableArn, target, td.TableArn)) {
    throw new UserInputError(
      `Source and target are the same table (${sd.TableArn} on ${source.label}).`,
      'Name two different tables, or point --target-* at another account, region or endpoint.',
    )
  }
  const sourceKeys = keySchemaOf(sd)
  const targetKeys = keySchemaOf(td)
  if (schemaText(sourceKeys) !== schemaText(targetKeys)) {
    throw new SchemaMismatchError(
      `The key schemas differ: "${sourceTable}" has ${schemaText(sourceKeys)}; "${targetTable}" has ${schemaText(targetKeys)}.`,
      'Only tables with the same partition and sort keys (names and types) can be compared item by item.',
    )
  }
  const keyNames = sourceKeys.map((k) => k.name)
  const segments = options.segments ?? defaultVerifySegments(Math.max(sd.TableSizeBytes ?? 0, td.TableSizeBytes ?? 0))

  // One signal for both scans: a failure on one side stops the other.
  const abort = new AbortController()
  const onOuterAbort = () => abort.abort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) abort.abort()

  const sides = [
    { conn: source, table: sourceTable, estimatedItems: sd.ItemCount ?? 0 },
    { conn: target, table: targetTable, estimatedItems: td.ItemCount ?? 0 },
  ] as const
  let phase: VerifyProgress['phase'] = 'checksum'
  const progress: [VerifySideProgress, VerifySideProgress] = [0, 1].map((i) => ({
    items: 0,
    segmentsDone: 0,
    segmentsTotal: segments,
    estimatedItems: sides[i].estimatedItems,
    retries: 0,
    throttles: 0,
  })) as [VerifySideProgress, VerifySideProgress]
  // Retries of the passes before this one (each scan counts from 0).
  const earlier = [
    { retries: 0, throttles: 0 },
    { retries: 0, throttles: 0 },
  ]
  const report = (side: 0 | 1, p: ScanProgress) => {
    progress[side] = {
      ...progress[side],
      items: p.items,
      segmentsDone: p.segmentsDone,
      retries: earlier[side].retries + p.retries,
      throttles: earlier[side].throttles + p.throttles,
    }
    options.onProgress?.({ phase, source: { ...progress[0] }, target: { ...progress[1] } })
  }
  /** Reads both tables at once, handing every item (binary as base64 text) to `onItem`. */
  const scanBoth = async (onItem: (side: 0 | 1, item: Item) => void) => {
    const scanOne = async (side: 0 | 1) => {
      const { conn, table } = sides[side]
      const pages = parallelScan(conn, {
        table,
        segments,
        concurrency: options.concurrency,
        maxRcu: options.maxRcu,
        wireItems: true,
        signal: abort.signal,
        onProgress: (p) => report(side, p),
      })
      for await (const page of pages) for (const item of page.items) onItem(side, item)
    }
    const stopOtherOnFailure = (p: Promise<void>) =>
      p.catch((err: unknown) => {
        abort.abort()
        throw err
      })
    const settled = await Promise.allSettled([stopOtherOnFailure(scanOne(0)), stopOtherOnFailure(scanOne(1))])
    for (const s of settled) if (s.status === 'rejected') throw s.reason
  }

  try {
    // Pass 1: counts and checksums per bucket.
    const buckets = [new Buckets(), new Buckets()] as const
    await scanBoth((side, item) => buckets[side].add(digestOf(item)))
    const result: VerifyResult = {
      source: { table: sourceTable, items: buckets[0].items, checksum: buckets[0].checksum() },
      target: { table: targetTable, items: buckets[1].items, checksum: buckets[1].checksum() },
      equal: false,
      differences: { missing: 0, extra: 0, changed: 0 },
      diffs: [],
      truncated: false,
      segments,
      seconds: 0,
      complete: false,
      outcome: 'interrupted',
    }
    const done = (complete: boolean, equal = false): VerifyResult => ({
      ...result,
      complete,
      equal,
      outcome: !complete ? 'interrupted' : equal ? 'ok' : 'drift',
      seconds: (performance.now() - started) / 1000,
    })
    if (abort.signal.aborted) return done(false)
    const { flags, count } = buckets[0].differing(buckets[1])
    if (count === 0) return done(true, true)

    // Pass 2: key -> digest for the items of differing buckets only. Memory: one entry (key text,
    // digest, key attributes: ~150 bytes plus the key) per item in those buckets, so about
    // items × min(1, 2 × differences / 65536) per table; in the worst case (nothing in common)
    // every key of both tables.
    phase = 'diff'
    for (const [i, p] of progress.entries()) {
      earlier[i] = { retries: p.retries, throttles: p.throttles }
      Object.assign(p, { items: 0, segmentsDone: 0 })
    }
    const found = [new Map<string, { digest: string; key: Item }>(), new Map<string, { digest: string; key: Item }>()] as const
    await scanBoth((side, item) => {
      const digest = digestOf(item)
      if (!flags[lane(digest, 0) & (BUCKETS - 1)]) return
      const key: Item = {}
      for (const name of keyNames) key[name] = item[name]
      found[side].set(canonicalKeyText(item, keyNames), { digest, key })
    })
    if (abort.signal.aborted) return done(false)

    const all: VerifyDiff[] = []
    for (const [text, s] of found[0]) {
      const t = found[1].get(text)
      if (!t) all.push({ kind: 'missing', key: s.key })
      else if (t.digest !== s.digest) all.push({ kind: 'changed', key: s.key })
    }
    for (const [text, t] of found[1]) if (!found[0].has(text)) all.push({ kind: 'extra', key: t.key })
    for (const d of all) result.differences[d.kind]++
    const compare = compareKeys(keyNames)
    all.sort((a, b) => compare(a.key, b.key) || a.kind.localeCompare(b.kind))
    result.diffs = all.slice(0, maxDiffs).map((d) => ({ kind: d.kind, key: reviveKeyBinary(d.key) }))
    result.truncated = all.length > maxDiffs
    // Pass 1's buckets differed but pass 2 found no differing key: what differed was being written
    // between the two reads (a live table), and the second read found the tables alike: equal, not drift.
    return done(true, all.length === 0)
  } catch (err) {
    // What was read when it failed (items per side of the pass it was in, retries), not nothing.
    attachPartialResult(err, {
      phase,
      source: { table: sourceTable, ...progress[0] },
      target: { table: targetTable, ...progress[1] },
      segments,
      seconds: (performance.now() - started) / 1000,
    })
    throw err
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
  }
}
