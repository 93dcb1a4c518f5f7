import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling'
import { UpdateTableCommand, type GlobalSecondaryIndexUpdate, type TableDescription, type UpdateTableCommandInput } from '@aws-sdk/client-dynamodb'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { isUnchangedUpdate } from '../connection/idempotent.js'
import { keepTrying, type KeepTryingEvent } from '../connection/keep-trying.js'
import { DEFAULT_RESTORE_WINDOW_MS, DEFAULT_RETRY_WINDOW_MS, isDecreaseQuotaError } from '../connection/retry.js'
import { CapacityNotSetError, CapacityRestoreError, DecreaseQuotaError, DynxError, TableNotFoundError, UserInputError, errorChain } from '../errors.js'
import { describeTableRaw, findTable } from '../tables/describe.js'
import { waitForTableActive } from '../tables/wait.js'
import { defaultLedgerPath, findOpenLedgers, newLedger, readLedger, restoreCommand, writeLedger, type Ledger } from './ledger.js'
import { validateThroughputPlan } from './plan.js'
import { decreaseQuota } from './quota.js'
import { readScalingTargets, scalableDimension, scalingResourceId, scalingTargetKey, throughputStatus } from './status.js'
import type { Dimension, LedgerConnection, TableThroughput, ThroughputChange, ThroughputPlan, ThroughputProgress, ThroughputSkip, UnitThroughput } from './types.js'

/** Tables updated at once; each table has at most one update in flight. */
const TABLE_CONCURRENCY = 4
/** GSI updates per UpdateTable call. */
const INDEX_UPDATES_PER_CALL = 5
const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000

export interface ThroughputOptions {
  /** How long to wait for a table and its GSIs to be ACTIVE after each update. */
  waitTimeoutMs?: number
  /**
   * How long putting capacity back keeps trying a table through 5xx, throttling, resets, too many
   * concurrent table updates and a table still UPDATING (default DEFAULT_RESTORE_WINDOW_MS, 15
   * minutes). Only DynamoDB's decrease quota stops it sooner.
   */
  restoreTimeoutMs?: number
  /** The same for raising (default DEFAULT_RETRY_WINDOW_MS); a raise that gives up is put back. */
  raiseTimeoutMs?: number
  /** Backoff between tries of a table (tests shorten it). */
  backoff?: { baseMs?: number; capMs?: number }
  onProgress?: (p: ThroughputProgress) => void
  /** The clock, for tests of the decrease quota. */
  now?: () => Date
}

export interface BumpOptions extends ThroughputOptions {
  /** Ledger file; default ~/.dynx/ledgers/STAMP-TABLES-ID.json. */
  ledger?: string
  /** Bump even when DynamoDB's decrease quota would refuse the restore now. */
  allowStuck?: boolean
  /** Work out the changes, change nothing, write no ledger. */
  dryRun?: boolean
  /** Recorded in the ledger so a later restore finds the tables. */
  connection?: LedgerConnection
  /** Recorded in the ledger: the job run under the bump. */
  command?: string[]
}

/** A unit whose restore DynamoDB would refuse now because of its decrease quota. */
export interface StuckUnit {
  table: string
  index?: string
  decreasesToday: number
  lastDecreaseAt?: string
  allowedAt: string
}

export interface BumpResult {
  /** The ledger written; absent when nothing changed (nothing to do, or a dry run). */
  ledger?: string
  changes: ThroughputChange[]
  skipped: ThroughputSkip[]
  /** Units whose restore would be refused now (only when allowStuck let the bump go ahead). */
  stuck: StuckUnit[]
  dryRun: boolean
  /** What to run to put everything back. */
  restoreCommand?: string
}

export interface RestoreResult {
  ledger: string
  /** The ledger was already marked restored: nothing was done. */
  alreadyRestored: boolean
  /** Changes put back by this call. */
  restored: ThroughputChange[]
  /** Changes already at their original value. */
  unchanged: ThroughputChange[]
  /** Tables of the ledger that no longer exist. */
  missingTables: string[]
  /**
   * Changes left alone because the value is no longer the one dynx set (someone or something
   * changed it since the bump). When another open ledger raised it further from dynx's value, that
   * ledger now restores to this one's original (`handedTo`).
   */
  changedSince: Array<ThroughputChange & { current: number; handedTo?: string }>
}

const unitLabel = (table: string, index?: string) => (index ? `index ${index} of ${table}` : `table ${table}`)

/**
 * Works out what a bump changes: only increases, on the mechanism the unit uses (auto-scaling
 * minimum, on-demand maximum, or provisioned capacity), and which restores the decrease quota
 * would refuse now. Unknown indexes are bad input.
 */
export function planBump(statuses: TableThroughput[], plan: ThroughputPlan): { changes: ThroughputChange[]; skipped: ThroughputSkip[]; stuck: StuckUnit[] } {
  const changes: ThroughputChange[] = []
  const skipped: ThroughputSkip[] = []
  const stuck: StuckUnit[] = []
  for (const request of plan) {
    const status = statuses.find((s) => s.table === request.table)
    if (!status) throw new TableNotFoundError(request.table)
    const units: Array<[UnitThroughput, { read?: number; write?: number } | undefined]> = [[status, request.capacity]]
    const byName = new Map(status.indexes.map((i) => [i.index, i]))
    for (const name of Object.keys(request.indexes ?? {})) {
      if (!byName.has(name)) {
        throw new UserInputError(
          `Table ${request.table} has no global secondary index "${name}"${status.indexes.length ? ` (it has ${status.indexes.map((i) => i.index).join(', ')})` : ' (it has none)'}.`,
          "Name one of its GSIs with --index (local secondary indexes share the table's capacity), or use --all-indexes.",
        )
      }
    }
    // A named index's own values win over --all-indexes, dimension by dimension.
    for (const index of status.indexes) units.push([index, { ...request.allIndexes, ...request.indexes?.[index.index] }])
    for (const [unit, wanted] of units) {
      let needsDecreaseLater = false
      for (const dimension of ['read', 'write'] as const) {
        const value = wanted?.[dimension]
        if (value === undefined) continue
        const change = changeFor(status, unit, dimension, value)
        if ('reason' in change) skipped.push(change)
        else {
          changes.push(change)
          if (change.mechanism === 'provisioned') needsDecreaseLater = true
        }
      }
      if (needsDecreaseLater && !unit.decreases.allowedNow) {
        stuck.push({
          table: status.table,
          ...(unit.index ? { index: unit.index } : {}),
          decreasesToday: unit.decreases.decreasesToday,
          ...(unit.decreases.lastDecreaseAt ? { lastDecreaseAt: unit.decreases.lastDecreaseAt } : {}),
          allowedAt: unit.decreases.nextAllowedAt ?? '',
        })
      }
    }
  }
  return { changes, skipped, stuck }
}

function changeFor(status: TableThroughput, unit: UnitThroughput, dimension: Dimension, value: number): ThroughputChange | ThroughputSkip {
  const where = { table: status.table, ...(unit.index ? { index: unit.index } : {}), dimension }
  if (status.billingMode === 'PAY_PER_REQUEST') {
    const max = dimension === 'read' ? unit.onDemandMaxRead : unit.onDemandMaxWrite
    if (max === undefined) return { ...where, reason: 'on-demand with no maximum set: it needs nothing' }
    if (value <= max) return { ...where, reason: `on-demand maximum is already ${max}` }
    return { ...where, mechanism: 'on-demand', from: max, to: value }
  }
  const scaling = unit.autoScaling[dimension]
  if (scaling) {
    if (value <= scaling.min) return { ...where, reason: `auto-scaling minimum is already ${scaling.min}` }
    return { ...where, mechanism: 'auto-scaling', from: scaling.min, to: value, fromMax: scaling.max, toMax: Math.max(scaling.max, value) }
  }
  const current = unit[dimension]
  if (value <= current) return { ...where, reason: `already ${current}` }
  return { ...where, mechanism: 'provisioned', from: current, to: value }
}

function quotaError(stuck: StuckUnit[]): DecreaseQuotaError {
  const latest =
    stuck
      .map((s) => s.allowedAt)
      .sort()
      .at(-1) ?? ''
  const lines = stuck.map(
    (s) =>
      `  ${unitLabel(s.table, s.index)}: ${s.decreasesToday} decreases today (UTC)${s.lastDecreaseAt ? `, the last at ${s.lastDecreaseAt}` : ''}; next allowed at ${s.allowedAt}`,
  )
  return new DecreaseQuotaError(
    `Raising capacity now would leave it stuck: DynamoDB would refuse to lower it again before ${latest}.\n${lines.join('\n')}`,
    `Run the bump after ${latest}, or pass --allow-stuck to raise it anyway (the restore then fails until that time and the ledger stays open). Nothing was changed.`,
    latest,
  )
}

/**
 * Raises capacity of tables and GSIs (only increases), after writing the original values to a
 * ledger. Without changes to make (or with dryRun) no ledger is written. If raising fails part way,
 * whatever was raised is put back before the error is thrown.
 */
export async function bumpThroughput(conn: Connection, plan: ThroughputPlan, options: BumpOptions = {}): Promise<BumpResult> {
  validateThroughputPlan(plan)
  const now = options.now?.() ?? new Date()
  const statuses = await throughputStatus(
    conn,
    plan.map((p) => p.table),
    { now },
  )
  const { changes, skipped, stuck } = planBump(statuses, plan)
  if (stuck.length && !options.allowStuck) throw quotaError(stuck)
  if (options.dryRun || changes.length === 0) return { changes, skipped, stuck, dryRun: Boolean(options.dryRun) }

  const path =
    options.ledger ??
    defaultLedgerPath(
      plan.map((p) => p.table),
      now,
    )
  if (existsSync(path)) await refuseToOverwrite(path)
  const ledger = newLedger(changes, statuses, options.connection ?? {}, options.command)
  await writeLedger(path, ledger)
  const command = restoreCommand(path, ledger.connection)
  try {
    await applyChanges(conn, changes, 'raise', options)
  } catch (err) {
    try {
      await restoreThroughput(conn, path, { ...options, reached: true })
    } catch (restoreErr) {
      throw restoreFailure(`Raising capacity failed (${(err as Error).message}), and putting back what was raised failed too: `, restoreErr, path, command, err)
    }
    throw err
  }
  return { ledger: path, changes, skipped, stuck, dryRun: false, restoreCommand: command }
}

async function refuseToOverwrite(path: string): Promise<void> {
  let ledger: Ledger
  try {
    ledger = await readLedger(path)
  } catch {
    throw new UserInputError(`${path} already exists and is not a dynx ledger.`, 'Give --ledger a new file name; dynx will not overwrite it.')
  }
  if (ledger.status === 'open') {
    throw new UserInputError(
      `${path} holds an open ledger: capacity it raised has not been restored.`,
      `Run \`${restoreCommand(path, ledger.connection)}\` first, or give --ledger another file.`,
    )
  }
}

/**
 * Puts back the original values a ledger recorded, then marks it restored. Idempotent: values
 * already back are left alone, a restored ledger is a no-op. Each table is tried again through
 * 5xx, throttling, resets, too many concurrent updates and UPDATING for `restoreTimeoutMs`
 * (default 15 minutes; the window starts at the first failure dynx sees, after the SDK's own
 * retries). If DynamoDB refuses a decrease (its quota), that table stops at once; the rest is
 * still restored, the ledger stays open, and a CapacityRestoreError says when a retry will
 * succeed. A table still failing at the end of the window is a CapacityRestoreError too.
 * `reached`: the endpoint answered earlier in this run (a refused connection is then retried).
 */
export async function restoreThroughput(conn: Connection, ledgerPath: string, options: ThroughputOptions & { reached?: boolean } = {}): Promise<RestoreResult> {
  const ledger = await readLedger(ledgerPath)
  if (ledger.status === 'restored') return { ledger: ledgerPath, alreadyRestored: true, restored: [], unchanged: [], missingTables: [], changedSince: [] }
  const byTable = groupBy(ledger.changes, (c) => c.table)
  const restored: ThroughputChange[] = []
  const unchanged: ThroughputChange[] = []
  const missingTables: string[] = []
  const changedSince: RestoreResult['changedSince'] = []
  const refused: Array<{ table: string; error: Error; retryAt?: string }> = []
  const failed: Array<{ table: string; error: Error }> = []
  const command = restoreCommand(ledgerPath, ledger.connection)
  const windowMs = options.restoreTimeoutMs ?? DEFAULT_RESTORE_WINDOW_MS
  const persist = <T>(table: string, during: 'restoring' | 'checking', step: () => Promise<T>) =>
    keepTrying(step, { windowMs, ...options.backoff, reached: options.reached, onRetry: (e) => options.onProgress?.(retrying(table, during, e)) })
  await persist(ledger.changes[0]?.table ?? '', 'checking', () => checkSameTables(conn, ledger, command))
  const limit = pLimit(TABLE_CONCURRENCY)
  await Promise.all(
    [...byTable].map(([table, changes]) =>
      limit(async () => {
        // Changes sent by any try: a try whose answer was lost finds the value already back on the next.
        const applied = new Set<ThroughputChange>()
        try {
          const outcome = await persist(table, 'restoring', () => applyTable(conn, table, changes, 'restore', options, applied))
          for (const c of changes) {
            const moved = outcome.changedSince.get(c)
            if (moved !== undefined) changedSince.push({ ...c, current: moved })
            else (applied.has(c) ? restored : unchanged).push(c)
          }
        } catch (err) {
          if (err instanceof TableNotFoundError) missingTables.push(table)
          else if (errorChain(err).some(isDecreaseQuotaError)) refused.push({ table, error: err as Error, retryAt: await retryTime(conn, table, changes, options) })
          // The other tables are still restored; this one keeps the ledger open.
          else failed.push({ table, error: err as Error })
        }
      }),
    ),
  )
  if (failed.length) {
    throw new CapacityRestoreError(
      `Restoring ${failed.map((f) => f.table).join(', ')} failed${windowMs > 0 ? ` (dynx kept trying for up to ${formatWindow(windowMs)})` : ''}: ${failed[0].error.message}`,
      `The other tables are restored; the ledger ${ledgerPath} stays open and capacity stays raised. Fix the cause and run:\n  ${command}`,
      ledgerPath,
      command,
      undefined,
      { cause: failed[0].error },
    )
  }
  for (const c of changedSince) {
    const handedTo = await handOver(ledgerPath, c)
    if (handedTo) c.handedTo = handedTo
  }
  if (missingTables.length === byTable.size) {
    // Most likely the wrong place (region, endpoint, profile, local store), not every table deleted.
    throw new UserInputError(
      `None of the ledger's tables (${missingTables.join(', ')}) exist on ${conn.label}; the ledger stays open.`,
      `Restore where the bump was made: ${command}`,
    )
  }
  if (refused.length) {
    const retryAt = refused
      .map((r) => r.retryAt)
      .filter((t): t is string => Boolean(t))
      .sort()
      .at(-1)
    throw new CapacityRestoreError(
      `DynamoDB refused to lower the capacity of ${refused.map((r) => r.table).join(', ')}: ${refused[0].error.message}`,
      `The ledger ${ledgerPath} stays open. ${retryAt ? `Run this at or after ${retryAt}` : 'Run this later'}:\n  ${command}`,
      ledgerPath,
      command,
      retryAt,
      { cause: refused[0].error },
    )
  }
  await writeLedger(ledgerPath, { ...ledger, status: 'restored', restoredAt: new Date().toISOString() })
  return { ledger: ledgerPath, alreadyRestored: false, restored, unchanged, missingTables, changedSince }
}

function retrying(table: string, during: 'raising' | 'restoring' | 'checking', e: KeepTryingEvent): ThroughputProgress {
  return { stage: 'retrying', table, retry: { during, error: e.error, attempt: e.attempt, delayMs: e.delayMs, failingForMs: e.failingForMs, windowMs: e.windowMs } }
}

/** "15m", "90s" as "1m 30s", "1h 30m", "300ms" */
export function formatWindow(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  const rest = [m >= 60 ? `${Math.floor(m / 60)}h` : '', m % 60 ? `${m % 60}m` : '', s % 60 ? `${s % 60}s` : ''].filter(Boolean)
  return rest.join(' ')
}

/**
 * Refuses (nothing changed, ledger open) when a table of the ledger is not the one the bump changed:
 * another region or account with the same name, or a table deleted and created again.
 */
async function checkSameTables(conn: Connection, ledger: Ledger, command: string): Promise<void> {
  for (const original of ledger.original) {
    if (!original.tableId) continue
    const d = await findTable(conn, original.table)
    if (d?.TableId && d.TableId !== original.tableId) {
      throw new UserInputError(
        `${original.table} on ${conn.label} is not the table the bump changed (its TableId is ${d.TableId}, the ledger's ${original.tableId}); nothing was changed and the ledger stays open.`,
        `Restore where the bump was made: ${command}`,
      )
    }
  }
}

/**
 * A value dynx raised that a later bump raised further: that bump's ledger recorded dynx's raised
 * value as its original, so it is told the real original instead. Returns that ledger's path.
 */
async function handOver(ledgerPath: string, c: ThroughputChange & { current: number }): Promise<string | undefined> {
  const same = (o: ThroughputChange) => o.table === c.table && o.index === c.index && o.dimension === c.dimension && o.mechanism === c.mechanism
  for (const { path, ledger } of await findOpenLedgers(c.table, dirname(resolve(ledgerPath)))) {
    if (resolve(path) === resolve(ledgerPath)) continue
    const later = ledger.changes.find((o) => same(o) && o.from === c.to && o.to === c.current)
    if (!later) continue
    later.from = c.from
    if (c.fromMax !== undefined && later.fromMax === c.toMax) later.fromMax = c.fromMax
    await writeLedger(path, ledger)
    return path
  }
  return undefined
}

/** The capacity settings of a table (no index) or of one of its GSIs; undefined for a GSI it no longer has. */
function unitOf(d: TableDescription, index: string | undefined): Pick<TableDescription, 'ProvisionedThroughput' | 'OnDemandThroughput'> | undefined {
  return index === undefined ? d : d.GlobalSecondaryIndexes?.find((g) => g.IndexName === index)
}

/** The earliest time the decrease quota lets every refused unit of this table go down again. */
async function retryTime(conn: Connection, table: string, changes: ThroughputChange[], options: ThroughputOptions): Promise<string | undefined> {
  let d: TableDescription
  try {
    d = await describeTableRaw(conn, table)
  } catch {
    return undefined
  }
  const now = options.now?.() ?? new Date()
  const times = changes
    .filter((c) => c.mechanism === 'provisioned')
    .map((c) => {
      return decreaseQuota(unitOf(d, c.index)?.ProvisionedThroughput ?? {}, now).nextAllowedAt
    })
    .filter((t): t is string => Boolean(t))
  // DynamoDB refused although the arithmetic allows every unit: its own count is ahead of ours; an hour is the rule's step.
  return times.sort().at(-1) ?? new Date(now.getTime() + 3_600_000).toISOString()
}

/** Map.groupBy, which ES2023 lacks. */
function groupBy<K, V>(items: V[], key: (item: V) => K): Map<K, V[]> {
  const groups = new Map<K, V[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

async function applyChanges(conn: Connection, changes: ThroughputChange[], direction: 'raise' | 'restore', options: ThroughputOptions): Promise<void> {
  const limit = pLimit(TABLE_CONCURRENCY)
  let failed = false
  const stopped = new DynxError('stopped: another table failed')
  // Once one table fails, tables not yet started are left alone and those in flight are awaited,
  // so the rollback that follows sees every change that will ever be made.
  const results = await Promise.allSettled(
    [...groupBy(changes, (c) => c.table)].map(([table, tableChanges]) =>
      limit(async () => {
        if (failed) return
        try {
          const during = direction === 'raise' ? 'raising' : 'restoring'
          const windowMs = direction === 'raise' ? (options.raiseTimeoutMs ?? DEFAULT_RETRY_WINDOW_MS) : (options.restoreTimeoutMs ?? DEFAULT_RESTORE_WINDOW_MS)
          // Once another table failed, this one stops retrying: the rollback should not wait for it.
          await keepTrying(
            async () => {
              if (failed) throw stopped
              return applyTable(conn, table, tableChanges, direction, options)
            },
            { windowMs, ...options.backoff, reached: true, onRetry: (e) => options.onProgress?.(retrying(table, during, e)) },
          )
        } catch (err) {
          failed = true
          throw err
        }
      }),
    ),
  )
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason !== stopped)
  if (rejected) throw rejected.reason
}

/**
 * Sets one table's changes to their raised (`to`) or original (`from`) values: waits for the table
 * and its GSIs to be ACTIVE, sends as few UpdateTable calls as DynamoDB allows (table and up to five
 * GSIs each), registers scalable targets, and waits again. Returns the changes that needed a call.
 */
async function applyTable(
  conn: Connection,
  table: string,
  changes: ThroughputChange[],
  direction: 'raise' | 'restore',
  options: ThroughputOptions,
  applied: Set<ThroughputChange> = new Set(),
): Promise<{ applied: Set<ThroughputChange>; changedSince: Map<ThroughputChange, number> }> {
  const value = (c: ThroughputChange) => (direction === 'raise' ? c.to : c.from)
  const changedSince = new Map<ThroughputChange, number>()
  // Raise: never lower a value that is already higher. Restore: only a value still at dynx's own.
  const needsSet = (c: ThroughputChange, current: number): boolean => {
    if (direction === 'raise') return current < c.to
    if (current === c.from) return false
    if (current !== c.to) {
      changedSince.set(c, current)
      return false
    }
    return true
  }
  const stage = direction === 'raise' ? 'raising' : 'restoring'
  const wait = () =>
    waitForTableActive(conn, table, {
      timeoutMs: options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
      onProgress: (p) => options.onProgress?.({ stage: 'waiting', table, status: p.status, pendingIndexes: p.pendingIndexes, elapsedMs: p.elapsedMs }),
    })
  options.onProgress?.({ stage, table })
  await wait()
  const d = await describeTableRaw(conn, table)
  let sent = false
  // Table and GSI changes this try sends, checked against the table once it is ACTIVE again.
  const sentToTable: ThroughputChange[] = []

  const units = groupBy(
    changes.filter((c) => c.mechanism !== 'auto-scaling'),
    (c) => c.index,
  )
  let tableUpdate: Pick<UpdateTableCommandInput, 'ProvisionedThroughput' | 'OnDemandThroughput'> = {}
  const indexUpdates: GlobalSecondaryIndexUpdate[] = []
  for (const [index, unitChanges] of units) {
    const unit = unitOf(d, index)
    if (!unit) continue // the index was deleted meanwhile: nothing of it to set
    const { ProvisionedThroughput: pt, OnDemandThroughput: od } = unit
    const current = {
      provisioned: { read: pt?.ReadCapacityUnits ?? 0, write: pt?.WriteCapacityUnits ?? 0 },
      'on-demand': { read: od?.MaxReadRequestUnits ?? -1, write: od?.MaxWriteRequestUnits ?? -1 },
    }
    const wanted = { provisioned: { ...current.provisioned }, 'on-demand': { ...current['on-demand'] } }
    for (const c of unitChanges) {
      const mechanism = c.mechanism as 'provisioned' | 'on-demand'
      if (!needsSet(c, current[mechanism][c.dimension])) continue
      wanted[mechanism][c.dimension] = value(c)
      applied.add(c)
      sentToTable.push(c)
      sent = true
    }
    const update: Pick<UpdateTableCommandInput, 'ProvisionedThroughput' | 'OnDemandThroughput'> = {}
    if (wanted.provisioned.read !== current.provisioned.read || wanted.provisioned.write !== current.provisioned.write) {
      update.ProvisionedThroughput = { ReadCapacityUnits: wanted.provisioned.read, WriteCapacityUnits: wanted.provisioned.write }
    }
    const od2 = wanted['on-demand']
    if (od2.read !== current['on-demand'].read || od2.write !== current['on-demand'].write) {
      update.OnDemandThroughput = {
        ...(od2.read !== current['on-demand'].read ? { MaxReadRequestUnits: od2.read } : {}),
        ...(od2.write !== current['on-demand'].write ? { MaxWriteRequestUnits: od2.write } : {}),
      }
    }
    if (!update.ProvisionedThroughput && !update.OnDemandThroughput) continue
    if (index === undefined) tableUpdate = update
    else indexUpdates.push({ Update: { IndexName: index, ...update } as NonNullable<GlobalSecondaryIndexUpdate['Update']> })
  }

  let first = true
  for (let i = 0; first || i < indexUpdates.length; i += INDEX_UPDATES_PER_CALL) {
    const chunk = indexUpdates.slice(i, i + INDEX_UPDATES_PER_CALL)
    const input: UpdateTableCommandInput = { TableName: table, ...(first ? tableUpdate : {}), ...(chunk.length ? { GlobalSecondaryIndexUpdates: chunk } : {}) }
    first = false
    if (!input.ProvisionedThroughput && !input.OnDemandThroughput && !chunk.length) continue
    if (i > 0) await wait()
    try {
      await call(conn, 'UpdateTable', () => conn.dynamodb.send(new UpdateTableCommand(input)), table)
    } catch (err) {
      // The SDK's retry of an update whose answer was lost: the values are already set.
      if (!isUnchangedUpdate(err)) throw err
    }
  }

  const scaled = changes.filter((c) => c.mechanism === 'auto-scaling')
  const { targets } = scaled.length ? await readScalingTargets(conn, [...new Set(scaled.map((c) => scalingResourceId(table, c.index)))]) : { targets: new Map() }
  for (const c of scaled) {
    const min = value(c)
    const max = direction === 'raise' ? c.toMax : c.fromMax
    const current = targets.get(scalingTargetKey(table, c.dimension, c.index))
    // A target deregistered since the bump is not registered again.
    if (!current) {
      if (direction === 'restore') changedSince.set(c, 0)
      continue
    }
    if (!needsSet(c, current.min)) continue
    await registerScalableTarget(conn, table, c, min, max)
    applied.add(c)
    sent = true
  }
  if (sent) await wait()
  if (sentToTable.length) await checkSet(conn, table, sentToTable, direction)
  return { applied, changedSince }
}

/**
 * After an update and the wait for ACTIVE, reads the table again: every value sent must read as
 * set (a raise: at least `to`; a restore: exactly `from`). ACTIVE alone does not prove it: an
 * UpdateTable retried after a reset that the service applied twice ends twice, and the later end
 * (at the values of the earlier call) can come after this update started, so the table is ACTIVE
 * at the raised values while dynx's restore is in flight or lost. Throws CapacityNotSetError,
 * which the caller's keepTrying retries: the next try reads the values and sends what is missing.
 */
async function checkSet(conn: Connection, table: string, changes: ThroughputChange[], direction: 'raise' | 'restore'): Promise<void> {
  const d = await describeTableRaw(conn, table)
  const wrong: string[] = []
  for (const c of changes) {
    const unit = unitOf(d, c.index)
    if (!unit) continue // the index was deleted meanwhile
    const current =
      c.mechanism === 'on-demand'
        ? ((c.dimension === 'read' ? unit.OnDemandThroughput?.MaxReadRequestUnits : unit.OnDemandThroughput?.MaxWriteRequestUnits) ?? -1)
        : ((c.dimension === 'read' ? unit.ProvisionedThroughput?.ReadCapacityUnits : unit.ProvisionedThroughput?.WriteCapacityUnits) ?? 0)
    const ok = direction === 'raise' ? current >= c.to : current === c.from
    if (!ok) wrong.push(`${c.dimension} of ${unitLabel(table, c.index)} reads ${current}, not ${direction === 'raise' ? c.to : c.from}`)
  }
  if (wrong.length) {
    throw new CapacityNotSetError(`The update of ${table} finished, but ${wrong.join('; ')} (a later-ending update set other values); trying again.`)
  }
}

async function registerScalableTarget(conn: Connection, table: string, c: ThroughputChange, min: number, max: number | undefined): Promise<void> {
  try {
    await conn.autoscaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'dynamodb',
        ResourceId: scalingResourceId(table, c.index),
        ScalableDimension: scalableDimension(c.dimension, c.index) as never,
        MinCapacity: min,
        ...(max !== undefined ? { MaxCapacity: max } : {}),
      }),
    )
  } catch (err) {
    if (err instanceof DynxError) throw err
    throw new DynxError(
      `Application Auto Scaling refused to set the ${c.dimension} range of ${unitLabel(table, c.index)} to ${min}-${max ?? '?'}: ${(err as Error).message}`,
      undefined,
      { cause: err },
    )
  }
}

/**
 * A restore that failed after something else (a failed raise, a failed job) as one error: `what`
 * happened first, followed by the restore's own message; its hint (or the restore command) and retry time.
 */
function restoreFailure(what: string, restoreError: unknown, ledger: string, command: string, cause: unknown): CapacityRestoreError {
  const e = restoreError as DynxError
  return new CapacityRestoreError(
    `${what}${e.message}`,
    e.hint ?? `Run \`${command}\` to put the original values back.`,
    ledger,
    command,
    e instanceof CapacityRestoreError ? e.retryAt : undefined,
    { cause },
  )
}

export interface WithThroughputResult<T> {
  result: T
  bump: BumpResult
  restore?: RestoreResult
}

/**
 * Raises capacity for the length of `job` and puts it back whatever the job does (returns,
 * throws, is aborted). A crash in between leaves the ledger for `restoreThroughput`.
 */
export async function withThroughput<T>(
  conn: Connection,
  plan: ThroughputPlan,
  job: (bump: BumpResult) => Promise<T>,
  options: BumpOptions = {},
): Promise<WithThroughputResult<T>> {
  const bump = await bumpThroughput(conn, plan, options)
  let result: T
  try {
    result = await job(bump)
  } catch (jobError) {
    if (bump.ledger) {
      try {
        await restoreThroughput(conn, bump.ledger, { ...options, reached: true })
      } catch (restoreError) {
        throw restoreFailure(`${(jobError as Error).message}\nAlso, `, restoreError, bump.ledger, bump.restoreCommand ?? '', jobError)
      }
    }
    throw jobError
  }
  let restore: RestoreResult | undefined
  try {
    restore = bump.ledger ? await restoreThroughput(conn, bump.ledger, { ...options, reached: true }) : undefined
  } catch (err) {
    if (err instanceof CapacityRestoreError) throw err
    throw restoreFailure('The job finished, but putting capacity back failed: ', err, bump.ledger ?? '', bump.restoreCommand ?? '', err)
  }
  return { result, bump, ...(restore ? { restore } : {}) }
}
