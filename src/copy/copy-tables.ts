import pLimit from 'p-limit'

import type { Connection } from '../connection/clients.js'
import { CapacityRestoreError, UserInputError } from '../errors.js'
import { worstOutcome, type Outcome } from '../outcome.js'
import { cloneTable } from '../tables/create.js'
import type { BumpResult } from '../throughput/bump.js'
import type { LedgerConnection, ThroughputPlan, ThroughputProgress } from '../throughput/types.js'
import { copyTable, validateCopyOptions, type CopyProgress, type CopyStart, type CopyTableOptions, type CopyTableResult } from './copy-table.js'
import { verifyTables, type VerifyResult } from '../verify/verify.js'
import type { CopyPlan, CopyPlanEntry } from './plan.js'

export interface TableCopyOutcome extends Partial<CopyTableResult> {
  source: string
  target: string
  /** The target was cloned from the source by this run. */
  created: boolean
  status: 'copied' | 'interrupted' | 'failed' | 'not started'
  /** Why it failed, when it did. */
  error?: string
  /** Notes from cloning the target (settings the engine could not take, ...). */
  notes?: string[]
  /** With `verify`: the comparison of source and target after the copy. */
  verify?: VerifyResult
}

export interface CopyTablesOptions extends Omit<CopyTableOptions, 'onProgress' | 'onStart' | 'checkpoint' | 'deadLetter'> {
  /** Write at most P% of each target's provisioned write capacity (instead of maxWcu). */
  wcuPercent?: number
  /** After each table's copy, compare source and target (verifyTables with the same segments). */
  verify?: boolean
  onVerify?: (entry: CopyPlanEntry) => void
  /** Tables copied at once (default 1). */
  parallelTables?: number
  /** No checkpoints at all (each plan entry names its checkpoint file otherwise). */
  checkpoint?: false
  /** A dead-letter file; only for a single-table plan (others get one each under ~/.dynx/dead-letter). */
  deadLetter?: string
  /** The source's KMS key may be reused for created targets (same account and region). */
  sameRegion?: boolean
  onProgress?: (p: CopyProgress) => void
  onTableStart?: (entry: CopyPlanEntry, s: CopyStart) => void
  onCreate?: (entry: CopyPlanEntry, message: string) => void
  /** Raise capacity for the length of each table's copy, and put it back after (withThroughput). */
  bump?: CopyBump
}

export interface CopyBump {
  /** Read capacity of each source table while it is copied. */
  read?: number
  /** Write capacity of each target table and all its GSIs while it is copied. */
  write?: number
  /** Raise even when DynamoDB's decrease quota would refuse the restore now. */
  allowStuck?: boolean
  /** How long putting capacity back keeps trying (default 15 minutes). */
  restoreTimeoutMs?: number
  /** Recorded in the ledgers so `dynx throughput restore --ledger FILE` reaches the tables. */
  sourceConnection?: LedgerConnection
  targetConnection?: LedgerConnection
  /** A bump was made (its ledger and restore command), or found nothing to raise. */
  onBump?: (entry: CopyPlanEntry, side: 'source' | 'target', bump: BumpResult) => void
  onProgress?: (p: ThroughputProgress) => void
}

export interface CopyTablesResult {
  tables: TableCopyOutcome[]
  complete: boolean
  written: number
  deadLettered: number
  failedTables: number
  /** Tables that --verify found different from their source. */
  differentTables: number
  seconds: number
  /** interrupted (positions saved), else partial (a table failed or items were dead-lettered), else drift (verify differences), else ok. */
  outcome: Outcome
}

/** Each table's write budget: --max-wcu as given, or --wcu-percent of its provisioned capacity. */
export function writeBudgets(plan: CopyPlan, options: Pick<CopyTablesOptions, 'maxWcu' | 'wcuPercent'>): Map<CopyPlanEntry, number | undefined> {
  const budgets = writeBudgetsOf(
    plan.entries.map((e) => ({ table: e.target, writeCapacity: e.writeCapacity })),
    options,
  )
  return new Map(plan.entries.map((e, i) => [e, budgets[i]]))
}

/** --max-wcu, or --wcu-percent of each target's provisioned write capacity (bad input for on-demand targets). */
export function writeBudgetsOf(targets: { table: string; writeCapacity?: number }[], options: { maxWcu?: number; wcuPercent?: number }): Array<number | undefined> {
  const pct = options.wcuPercent
  if (pct !== undefined && options.maxWcu !== undefined) throw new UserInputError('Give --max-wcu or --wcu-percent, not both.', 'Keep the one that states the budget you mean.')
  if (pct !== undefined && !(pct > 0 && pct <= 100))
    throw new UserInputError(`--wcu-percent must be above 0 and at most 100, got ${pct}.`, 'For example --wcu-percent 50 writes at half the provisioned write capacity.')
  const onDemand = pct === undefined ? [] : targets.filter((e) => !e.writeCapacity)
  if (onDemand.length) {
    throw new UserInputError(
      `${onDemand.map((e) => e.table).join(', ')} ${onDemand.length > 1 ? 'are' : 'is'} on-demand, so there is no provisioned write capacity to take a percent of.`,
      'Give an absolute budget instead, e.g. --max-wcu 500.',
    )
  }
  return targets.map((e) => (pct === undefined ? options.maxWcu : Math.max(1, ((e.writeCapacity ?? 0) * pct) / 100)))
}

/**
 * Runs a checked plan: creates missing targets (cloned from their sources), then copies each
 * table, `parallelTables` at a time. One table failing does not abandon the others; its error is
 * in its outcome, and an interruption stops every table at a saved position.
 */
export async function copyTables(source: Connection, target: Connection, plan: CopyPlan, options: CopyTablesOptions = {}): Promise<CopyTablesResult> {
  const started = performance.now()
  if (plan.entries.length > 1 && options.deadLetter) {
    throw new UserInputError(
      '--dead-letter names one file, so it works with a single-table copy only.',
      'Leave it out: each table of a prefix copy gets its own dead-letter file under ~/.dynx/dead-letter (created only when an item fails).',
    )
  }
  const maxWcu = writeBudgets(plan, options)
  // Checked before the first target is created.
  validateCopyOptions(options)
  if (options.bump) await checkBumps(source, target, plan, options.bump)
  const limit = pLimit(Math.max(1, options.parallelTables ?? 1))
  // Capacity that could not be put back outranks how the copy went; raised once every table is done.
  const restoreFailures: CapacityRestoreError[] = []
  const outcomes = await Promise.all(
    plan.entries.map((entry) =>
      limit(async (): Promise<TableCopyOutcome> => {
        const base = { source: entry.source, target: entry.target, created: false }
        if (options.signal?.aborted) return { ...base, status: 'not started' }
        let notes: string[] | undefined
        // What the copy had done when it stopped, for a truthful outcome when it throws.
        let start: CopyStart | undefined
        let last: CopyProgress | undefined
        const soFar = (): Partial<CopyTableResult> => {
          if (!start || !last) return {}
          const { writers: _w, readers: _r, segmentsDone: _d, segmentsTotal: _t, ...counts } = last
          return {
            ...counts,
            resumed: start.resumed,
            segments: start.segments,
            itemsPerSecond: counts.seconds > 0 ? Math.round(counts.written / counts.seconds) : 0,
            ...(start.checkpoint ? { checkpoint: start.checkpoint } : {}),
            ...(counts.deadLettered ? { deadLetterFile: start.deadLetterFile } : {}),
          }
        }
        try {
          if (entry.action === 'create') {
            const made = await cloneTable(source, entry.source, target, entry.target, {
              wait: true,
              ifNotExists: true,
              sameRegion: options.sameRegion,
              waitOptions: { signal: options.signal },
              onProgress: (p) => options.onCreate?.(entry, p.message),
            })
            base.created = made.created
            notes = [...made.notes, ...made.settings.filter((s) => s.status !== 'applied').map((s) => s.detail)]
          }
          const copyAndVerify = async () => {
            const result = await copyTable(source, entry.source, target, entry.target, {
              ...options,
              checkpoint: options.checkpoint ?? entry.checkpoint,
              maxWcu: maxWcu.get(entry),
              onStart: (s) => {
                start = s
                options.onTableStart?.(entry, s)
              },
              onProgress: (p) => {
                last = p
                options.onProgress?.(p)
              },
            })
            let verify: VerifyResult | undefined
            if (options.verify && result.complete) {
              options.onVerify?.(entry)
              verify = await verifyTables(source, entry.source, target, entry.target, { segments: result.segments, maxRcu: options.maxRcu, signal: options.signal })
            }
            return { result, verify }
          }
          const { result, verify } = options.bump ? await withBumps(source, target, entry, options.bump, copyAndVerify) : await copyAndVerify()
          const status = result.complete && (!verify || verify.complete) ? 'copied' : 'interrupted'
          return { ...base, ...result, status, ...(notes?.length ? { notes } : {}), ...(verify ? { verify } : {}) }
        } catch (err) {
          if (err instanceof CapacityRestoreError) {
            restoreFailures.push(err)
            return { ...base, ...soFar(), status: 'failed', error: err.message }
          }
          if (options.signal?.aborted) return { ...base, ...soFar(), status: 'interrupted' }
          // Bad input found while starting (a checkpoint of another copy) stops everything, as planning would.
          if (err instanceof UserInputError && plan.entries.length === 1 && !last) throw err
          return { ...base, ...soFar(), status: 'failed', error: (err as Error).message, ...(notes?.length ? { notes } : {}) }
        }
      }),
    ),
  )
  if (restoreFailures.length) throw restoreFailures[0]
  const deadLettered = outcomes.reduce((n, o) => n + (o.deadLettered ?? 0), 0)
  const failedTables = outcomes.filter((o) => o.status === 'failed').length
  const differentTables = outcomes.filter((o) => o.verify && o.verify.complete && !o.verify.equal).length
  const interrupted = outcomes.some((o) => o.status === 'interrupted' || o.status === 'not started')
  return {
    tables: outcomes,
    complete: outcomes.every((o) => o.status === 'copied'),
    written: outcomes.reduce((n, o) => n + (o.written ?? 0), 0),
    deadLettered,
    failedTables,
    differentTables,
    seconds: (performance.now() - started) / 1000,
    outcome: worstOutcome(interrupted ? 'interrupted' : undefined, failedTables || deadLettered ? 'partial' : undefined, differentTables ? 'drift' : undefined),
  }
}

/** The bump plans of one copy: source read capacity, target write capacity (table and every GSI). */
function bumpPlans(entry: CopyPlanEntry, bump: CopyBump): { read?: ThroughputPlan; write?: ThroughputPlan } {
  return {
    ...(bump.read ? { read: [{ table: entry.source, capacity: { read: bump.read } }] } : {}),
    ...(bump.write ? { write: [{ table: entry.target, capacity: { write: bump.write }, allIndexes: { write: bump.write } }] } : {}),
  }
}

/** The throughput module (and with it the Application Auto Scaling client and zod), loaded only when a copy raises capacity. */
const throughput = () => import('../throughput/bump.js')

/** Before anything is created or written: every bump is possible (decrease quota, values). Targets still to be created are checked when made. */
async function checkBumps(source: Connection, target: Connection, plan: CopyPlan, bump: CopyBump): Promise<void> {
  const { bumpThroughput } = await throughput()
  for (const entry of plan.entries) {
    const { read, write } = bumpPlans(entry, bump)
    if (read) await bumpThroughput(source, read, { dryRun: true, allowStuck: bump.allowStuck })
    if (write && entry.action !== 'create') await bumpThroughput(target, write, { dryRun: true, allowStuck: bump.allowStuck })
  }
}

/** Runs one table's copy with its source read and target write capacity raised, restored after whatever happens. */
async function withBumps<T>(source: Connection, target: Connection, entry: CopyPlanEntry, bump: CopyBump, job: () => Promise<T>): Promise<T> {
  const { read, write } = bumpPlans(entry, bump)
  if (!read && !write) return job()
  const { withThroughput } = await throughput()
  const common = { allowStuck: bump.allowStuck, restoreTimeoutMs: bump.restoreTimeoutMs, onProgress: bump.onProgress, command: ['dynx', 'copy', entry.source, entry.target] }
  const withWrite = () =>
    write
      ? withThroughput(
          target,
          write,
          (b) => {
            bump.onBump?.(entry, 'target', b)
            return job()
          },
          { ...common, connection: bump.targetConnection },
        ).then((r) => r.result)
      : job()
  if (!read) return withWrite()
  const raised = await withThroughput(
    source,
    read,
    (b) => {
      bump.onBump?.(entry, 'source', b)
      return withWrite()
    },
    { ...common, connection: bump.sourceConnection },
  )
  return raised.result
}
