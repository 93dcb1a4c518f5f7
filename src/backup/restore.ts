import { RestoreTableFromBackupCommand, type BackupDescription, type TableDescription } from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

import { call, requireFeature } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { isOwnRestore } from '../connection/idempotent.js'
import { assertValidTableName } from '../connection/names.js'
import { BackupNotFoundError, InterruptedError, TableExistsError, TimeoutWaitingError, UserInputError } from '../errors.js'
import { describeTableRaw, findTable, listTableNames } from '../tables/describe.js'
import { waitForTableActive, type WaitOptions } from '../tables/wait.js'
import { backupInfo, describeBackup, listBackups, type BackupInfo, type BackupProgress, type BackupTypeName } from './backups.js'
import { reconcileRestoredTable, type ReconcileResult } from './reconcile.js'

export interface RestoreOptions {
  /** Wait until the restored table is ACTIVE (implied by reconcile). */
  wait?: boolean
  /** Re-apply what a restore leaves out (TTL, stream, tags, PITR, auto scaling, billing); default true. */
  reconcile?: boolean
  waitOptions?: Omit<WaitOptions, 'onProgress'>
  onProgress?: (p: BackupProgress) => void
}

export interface TableRestoreResult {
  /** The table the data came from. */
  source: string
  target: string
  targetArn?: string
  /** CREATING when not waited for, else ACTIVE. */
  status: string
  /** Backup restores: the backup used. */
  backup?: BackupInfo
  /** Point-in-time restores: the time restored to (ISO 8601), or "latest". */
  restoredTo?: string
  reconcile?: ReconcileResult
}

export const existingTargetHint = 'A restore never overwrites a table: pick another target name, or delete the existing table first (`dynx tables describe` shows what it holds).'

/**
 * Sends a restore call (RestoreTableFromBackup or RestoreTableToPointInTime). Its TableAlreadyExists
 * answer after a lost answer to an applied first attempt is the restore dynx started (CREATING, or
 * its RestoreSummary names our source), and counts as started; any other is the name taken.
 */
export async function sendRestore(
  conn: Connection,
  operation: string,
  target: string,
  source: { backupArn?: string; table?: string },
  send: () => Promise<{ TableDescription?: TableDescription }>,
  table?: string,
): Promise<TableDescription | undefined> {
  try {
    return (await call(conn, operation, send, table)).TableDescription
  } catch (err) {
    if ((err as Error).name !== 'TableAlreadyExistsException') throw err
    const found = await findTable(conn, target)
    if (isOwnRestore(err, found, source)) return found
    throw new TableExistsError(target, existingTargetHint)
  }
}

/** Refuses a restore target that exists or is not a valid table name. */
export async function assertRestoreTarget(conn: Connection, target: string): Promise<void> {
  assertValidTableName(target)
  if (await findTable(conn, target)) throw new TableExistsError(target, existingTargetHint)
}

/** How to finish by hand what an interrupted or --no-reconcile restore left out. */
export const reconcileCommand = (target: string) => `dynx backup reconcile ${target}`

/** Restores of big tables take hours; waiting gives up only after this long (then reconcile by hand). */
export const RESTORE_WAIT_MS = 24 * 60 * 60_000

async function waitForRestore(conn: Connection, target: string, options: RestoreOptions): Promise<void> {
  const finishLater = `When it is ACTIVE, run \`${reconcileCommand(target)}\` to re-apply TTL, stream, tags, PITR, auto scaling and billing from the source.`
  try {
    await waitForTableActive(conn, target, {
      timeoutMs: RESTORE_WAIT_MS,
      ...options.waitOptions,
      onProgress: (w) =>
        options.onProgress?.({ stage: 'wait', table: target, message: `restoring ${target}: ${[w.status, ...w.pendingIndexes].join(', ')} (${Math.round(w.elapsedMs / 1000)}s)` }),
    })
  } catch (err) {
    if (options.waitOptions?.signal?.aborted) {
      throw new InterruptedError(`Stopped waiting for ${target}; the restore goes on in DynamoDB, and nothing was reconciled.`, finishLater, { cause: err })
    }
    if (err instanceof TimeoutWaitingError) throw new TimeoutWaitingError(`${err.message} The restore goes on in DynamoDB; nothing was reconciled.`, finishLater, { cause: err })
    throw err
  }
}

/** After the restore call: wait for ACTIVE and reconcile, as asked. */
export async function finishRestore(
  conn: Connection,
  started: { source: string; target: string; description?: TableDescription; backup?: BackupDescription },
  options: RestoreOptions,
): Promise<Pick<TableRestoreResult, 'status' | 'targetArn' | 'reconcile'>> {
  const { target } = started
  const reconcile = options.reconcile ?? true
  const targetArn = started.description?.TableArn
  const arn = targetArn ? { targetArn } : {}
  if (!reconcile && !options.wait) return { status: started.description?.TableStatus ?? 'CREATING', ...arn }
  await waitForRestore(conn, target, options)
  if (!reconcile) return { status: 'ACTIVE', ...arn }
  const result = await reconcileRestoredTable(conn, target, { table: started.source, ...(started.backup ? { backup: started.backup } : {}) }, options.onProgress)
  return { status: 'ACTIVE', ...arn, reconcile: result }
}

/** Restores a backup (by name or ARN) into a new table. */
export async function restoreBackup(conn: Connection, ref: string, target: string, options: RestoreOptions = {}): Promise<TableRestoreResult> {
  requireFeature(conn, 'backups', 'on-demand backups')
  assertValidTableName(target)
  const backup = await describeBackup(conn, ref)
  if (backup.status !== 'AVAILABLE') {
    throw new UserInputError(`Backup ${backup.name} is ${backup.status}, not AVAILABLE.`, `Wait for it (\`dynx backup describe ${backup.arn}\`) and restore again.`)
  }
  await assertRestoreTarget(conn, target)
  return restoreOne(conn, backup, backup.description, target, options)
}

interface StartedRestore {
  backup: BackupInfo
  /** The backup's record of its source, for reconciling when the source is gone. */
  description?: BackupDescription
  target: string
  table?: TableDescription
}

async function startRestore(conn: Connection, backup: BackupInfo, description: BackupDescription | undefined, target: string, options: RestoreOptions): Promise<StartedRestore> {
  options.onProgress?.({ stage: 'restore', table: target, message: `restoring ${backup.name} into ${target}` })
  const table = await sendRestore(conn, 'RestoreTableFromBackup', target, { backupArn: backup.arn }, () =>
    conn.dynamodb.send(new RestoreTableFromBackupCommand({ BackupArn: backup.arn, TargetTableName: target })),
  )
  return { backup, ...(description ? { description } : {}), target, ...(table ? { table } : {}) }
}

async function finishBackupRestore(conn: Connection, r: StartedRestore, options: RestoreOptions): Promise<TableRestoreResult> {
  const finished = await finishRestore(
    conn,
    { source: r.backup.table, target: r.target, ...(r.table ? { description: r.table } : {}), ...(r.description ? { backup: r.description } : {}) },
    options,
  )
  return { source: r.backup.table, target: r.target, backup: backupInfo(r.backup), ...finished }
}

async function restoreOne(conn: Connection, backup: BackupInfo, description: BackupDescription | undefined, target: string, options: RestoreOptions): Promise<TableRestoreResult> {
  return finishBackupRestore(conn, await startRestore(conn, backup, description, target, options), options)
}

export interface PrefixRestoreOptions extends RestoreOptions {
  /** Tables whose names start with this (live ones, and ones only backups remember). */
  prefix: string
  /** Each restored table is named toPrefix + the rest of the source's name. */
  toPrefix: string
  /** Use the newest backup created before this time; default the newest. */
  before?: Date
  /** Which backups count; default all types DynamoDB lists. */
  type?: BackupTypeName
  concurrency?: number
  /** Called with the plan before the first restore (a confirmation); throw to stop. */
  beforeRestore?: (plan: PrefixRestorePlanItem[]) => Promise<void> | void
}

export interface PrefixRestorePlanItem {
  table: string
  target: string
  backup: BackupInfo
}

export interface PrefixRestoreResult {
  restores: TableRestoreResult[]
  failed: { table: string; target: string; error: string }[]
}

/** Which backup each table of the prefix restores from, and into which name; refuses if any table lacks one or any target exists. */
export async function planPrefixRestore(conn: Connection, options: Omit<PrefixRestoreOptions, keyof RestoreOptions>): Promise<PrefixRestorePlanItem[]> {
  requireFeature(conn, 'backups', 'on-demand backups')
  if (!options.prefix) throw new UserInputError('A prefix restore needs --prefix.', 'Example: dynx backup restore --prefix prod_ --to-prefix restored_')
  if (!options.toPrefix || options.toPrefix.startsWith(options.prefix)) {
    throw new UserInputError(
      `--to-prefix "${options.toPrefix}" must not start with --prefix "${options.prefix}".`,
      'The restored tables would count as tables of --prefix on the next run; name them with another prefix, e.g. --to-prefix restored_.',
    )
  }
  const [live, backups] = await Promise.all([
    listTableNames(conn, options.prefix),
    listBackups(conn, { prefix: options.prefix, type: options.type ?? 'all', ...(options.before ? { before: options.before } : {}) }),
  ])
  const newest = new Map<string, BackupInfo>()
  // listBackups is newest first within a table.
  for (const b of backups) if (b.status === 'AVAILABLE' && !newest.has(b.table)) newest.set(b.table, b)
  const tables = [...new Set([...live, ...newest.keys()])].sort()
  if (tables.length === 0)
    throw new UserInputError(
      `No table and no backup starts with "${options.prefix}" on ${conn.label}.`,
      'Check --prefix and the connection flags; `dynx backup list --prefix P` shows what exists.',
    )
  const missing = tables.filter((t) => !newest.has(t))
  if (missing.length) {
    throw new UserInputError(
      `${missing.length} of ${tables.length} tables have no ${options.type && options.type !== 'all' ? `${options.type} ` : ''}backup${options.before ? ` before ${options.before.toISOString()}` : ''}: ${missing.join(', ')}. Nothing was restored.`,
      'Back them up first (`dynx backup create`), or restore the others one by one with `dynx backup restore NAME TARGET`.',
    )
  }
  const plan = tables.map((table) => ({ table, target: assertValidTableName(options.toPrefix + table.slice(options.prefix.length)), backup: newest.get(table) as BackupInfo }))
  const existing = (await Promise.all(plan.map(async (p) => ((await findTable(conn, p.target)) ? p.target : undefined)))).filter(Boolean)
  if (existing.length) {
    throw new UserInputError(`${existing.length} restore targets already exist: ${existing.join(', ')}. Nothing was restored.`, existingTargetHint)
  }
  return plan
}

/**
 * Restores the newest backup (before a time) of every table with a prefix into tables with another
 * prefix, several at once. Everything is checked before the first restore starts.
 */
export async function restoreBackupsByPrefix(conn: Connection, options: PrefixRestoreOptions): Promise<PrefixRestoreResult> {
  const plan = await planPrefixRestore(conn, options)
  await options.beforeRestore?.(plan)
  const limit = pLimit(options.concurrency ?? 10)
  const signal = options.waitOptions?.signal
  const result: PrefixRestoreResult = { restores: [], failed: [] }
  const fail = (p: { table: string; target: string }, err: unknown) => {
    if (!(err instanceof InterruptedError)) result.failed.push({ table: p.table, target: p.target, error: (err as Error).message })
  }
  // Every restore is started before any is waited for: DynamoDB runs up to 50 at once, and each takes as long as its table.
  const started: StartedRestore[] = []
  await Promise.all(
    plan.map((p) =>
      limit(async () => {
        if (signal?.aborted) return
        try {
          const d = (options.reconcile ?? true) ? (await describeBackup(conn, p.backup.arn)).description : undefined
          started.push(await startRestore(conn, p.backup, d, p.target, options))
        } catch (err) {
          fail(p, err)
        }
      }),
    ),
  )
  await Promise.all(
    started.map(async (r) => {
      try {
        result.restores.push(await finishBackupRestore(conn, r, options))
      } catch (err) {
        fail({ table: r.backup.table, target: r.target }, err)
      }
    }),
  )
  if (signal?.aborted) {
    const names = started.map((r) => r.target)
    const notStarted = plan.filter((p) => !names.includes(p.target) && !result.failed.some((f) => f.target === p.target)).map((p) => p.target)
    throw new InterruptedError(
      `Interrupted: ${names.length} restores go on in DynamoDB (${names.join(', ')})${notStarted.length ? `; not started: ${notStarted.join(', ')}` : ''}.`,
      `When they are ACTIVE, run \`${reconcileCommand('TARGET')}\` for each${notStarted.length ? '; restore the others one by one with `dynx backup restore NAME TARGET`' : ''}.`,
    )
  }
  result.restores.sort((a, b) => a.target.localeCompare(b.target))
  result.failed.sort((a, b) => a.target.localeCompare(b.target))
  return result
}

export interface ReconcileRestoreOptions {
  /** The table to take settings from; default the source the restored table names (RestoreSummary). */
  source?: string
  waitOptions?: Omit<WaitOptions, 'onProgress'>
  onProgress?: (p: BackupProgress) => void
}

/**
 * Reconciles a table restored earlier (with --no-reconcile, or interrupted while waiting): waits
 * for ACTIVE, then re-applies the settings of the source its RestoreSummary names (or `source`).
 */
export async function reconcileRestore(conn: Connection, target: string, options: ReconcileRestoreOptions = {}): Promise<ReconcileResult & { target: string }> {
  const summary = (await describeTableRaw(conn, target)).RestoreSummary
  const source = options.source ?? summary?.SourceTableArn?.split(':table/')[1]?.split('/')[0]
  if (!source) {
    throw new UserInputError(`${target} does not say which table it was restored from.`, `Name the table to take settings from: ${reconcileCommand(target)} --source SOURCE.`)
  }
  let backup: BackupDescription | undefined
  if (summary?.SourceBackupArn && !options.source) {
    try {
      backup = (await describeBackup(conn, summary.SourceBackupArn)).description
    } catch (err) {
      // A backup deleted since the restore only matters when the source table is gone too.
      if (!(err instanceof BackupNotFoundError)) throw err
    }
  }
  await waitForRestore(conn, target, { ...options, reconcile: true })
  return { target, ...(await reconcileRestoredTable(conn, target, { table: source, ...(backup ? { backup } : {}) }, options.onProgress)) }
}
