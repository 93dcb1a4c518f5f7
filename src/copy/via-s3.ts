import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'

import { requireFeature } from '../connection/call.js'
import { connectionIdentity, type Connection } from '../connection/clients.js'
import { DynxError, ExportFailedError, ImportFailedError, InterruptedError, UserInputError } from '../errors.js'
import { ensurePitrForExport, exportTableToS3, waitForExport, type ExportInfo } from '../exports/export.js'
import { finishImport, importTableFromS3, type ImportResult } from '../exports/import.js'
import { nativePricesFor, NATIVE_PRICES_TAKEN, SCAN_COPY_MEASURED } from '../exports/prices.js'
import { listObjects } from '../exports/s3.js'
import { parseS3Url, s3Url } from '../exports/s3-url.js'
import { dynxHome } from '../home.js'
import { loadTable, type LoadResult } from '../load/load-table.js'
import { s3Sources } from '../load/s3-sources.js'
import { peek, type LoadSource } from '../load/sources.js'
import { worstOutcome, type Outcome } from '../outcome.js'
import { writeJsonFile } from '../scan/checkpoint.js'
import { describeContinuousBackups, describeTable, describeTableRaw, findTable, pitrStateOf } from '../tables/describe.js'
import type { TableSpec } from '../tables/spec.js'
import { verifyTables, type VerifyResult } from '../verify/verify.js'
import { resolveCopyPairs, type CopyRequest } from './plan.js'

/**
 * `dynx copy --via s3://...`: a copy by DynamoDB's own engines instead of one machine. Per table:
 * a full export at T0 (ExportTableToPointInTime), an import of it into the new TARGET
 * (ImportTable, then TTL, tags, PITR... reconciled), then catch-up rounds that export the changes
 * SOURCE took since (incremental exports, NEW_AND_OLD_IMAGES) and apply them with the load engine,
 * then an optional verify. A state file per table pair makes the same command, run again, continue.
 */

/** DynamoDB's limits for one incremental export's period. */
export const MIN_INCREMENTAL_MS = 15 * 60_000
export const MAX_INCREMENTAL_MS = 24 * 60 * 60_000
/** How far behind now a window ends when DynamoDB names no latest restorable time (a clock a little ahead of AWS's is not "the future"). */
const CLOCK_MARGIN_MS = 60_000
/** A latest restorable time this far behind now does not move (see latestExportable). */
const STUCK_PITR_MS = 60 * 60_000
export const DEFAULT_CATCH_UP_ROUNDS = 4
export const DEFAULT_CATCH_UP_SETTLE = 100

/** Time as the catch-up sees it; tests give their own. */
export interface ViaClock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

const realClock: ViaClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : undefined),
}

export interface ViaS3Options {
  /** s3://BUCKET/PREFIX the exports are written to: `PREFIX/SOURCE-<T0>/full/` and `.../changes-<k>/`. */
  via: string
  /** The account owning the bucket, when it is not the source's. */
  s3Owner?: string
  /** A KMS key for the exported objects (SSE-KMS). */
  kmsKey?: string
  /** Turn on point-in-time recovery where it is off (an export needs it); without, PITR off is bad input. */
  enablePitr?: boolean
  /** Catch up on SOURCE's writes after the export time (default true). */
  catchUp?: boolean
  /** At most this many catch-up rounds (default 4). */
  maxRounds?: number
  /** A round that applied at most this many changes ends the catch-up (default 100). */
  settleChanges?: number
  /** Compare SOURCE and TARGET once done (verifyTables). */
  verify?: boolean
  /** Scan segments of the verify. */
  segments?: number
  /** BatchWriteItem calls in flight while a round is applied, and its write budget. */
  writeConcurrency?: number
  maxWcu?: number
  /** Tables copied at once (default 1). */
  parallelTables?: number
  signal?: AbortSignal
  /** Polling of exports and imports (tests shorten it). */
  waitOptions?: { intervalMs?: number }
  clock?: ViaClock
  onProgress?: (p: ViaProgress) => void
}

export type ViaStage = 'pitr' | 'export' | 'import' | 'reconcile' | 'wait' | 'catch-up' | 'verify'

export interface ViaProgress {
  source: string
  target: string
  stage: ViaStage
  message: string
}

/** What the native route is expected to cost and take for one table, and the scan-based copy it replaces. */
export interface ViaEstimate {
  region: string
  /** The price table's date, and whether us-east-1's prices stood in for the region's. */
  pricesTaken: string
  pricesFallback: boolean
  sizeBytes: number
  /** Full export: table size x export price. */
  exportUsd: number
  /** Import: at least the table size (the DynamoDB JSON text is larger) x import price. */
  importUsdAtLeast: number
  /** When PITR must be turned on for the copy: table size x per GB-month, while it stays on. */
  pitrUsdPerMonth?: number
  /** Incremental exports: per GB of changes processed (how much changes is not known before). */
  incrementalUsdPerGb: number
  /** No fixed speed is documented by AWS for export or import; this says so. */
  nativeTime: string
  /** Each catch-up round covers at least 15 minutes of changes. */
  catchUpAtLeastMinutes: number
  /** The scan-based copy, for comparison: at the rate measured here, and its on-demand reads and writes. */
  scanCopy: { seconds: number; itemsPerSecond: number; basis: string; usd: number }
}

export interface ViaPlanEntry {
  source: string
  target: string
  /** DynamoDB's figures for the source (updated about every 6 hours). */
  estimatedItems: number
  sourceSizeBytes: number
  /** The steps this table goes through. */
  route: string[]
  /** Point-in-time recovery of the source: already on, or turned on by this copy (--enable-pitr). */
  pitr: 'on' | 'turned on by this copy'
  /** The state file of this table's copy, and whether a run before left it (then the run continues). */
  state: string
  resumes: boolean
  /** Where the state says the copy stands. */
  phase?: ViaPhase
  estimate: ViaEstimate
}

export interface ViaPlan {
  via: string
  entries: ViaPlanEntry[]
  skipped: { table: string; reason: string }[]
  /** Sums of every table's estimates. */
  totals: { sizeBytes: number; exportUsd: number; importUsdAtLeast: number; pitrUsdPerMonth: number }
}

export type ViaPhase = 'export' | 'import' | 'catch-up' | 'verify'

export interface ViaRound {
  round: number
  /** The changes of [from, to) (ExportFromTime inclusive, ExportToTime exclusive). */
  from: string
  to: string
  /** The window was cut at 24 hours (DynamoDB's most): more changes wait for the next round. */
  capped: boolean
  exportArn: string
  folder: string
  billedSizeBytes?: number
  /** Items put (records with a NewImage) and deleted (records without), and those dead-lettered. */
  puts: number
  deletes: number
  deadLettered: number
  /** Where the dead-lettered changes are (one file per pass that had any). */
  deadLetterFiles: string[]
  seconds: number
}

export interface ViaTableResult {
  source: string
  target: string
  status: 'copied' | 'interrupted' | 'failed' | 'not started'
  error?: string
  /** This run continued a state file left by one before. */
  resumed: boolean
  state: string
  /** T0: the moment the full export took SOURCE at. */
  exportTime?: string
  /** Point-in-time recovery of SOURCE was turned on for this copy (it stays on). */
  pitrEnabled: boolean
  export?: Pick<ExportInfo, 'exportArn' | 'status' | 'itemCount' | 'billedSizeBytes'> & { folder: string; seconds: number }
  import?: Omit<ImportResult, 'table' | 'folder' | 'data' | 'format' | 'followed'> & { seconds: number }
  catchUp: {
    rounds: ViaRound[]
    /** Why it ended: settled (a round applied few changes), max-rounds, skipped (--no-catch-up), or not yet. */
    stopped?: 'settled' | 'max-rounds' | 'skipped'
  }
  /**
   * TARGET holds SOURCE as it was at this moment (the export time, or the end of the last round
   * applied); writes to SOURCE after it are not copied.
   */
  consistentAsOf?: string
  deadLettered: number
  deadLetterFiles: string[]
  verify?: VerifyResult
  outcome: Outcome
}

export interface ViaTablesResult {
  via: string
  tables: ViaTableResult[]
  complete: boolean
  failedTables: number
  differentTables: number
  seconds: number
  outcome: Outcome
}

/** What the state file keeps of one table pair's copy. */
interface ViaState {
  version: 1
  kind: 'copy-via'
  fingerprint: { source: string; target: string; from: string; to: string; via: string }
  exportTime?: string
  pitrEnabled?: boolean
  export?: { arn: string; folder?: string; itemCount?: number; billedSizeBytes?: number; done?: boolean }
  import?: { arn: string; done?: boolean; result?: Omit<ImportResult, 'table' | 'folder' | 'data' | 'format' | 'followed'> }
  /** Imports that FAILED: the next goes under another ClientToken (DynamoDB keeps a token's import for 8 hours). */
  failedImports?: number
  /** Every round up to this moment is applied; the next one starts here. */
  appliedUntil?: string
  rounds: ViaRound[]
  /** The round being exported or applied. */
  current?: { round: number; from: string; to: string; capped: boolean; arn?: string; puts?: { loaded: number; deadLettered: number; deadLetterFile?: string } }
  catchUpDone?: ViaTableResult['catchUp']['stopped']
  updatedAt?: string
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_')
const compact = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
const GB = 1024 ** 3
const cents = (usd: number) => Math.round(usd * 100) / 100

/** ~/.dynx/checkpoints/via-SOURCE--TARGET-HASH.json, the hash telling the connections apart. */
export function viaStatePath(sourceId: string, source: string, targetId: string, target: string): string {
  const where = createHash('sha256').update(`${sourceId}\n${targetId}`).digest('hex').slice(0, 8)
  return join(dynxHome(), 'checkpoints', `via-${fileSafe(source)}--${fileSafe(target)}-${where}.json`)
}

function readState(file: string, fingerprint: ViaState['fingerprint']): ViaState | undefined {
  if (!existsSync(file)) return undefined
  let state: ViaState
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as ViaState
    if (state.version !== 1 || state.kind !== 'copy-via' || !Array.isArray(state.rounds)) throw new Error('not the state of a copy --via')
  } catch (err) {
    throw new UserInputError(
      `The state file ${file} cannot be read: ${(err as Error).message}.`,
      'Delete it to start the copy over (an import already made stays: drop TARGET first).',
    )
  }
  const changed = (Object.keys(fingerprint) as (keyof ViaState['fingerprint'])[]).filter((k) => state.fingerprint[k] !== fingerprint[k])
  if (changed.length) {
    throw new UserInputError(
      `A copy --via of ${fingerprint.source} -> ${fingerprint.target} is under way with other arguments (${changed.map((k) => `${k}: ${state.fingerprint[k]}`).join('; ')}); its state is ${file}.`,
      'Run it again as it was to finish it, or delete the state file (and the TARGET it imported) to start over.',
    )
  }
  return state
}

const phaseOf = (s: ViaState): ViaPhase => (!s.export?.done ? 'export' : !s.import?.done ? 'import' : !s.catchUpDone ? 'catch-up' : 'verify')

/** Estimates for one table: the native route from the price table, the scan copy from the rate measured here. */
export function estimateViaS3(region: string, sizeBytes: number, items: number, options: { pitrToEnable: boolean; catchUp: boolean }): ViaEstimate {
  const p = nativePricesFor(region)
  const gb = sizeBytes / GB
  const itemKb = items > 0 ? sizeBytes / items / 1024 : 1
  // A scan reads 4 KB per half request unit (eventually consistent); each item written takes a write unit per KB.
  const readUnits = Math.ceil(sizeBytes / 4096) / 2
  const writeUnits = items * Math.max(1, Math.ceil(itemKb))
  return {
    region,
    pricesTaken: NATIVE_PRICES_TAKEN,
    pricesFallback: p.fallback,
    sizeBytes,
    exportUsd: cents(gb * p.exportPerGb),
    importUsdAtLeast: cents(gb * p.importPerGb),
    ...(options.pitrToEnable ? { pitrUsdPerMonth: cents(gb * p.pitrPerGbMonth) } : {}),
    incrementalUsdPerGb: p.incrementalExportPerGb,
    nativeTime:
      'AWS documents no fixed speed for export or import: both run in parallel across the table’s partitions, minutes for small tables to hours for large ones (size, key distribution and object count decide)',
    catchUpAtLeastMinutes: options.catchUp ? MIN_INCREMENTAL_MS / 60_000 : 0,
    scanCopy: {
      seconds: Math.round(items / SCAN_COPY_MEASURED.itemsPerSecond),
      itemsPerSecond: SCAN_COPY_MEASURED.itemsPerSecond,
      basis: SCAN_COPY_MEASURED.how,
      usd: cents((readUnits / 1e6) * p.readRequestPerMillion + (writeUnits / 1e6) * p.writeRequestPerMillion),
    },
  }
}

/**
 * Checks a copy --via and says what it would do, before anything is started: the URL, the engines
 * (the embedded --local engine has no export or import), every source (no LSIs, which ImportTable
 * cannot create; PITR on, or --enable-pitr), every target (missing: ImportTable only creates
 * tables, unless this copy's own state shows it imported it). Each problem is bad input (exit 2).
 */
export async function planCopyViaS3(
  source: Connection,
  target: Connection,
  request: CopyRequest,
  options: Pick<ViaS3Options, 'via' | 'enablePitr' | 'catchUp' | 'verify'>,
): Promise<ViaPlan> {
  const loc = parseS3Url(options.via, 'The --via location')
  requireFeature(source, 'exports', 'export to S3')
  requireFeature(target, 'exports', 'import from S3')
  const { pairs, skipped, sourceId, targetId } = await resolveCopyPairs(source, target, request)
  const region = await source.region()
  const limit = pLimit(8)
  const entries = await Promise.all(
    pairs.map((p) =>
      limit(async (): Promise<ViaPlanEntry> => {
        const d = await describeTableRaw(source, p.source)
        if (d.LocalSecondaryIndexes?.length) {
          throw new UserInputError(
            `${p.source} has local secondary indexes (${d.LocalSecondaryIndexes.map((l) => l.IndexName).join(', ')}), and DynamoDB's ImportTable cannot create them, so --via cannot copy it.`,
            `Copy it without --via (\`dynx copy ${p.source} ${p.target}\` clones LSIs), or \`dynx create ${p.target} --from ${p.source}\` then \`dynx load ${p.target} s3://.../AWSDynamoDB/<export-id>/\`; nothing was started.`,
          )
        }
        const state = viaStatePath(sourceId, p.source, targetId, p.target)
        const saved = readState(state, { source: p.source, target: p.target, from: sourceId, to: targetId, via: s3Url(loc) })
        const pitrOn = pitrStateOf(await describeContinuousBackups(source, p.source)).status === 'ENABLED'
        if (!pitrOn && !options.enablePitr) {
          throw new UserInputError(
            `Point-in-time recovery is off on "${p.source}", and DynamoDB exports to S3 (full and incremental) only from it.`,
            `Pass --enable-pitr to turn it on first (billed per GB-month of table size while on; it stays on after the copy), or \`dynx pitr enable ${p.source}\`; nothing was started.`,
          )
        }
        const existing = await findTable(target, p.target)
        // A TARGET still CREATING once this copy's export is done may be its own import, started by a run
        // stopped before it saved the ARN: the import step follows it by its ClientToken, and refuses any other.
        const ownImportMaybe = existing?.TableStatus === 'CREATING' && saved?.export?.done === true
        if (existing && !saved?.import && !ownImportMaybe) {
          throw new UserInputError(
            `The target table "${p.target}" already exists on ${target.label}, and DynamoDB's ImportTable only creates tables.`,
            `Copy into an existing table without --via (\`dynx copy ${p.source} ${p.target}\`), or load an export into it (\`dynx load ${p.target} s3://.../AWSDynamoDB/<export-id>/\`); nothing was started.`,
          )
        }
        const route = ['export', 'import', 'reconcile', ...(options.catchUp === false ? [] : ['catch-up']), ...(options.verify ? ['verify'] : [])]
        return {
          ...p,
          estimatedItems: d.ItemCount ?? 0,
          sourceSizeBytes: d.TableSizeBytes ?? 0,
          route,
          pitr: pitrOn ? 'on' : 'turned on by this copy',
          state,
          resumes: saved !== undefined,
          ...(saved ? { phase: phaseOf(saved) } : {}),
          estimate: estimateViaS3(region, d.TableSizeBytes ?? 0, d.ItemCount ?? 0, { pitrToEnable: !pitrOn, catchUp: options.catchUp !== false }),
        }
      }),
    ),
  )
  const sum = (f: (e: ViaPlanEntry) => number) => cents(entries.reduce((n, e) => n + f(e), 0))
  return {
    via: s3Url(loc),
    entries,
    skipped,
    totals: {
      sizeBytes: entries.reduce((n, e) => n + e.sourceSizeBytes, 0),
      exportUsd: sum((e) => e.estimate.exportUsd),
      importUsdAtLeast: sum((e) => e.estimate.importUsdAtLeast),
      pitrUsdPerMonth: sum((e) => e.estimate.pitrUsdPerMonth ?? 0),
    },
  }
}

/** Runs a checked plan, `parallelTables` at a time; one table failing does not stop the others. */
export async function copyTablesViaS3(source: Connection, target: Connection, plan: ViaPlan, options: ViaS3Options): Promise<ViaTablesResult> {
  const started = performance.now()
  const limit = pLimit(Math.max(1, options.parallelTables ?? 1))
  const sameConnection = source === target
  const tables = await Promise.all(plan.entries.map((entry) => limit(() => copyPairViaS3(source, target, entry, plan.via, sameConnection, options))))
  const failedTables = tables.filter((t) => t.status === 'failed').length
  const differentTables = tables.filter((t) => t.verify?.complete && !t.verify.equal).length
  return {
    via: plan.via,
    tables,
    complete: tables.every((t) => t.status === 'copied'),
    failedTables,
    differentTables,
    seconds: (performance.now() - started) / 1000,
    outcome: worstOutcome(...tables.map((t) => t.outcome)),
  }
}

/** One table by the native route (planCopyViaS3 + copyTablesViaS3 for a single pair). */
export async function copyTableViaS3(source: Connection, sourceTable: string, target: Connection, targetTable: string, options: ViaS3Options): Promise<ViaTableResult> {
  const plan = await planCopyViaS3(source, target, { tables: [{ source: sourceTable, target: targetTable }] }, options)
  return (await copyTablesViaS3(source, target, plan, options)).tables[0]!
}

/** The one export folder (…/AWSDynamoDB/<id>/) under a prefix, for an engine that names no manifest (moto). */
async function onlyExportFolder(conn: Connection, bucket: string, prefix: string): Promise<string> {
  const objects = await listObjects(conn, { bucket, key: `${prefix}/AWSDynamoDB/` })
  const folders = [...new Set(objects.map((o) => /^(.*\/AWSDynamoDB\/[^/]+\/)/.exec(o.key)?.[1]).filter((k): k is string => Boolean(k)))]
  if (folders.length !== 1)
    throw new DynxError(
      `Cannot tell the export's folder: DynamoDB named no manifest, and s3://${bucket}/${prefix}/AWSDynamoDB/ holds ${folders.length} export folders.`,
      'Check the bucket; `dynx export describe ARN` shows the export.',
    )
  return s3Url({ bucket, key: folders[0]! })
}

/** A round's export must hold change records; an engine that answers an incremental export with a full one (moto) is named. */
async function assertChangeRecords(sources: LoadSource[], folder: string): Promise<void> {
  for (const s of sources) {
    const head = (await peek(s, 4096)).toString('utf8')
    const first = head.split('\n').find((l) => l.trim())
    if (!first) continue
    if (/^\s*\{\s*"Item"\s*:/.test(first)) {
      throw new DynxError(
        `The incremental export ${folder} holds full items ({"Item": ...} lines), not change records: the engine ignored ExportType INCREMENTAL_EXPORT (moto does).`,
        'TARGET holds SOURCE as of the full export; run with --no-catch-up on such an engine, or copy the later changes another way.',
      )
    }
    return
  }
}

/** One table pair: export, import (with reconcile), catch-up rounds, verify; every step recorded in the state file first. */
async function copyPairViaS3(source: Connection, target: Connection, entry: ViaPlanEntry, via: string, sameConnection: boolean, options: ViaS3Options): Promise<ViaTableResult> {
  const clock = options.clock ?? realClock
  const signal = options.signal
  const progress = (stage: ViaStage, message: string) => options.onProgress?.({ source: entry.source, target: entry.target, stage, message })
  const fingerprint = { source: entry.source, target: entry.target, from: '', to: '', via }
  const loc = parseS3Url(via)
  const result: ViaTableResult = {
    source: entry.source,
    target: entry.target,
    status: 'not started',
    resumed: entry.resumes,
    state: entry.state,
    pitrEnabled: false,
    catchUp: { rounds: [] },
    deadLettered: 0,
    deadLetterFiles: [],
    outcome: 'interrupted',
  }
  if (signal?.aborted) return result
  let state: ViaState | undefined
  const save = () => {
    state!.updatedAt = new Date(clock.now()).toISOString()
    writeJsonFile(entry.state, state)
  }
  const waitOptions = { ...(options.waitOptions?.intervalMs ? { intervalMs: options.waitOptions.intervalMs } : {}), ...(signal ? { signal } : {}) }
  const exportOptions = { ...(options.s3Owner ? { s3Owner: options.s3Owner } : {}), ...(options.kmsKey ? { kmsKey: options.kmsKey } : {}) }
  try {
    fingerprint.from = await connectionIdentity(source)
    fingerprint.to = await connectionIdentity(target)
    state = readState(entry.state, fingerprint) ?? { version: 1, kind: 'copy-via', fingerprint, rounds: [] }
    result.status = 'interrupted'
    const base = `${loc.key.replace(/\/+$/, '')}${loc.key.replace(/\/+$/, '') ? '/' : ''}${fileSafe(entry.source)}`

    // 1. The full export at T0.
    if (!state.export?.done) {
      if (!state.export) {
        const enabled = await ensurePitrForExport(source, entry.source, {
          enablePitr: options.enablePitr,
          onProgress: (p) => progress('pitr', p.message),
          ...(signal ? { signal } : {}),
        })
        state.pitrEnabled ||= enabled
        // T0: the latest moment point-in-time recovery can give (about 5 minutes behind now on AWS).
        state.exportTime ??= new Date(await latestExportable(source, entry.source, clock)).toISOString()
        save()
        const started = await exportTableToS3(source, entry.source, s3Url({ bucket: loc.bucket, key: `${base}-${compact(state.exportTime)}/full` }), {
          ...exportOptions,
          time: new Date(state.exportTime),
          onProgress: (p) => progress('export', p.message),
        }).catch((err: unknown) => {
          // A moment DynamoDB refuses (outside the PITR window: just turned on, or shortened since) started no
          // export: the re-run picks a new T0 rather than asking for the same one again.
          if ((err as { name?: string }).name === 'InvalidExportTimeException') {
            state!.exportTime = undefined
            save()
          }
          throw err
        })
        state.export = { arn: started.exportArn }
        save()
        progress('export', `${started.followed ? 'following the export started before' : 'export started'}: ${started.exportArn}`)
      }
      const t = performance.now()
      const done = await waitForExport(source, state.export.arn, { waitOptions, onProgress: (p) => progress('export', p.message) }).catch((err: unknown) => {
        // A FAILED export is forgotten with its T0: the same command run again starts another at the latest
        // moment then (a T0 kept could leave the PITR window, and every hour kept is an hour more to catch up).
        if (err instanceof ExportFailedError) {
          state!.export = undefined
          state!.exportTime = undefined
          save()
        }
        throw err
      })
      const folder = done.folder ?? (await onlyExportFolder(target, loc.bucket, `${base}-${compact(state.exportTime!)}/full`))
      state.export = {
        arn: done.exportArn,
        folder,
        done: true,
        ...(done.itemCount !== undefined ? { itemCount: done.itemCount } : {}),
        ...(done.billedSizeBytes !== undefined ? { billedSizeBytes: done.billedSizeBytes } : {}),
      }
      save()
      result.export = {
        exportArn: done.exportArn,
        status: done.status,
        folder,
        seconds: (performance.now() - t) / 1000,
        itemCount: done.itemCount,
        billedSizeBytes: done.billedSizeBytes,
      }
    } else {
      result.export = {
        exportArn: state.export.arn,
        status: 'COMPLETED',
        folder: state.export.folder!,
        seconds: 0,
        itemCount: state.export.itemCount,
        billedSizeBytes: state.export.billedSizeBytes,
      }
    }
    result.exportTime = state.exportTime
    result.pitrEnabled = Boolean(state.pitrEnabled)

    // 2. The import into TARGET, and what ImportTable cannot set.
    if (!state.import?.done) {
      const t = performance.now()
      // Across accounts or regions SOURCE is not reachable from the target's connection: its definition and settings go as a spec.
      const spec: TableSpec = { ...(await describeTable(source, entry.source)).spec, name: entry.target }
      if (!sameConnection && spec.sse?.kmsKeyId) spec.sse = { enabled: true }
      if (spec.tags) spec.tags = Object.fromEntries(Object.entries(spec.tags).filter(([k]) => !k.startsWith('aws:')))
      const how = sameConnection ? { like: entry.source } : { spec }
      if (!state.import) {
        const started = await importTableFromS3(target, state.export.folder!, entry.target, {
          ...how,
          attempt: state.failedImports ?? 0,
          onProgress: (p) => progress('import', p.message),
        })
        state.import = { arn: started.importArn }
        save()
        progress('import', `${started.followed ? 'following the import started before' : 'import started'}: ${started.importArn}`)
      }
      const done = await finishImport(target, state.import.arn, entry.target, spec, {
        ...how,
        waitOptions,
        onProgress: (p) => progress(p.stage === 'reconcile' ? 'reconcile' : 'import', p.message),
      }).catch((err: unknown) => {
        // A failed import leaves no table: the same command run again imports anew, under the next ClientToken.
        if (err instanceof ImportFailedError) {
          state!.import = undefined
          state!.failedImports = (state!.failedImports ?? 0) + 1
          save()
        }
        throw err
      })
      state.import = { arn: state.import.arn, done: true, result: done }
      state.appliedUntil ??= state.exportTime
      save()
      result.import = { ...done, seconds: (performance.now() - t) / 1000 }
    } else {
      result.import = { ...state.import.result!, seconds: 0 }
    }
    result.consistentAsOf = state.appliedUntil ?? state.exportTime

    // 3. Catch-up rounds: the changes since appliedUntil, one incremental export after another.
    result.catchUp.rounds = [...state.rounds]
    // --no-catch-up starts no round; a round a run before left under way is finished first (its puts
    // may be applied already, and TARGET must not keep them without the round's deletes). One whose
    // export was never started has applied nothing and is dropped.
    if (options.catchUp === false && state.current && !state.current.arn) state.current = undefined
    while (!state.catchUpDone) {
      if (options.catchUp === false && !state.current) {
        state.catchUpDone = 'skipped'
        break
      }
      if (state.rounds.length >= (options.maxRounds ?? DEFAULT_CATCH_UP_ROUNDS) && !state.current) {
        state.catchUpDone = 'max-rounds'
        break
      }
      const round = await catchUpRound(source, target, entry, state, save, {
        ...options,
        clock,
        waitOptions,
        exportOptions,
        bucket: loc.bucket,
        base: `${base}-${compact(state.exportTime!)}`,
        progress,
      })
      if (!round) return { ...result, outcome: 'interrupted', status: 'interrupted', consistentAsOf: state.appliedUntil }
      result.catchUp.rounds.push(round)
      result.consistentAsOf = state.appliedUntil
      const changes = round.puts + round.deletes + round.deadLettered
      if (options.catchUp === false) state.catchUpDone = 'skipped'
      else if (!round.capped && changes <= (options.settleChanges ?? DEFAULT_CATCH_UP_SETTLE)) state.catchUpDone = 'settled'
      save()
    }
    save()
    result.catchUp.stopped = state.catchUpDone
    result.consistentAsOf = state.appliedUntil ?? state.exportTime
    result.deadLettered = result.catchUp.rounds.reduce((n, r) => n + r.deadLettered, 0)
    result.deadLetterFiles = result.catchUp.rounds.flatMap((r) => r.deadLetterFiles)

    // 4. Verify.
    if (options.verify) {
      progress('verify', `${entry.source} -> ${entry.target}`)
      result.verify = await verifyTables(source, entry.source, target, entry.target, { ...(options.segments ? { segments: options.segments } : {}), ...(signal ? { signal } : {}) })
      if (!result.verify.complete) return { ...result, status: 'interrupted', outcome: 'interrupted' }
    }
    rmSync(entry.state, { force: true })
    result.status = 'copied'
    const partial = (result.import?.outcome === 'partial' || result.deadLettered > 0) && 'partial'
    result.outcome = worstOutcome(partial || undefined, result.verify?.outcome)
    return result
  } catch (err) {
    if (signal?.aborted || err instanceof InterruptedError)
      return { ...result, status: 'interrupted', outcome: 'interrupted', ...(state?.appliedUntil ? { consistentAsOf: state.appliedUntil } : {}) }
    // The plan checked every table before any was started (exit 2); what turns bad later (PITR turned
    // off while the tables before were copied) fails this table alone, so the others' results stand.
    const hint = err instanceof DynxError && err.hint ? ` ${err.hint}` : ''
    return { ...result, status: 'failed', outcome: 'partial', error: `${(err as Error).message}${hint}`, ...(state?.appliedUntil ? { consistentAsOf: state.appliedUntil } : {}) }
  }
}

interface RoundContext extends ViaS3Options {
  clock: ViaClock
  waitOptions: { intervalMs?: number; signal?: AbortSignal }
  exportOptions: { s3Owner?: string; kmsKey?: string }
  bucket: string
  /** The key prefix of this copy's exports: round k goes to `${base}/changes-k`. */
  base: string
  progress: (stage: ViaStage, message: string) => void
}

/**
 * The latest moment an export may take: DynamoDB's latest restorable time (about 5 minutes behind
 * now on AWS), else now less a margin. On an --endpoint engine a latest restorable time far behind
 * now is one that does not move it (moto keeps the moment PITR was enabled), and is not used; on AWS
 * it is always used, however far behind: changes after it are not in point-in-time recovery yet, and
 * a window ending past it would leave them out while the next round starts after it.
 */
async function latestExportable(conn: Connection, table: string, clock: ViaClock): Promise<number> {
  const latest = pitrStateOf(await describeContinuousBackups(conn, table)).latestRestorableTime
  const now = clock.now() - CLOCK_MARGIN_MS
  const at = latest ? Date.parse(latest) : NaN
  if (!Number.isFinite(at)) return now
  return conn.endpoint === undefined || now - at < STUCK_PITR_MS ? Math.min(now, at) : now
}

const mmss = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`

/**
 * One catch-up round: the window [appliedUntil, end) chosen (waiting until it spans the 15
 * minutes DynamoDB needs, cut at 24 hours) and recorded before its export starts; the export
 * followed by its ARN on a re-run; its records applied by two loads (puts of NewImage, deletes of
 * Keys), each resumable by its own checkpoint; then appliedUntil moves to the window's end. A round
 * never starts anywhere but at appliedUntil, so no round is applied after a later one. Returns
 * undefined when interrupted.
 */
async function catchUpRound(source: Connection, target: Connection, entry: ViaPlanEntry, state: ViaState, save: () => void, o: RoundContext): Promise<ViaRound | undefined> {
  const from = Date.parse(state.appliedUntil!)
  // A round recorded for another start (an older state) is not this one: it is dropped, never applied.
  if (state.current && Date.parse(state.current.from) !== from) state.current = undefined
  if (!state.current) {
    let end = await latestExportable(source, entry.source, o.clock)
    while (end - from < MIN_INCREMENTAL_MS) {
      // Counted down each second; DynamoDB is asked again only once the wait is over.
      const until = o.clock.now() + (from + MIN_INCREMENTAL_MS - end)
      for (let left = until - o.clock.now(); left > 0; left = until - o.clock.now()) {
        if (o.signal?.aborted) return undefined
        o.progress('wait', `next changes export once 15 minutes have passed since ${new Date(from).toISOString()} (DynamoDB's shortest incremental export): ${mmss(left)} left`)
        try {
          await o.clock.sleep(Math.min(left, 1000), o.signal)
        } catch (err) {
          if (o.signal?.aborted) return undefined
          throw err
        }
      }
      end = await latestExportable(source, entry.source, o.clock)
    }
    const capped = end - from > MAX_INCREMENTAL_MS
    const to = capped ? from + MAX_INCREMENTAL_MS : end
    state.current = { round: state.rounds.length + 1, from: new Date(from).toISOString(), to: new Date(to).toISOString(), capped }
    save()
  }
  const current = state.current
  const t = performance.now()
  const prefix = `${o.base}/changes-${current.round}`
  if (!current.arn) {
    const started = await exportTableToS3(source, entry.source, s3Url({ bucket: o.bucket, key: prefix }), {
      ...o.exportOptions,
      incremental: { from: new Date(current.from), to: new Date(current.to), view: 'new-and-old' },
      onProgress: (p) => o.progress('catch-up', p.message),
    })
    current.arn = started.exportArn
    save()
  }
  o.progress('catch-up', `round ${current.round}: exporting the changes of ${current.from} .. ${current.to}`)
  let done: ExportInfo
  try {
    done = await waitForExport(source, current.arn, { waitOptions: o.waitOptions, onProgress: (p) => o.progress('catch-up', `round ${current.round}: ${p.message}`) })
  } catch (err) {
    // A FAILED round starts again under a new export next time (its window stays); the reason is the table's error.
    if (err instanceof ExportFailedError) {
      current.arn = undefined
      save()
    }
    throw err
  }
  const folder = done.folder ?? (await onlyExportFolder(target, o.bucket, prefix))
  const sources = await s3Sources(target, folder, 'jsonl', { changes: true })
  await assertChangeRecords(sources, folder)
  const apply = async (side: 'puts' | 'deletes'): Promise<LoadResult> =>
    loadTable(target, entry.target, sources, {
      changes: side,
      ...(o.writeConcurrency ? { writeConcurrency: o.writeConcurrency } : {}),
      ...(o.maxWcu ? { maxWcu: o.maxWcu } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (p) => o.progress('catch-up', `round ${current.round}: ${side === 'puts' ? 'put' : 'deleted'} ${p.loaded} items`),
    })
  // The puts pass is recorded once done, so a re-run that died in the deletes pass does not put again.
  if (!current.puts) {
    const done = await apply('puts')
    if (!done.complete) return undefined
    current.puts = { loaded: done.loaded, deadLettered: done.deadLettered, ...(done.deadLetterFile ? { deadLetterFile: done.deadLetterFile } : {}) }
    save()
  }
  const puts = current.puts
  const deletes = await apply('deletes')
  if (!deletes.complete) return undefined
  const round: ViaRound = {
    round: current.round,
    from: current.from,
    to: current.to,
    capped: current.capped,
    exportArn: current.arn,
    folder,
    ...(done.billedSizeBytes !== undefined ? { billedSizeBytes: done.billedSizeBytes } : {}),
    puts: puts.loaded,
    deletes: deletes.loaded,
    deadLettered: puts.deadLettered + deletes.deadLettered,
    deadLetterFiles: [puts.deadLetterFile, deletes.deadLetterFile].filter((f): f is string => Boolean(f)),
    seconds: (performance.now() - t) / 1000,
  }
  state.rounds.push(round)
  state.appliedUntil = current.to
  state.current = undefined
  save()
  return round
}
