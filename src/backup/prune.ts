import type { Connection } from '../connection/clients.js'
import { TableNotFoundError, UserInputError } from '../errors.js'
import { findTable } from '../tables/describe.js'
import { deleteBackupList, listBackups, type BackupInfo, type BackupProgress, type DeleteBackupsResult } from './backups.js'

export interface PruneOptions {
  /** Backups of this table (exactly one of table and prefix). */
  table?: string
  /** Backups of every table whose name starts with this. */
  prefix?: string
  /** Keep the newest N backups of each table; 0 (given explicitly) allows deleting them all. */
  keep?: number
  /** Delete backups older than this many milliseconds. With keep as well, only backups both rules give up are deleted. */
  olderThanMs?: number
  /** Plan only. */
  dryRun?: boolean
  /** The moment ages are measured from; default now. */
  now?: Date
  /** Called with the plan before anything is deleted (a confirmation); throw to stop. Not called when nothing is to go. */
  beforeDelete?: (plan: PrunePlan) => Promise<void> | void
  onProgress?: (p: BackupProgress) => void
}

export interface PruneTablePlan {
  table: string
  /** Which table of that name, when DynamoDB reports it: a re-created table's backups are counted apart from the old one's. */
  tableId?: string
  keep: BackupInfo[]
  delete: BackupInfo[]
}

export interface PrunePlan {
  tables: PruneTablePlan[]
  /** What the rules were, in words, for the report. */
  rule: string
}

export interface PruneResult extends PrunePlan, DeleteBackupsResult {
  dryRun: boolean
}

function validate(options: PruneOptions): void {
  if (Boolean(options.table) === (options.prefix !== undefined && options.prefix !== '')) {
    throw new UserInputError('Prune needs exactly one of --table and --prefix.', 'Example: dynx backup prune --table users --keep 14, or --prefix prod_ --older-than 30d.')
  }
  if (options.keep === undefined && options.olderThanMs === undefined) {
    throw new UserInputError(
      'Prune needs --keep N or --older-than AGE.',
      'Example: --keep 14 keeps the newest 14 backups of each table; --older-than 30d deletes those older than 30 days.',
    )
  }
  if (options.keep !== undefined && (!Number.isInteger(options.keep) || options.keep < 0)) {
    throw new UserInputError(`--keep ${options.keep} is not a whole number of backups to keep.`, 'Give 0 or more; --keep 0 deletes every user backup of the table.')
  }
}

/**
 * Which USER backups of each table go and which stay. Only AVAILABLE user backups are considered
 * (system and AWS Backup ones belong to other lifecycles; CREATING ones are not finished).
 * The newest backup of each table always stays unless keep is 0.
 */
export function planPrune(backups: BackupInfo[], options: PruneOptions): PrunePlan {
  validate(options)
  const now = (options.now ?? new Date()).getTime()
  // Grouped by table and TableId: the last backups of a deleted table must not be pruned to make room for its same-named successor's.
  const byTable = new Map<string, BackupInfo[]>()
  for (const b of backups) {
    if (b.type !== 'USER' || b.status !== 'AVAILABLE') continue
    const key = `${b.table}\u0000${b.tableId ?? ''}`
    byTable.set(key, [...(byTable.get(key) ?? []), b])
  }
  const minimum = options.keep ?? 1
  const tables = [...byTable.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, list]) => {
      const newestFirst = [...list].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      const { table, tableId } = newestFirst[0]
      const plan: PruneTablePlan = { table, ...(tableId ? { tableId } : {}), keep: [], delete: [] }
      newestFirst.forEach((b, i) => {
        const old = options.olderThanMs === undefined || now - Date.parse(b.createdAt) > options.olderThanMs
        const beyondKeep = i >= minimum
        ;(old && beyondKeep ? plan.delete : plan.keep).push(b)
      })
      return plan
    })
  const rules = [
    ...(options.keep !== undefined ? [`keep the newest ${options.keep}`] : ['keep the newest']),
    ...(options.olderThanMs !== undefined ? [`delete those older than ${Math.round(options.olderThanMs / 1000)}s`] : []),
  ]
  return { tables, rule: rules.join(', ') }
}

/** Deletes old USER backups of a table or every table with a prefix, by count and/or age. */
export async function pruneBackups(conn: Connection, options: PruneOptions): Promise<PruneResult> {
  validate(options)
  const backups = await listBackups(conn, { ...(options.table ? { table: options.table } : { prefix: options.prefix }), type: 'user' })
  if (options.table && backups.length === 0 && !(await findTable(conn, options.table))) throw new TableNotFoundError(options.table, conn.label)
  const plan = planPrune(backups, options)
  const doomed = plan.tables.flatMap((t) => t.delete)
  if (options.dryRun || doomed.length === 0) return { ...plan, dryRun: Boolean(options.dryRun), deleted: [], failed: [] }
  await options.beforeDelete?.(plan)
  return { ...plan, dryRun: false, ...(await deleteBackupList(conn, doomed, options.onProgress)) }
}
