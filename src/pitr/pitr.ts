import { RestoreTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

import { assertRestoreTarget, finishRestore, sendRestore, type RestoreOptions, type TableRestoreResult } from '../backup/restore.js'
import { requireFeature } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { PitrNotEnabledError, RestoreWindowError, UserInputError } from '../errors.js'
import { describeContinuousBackups, describeTableRaw, pitrStateOf, type PitrState } from '../tables/describe.js'
import { setPointInTimeRecovery } from '../tables/settings.js'

export interface PitrStatus extends PitrState {
  table: string
}

export interface PitrChange {
  table: string
  before: PitrStatus
  after: PitrStatus
  /** False when the table already was as asked. */
  changed: boolean
}

export interface PitrProgress {
  table: string
  message: string
}

const CONCURRENCY = 8
export const MAX_RECOVERY_DAYS = 35

function needTables(tables: string[]): void {
  if (tables.length === 0) throw new UserInputError('No tables given.', 'Name tables, or give --prefix matching at least one table.')
}

async function statusOf(conn: Connection, table: string): Promise<PitrStatus> {
  return { table, ...pitrStateOf(await describeContinuousBackups(conn, table)) }
}

/** Point-in-time recovery of each table: enabled or not, the restorable window, the recovery period. */
export async function pitrStatus(conn: Connection, tables: string[]): Promise<PitrStatus[]> {
  requireFeature(conn, 'pitr', 'point-in-time recovery')
  const limit = pLimit(CONCURRENCY)
  return Promise.all(tables.map((t) => limit(() => statusOf(conn, t))))
}

export interface SetPitrOptions {
  /** Recovery period, 1-35 days (enable only); unset keeps the table's or the service default (35). */
  recoveryDays?: number
  onProgress?: (p: PitrProgress) => void
}

/**
 * Turns point-in-time recovery on or off for each table. Every table is read first, so an unknown
 * name changes nothing; a table already as asked is left alone.
 */
export async function setPitr(conn: Connection, tables: string[], enabled: boolean, options: SetPitrOptions = {}): Promise<{ tables: PitrChange[] }> {
  requireFeature(conn, 'pitr', 'point-in-time recovery')
  needTables(tables)
  const days = options.recoveryDays
  if (days !== undefined) {
    if (!enabled) throw new UserInputError('--recovery-days applies to enable only.', 'Drop --recovery-days, or use `dynx pitr enable TABLE --recovery-days N`.')
    if (!Number.isInteger(days) || days < 1 || days > MAX_RECOVERY_DAYS) {
      throw new UserInputError(`--recovery-days ${days} is out of range.`, `DynamoDB keeps between 1 and ${MAX_RECOVERY_DAYS} days of point-in-time recovery.`)
    }
  }
  const before = await pitrStatus(conn, tables)
  const limit = pLimit(CONCURRENCY)
  const changes = await Promise.all(
    before.map((b) =>
      limit(async (): Promise<PitrChange> => {
        const isOn = b.status === 'ENABLED' || b.status === 'ENABLING'
        const needed = isOn !== enabled || (enabled && days !== undefined && b.recoveryPeriodInDays !== days)
        if (!needed) return { table: b.table, before: b, after: b, changed: false }
        options.onProgress?.({ table: b.table, message: `${enabled ? 'enabling' : 'disabling'} point-in-time recovery on ${b.table}` })
        await setPointInTimeRecovery(conn, b.table, enabled, days)
        return { table: b.table, before: b, after: await statusOf(conn, b.table), changed: true }
      }),
    ),
  )
  return { tables: changes }
}

export interface PointInTimeRestoreOptions extends RestoreOptions {
  /** The moment to restore to; must lie in the source's restorable window. */
  time?: Date
  /** Restore to the latest restorable time instead. */
  latest?: boolean
}

/**
 * Restores a table as it was at a time (or the latest restorable time) into a new table. The time
 * is checked against the restorable window before DynamoDB is asked, so a bad time changes nothing.
 */
export async function restoreToPointInTime(
  conn: Connection,
  source: string,
  target: string,
  options: PointInTimeRestoreOptions,
): Promise<TableRestoreResult & { window: { earliest?: string; latest?: string } }> {
  requireFeature(conn, 'pitr', 'point-in-time recovery')
  if (Boolean(options.time) === Boolean(options.latest)) {
    throw new UserInputError('Say when to restore to: exactly one of --time, --ago and --latest.', 'Examples: --time 2026-11-20T15:00:00Z, --ago 2h, --latest.')
  }
  await describeTableRaw(conn, source)
  await assertRestoreTarget(conn, target)
  const state = await statusOf(conn, source)
  if (state.status !== 'ENABLED') throw new PitrNotEnabledError(source)
  const window = {
    ...(state.earliestRestorableTime ? { earliest: state.earliestRestorableTime } : {}),
    ...(state.latestRestorableTime ? { latest: state.latestRestorableTime } : {}),
  }
  if (options.time && window.earliest && window.latest) {
    const at = options.time.getTime()
    if (at < Date.parse(window.earliest) || at > Date.parse(window.latest)) throw new RestoreWindowError(source, options.time.toISOString(), window.earliest, window.latest)
  }
  const restoredTo = options.time ? options.time.toISOString() : 'latest'
  options.onProgress?.({ stage: 'restore', table: target, message: `restoring ${source} as of ${restoredTo} into ${target}` })
  const description = await sendRestore(
    conn,
    'RestoreTableToPointInTime',
    target,
    { table: source },
    () =>
      conn.dynamodb.send(
        new RestoreTableToPointInTimeCommand({
          SourceTableName: source,
          TargetTableName: target,
          ...(options.time ? { RestoreDateTime: options.time } : { UseLatestRestorableTime: true }),
        }),
      ),
    source,
  )
  const finished = await finishRestore(conn, { source, target, description }, options)
  return { source, target, restoredTo, window, ...finished }
}
