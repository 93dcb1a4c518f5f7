import * as Flags from '@oclif/core/flags'
import Table from 'cli-table3'

import type { BackupDetail, BackupInfo, CreateBackupResult } from '../backup/backups.js'
import type { PruneResult } from '../backup/prune.js'
import type { ReconcileResult } from '../backup/reconcile.js'
import { reconcileCommand, type PrefixRestorePlanItem, type PrefixRestoreResult, type TableRestoreResult } from '../backup/restore.js'
import type { PitrChange, PitrStatus } from '../pitr/pitr.js'
import { formatBytes } from './render.js'

/** Text renderers for backup and PITR results. */

/** --wait and --[no-]reconcile, shared by `backup restore` and `pitr restore`. */
export const restoreFlags = () => ({
  wait: Flags.boolean({ summary: 'Wait until the restored tables are ACTIVE (always done when reconciling).' }),
  reconcile: Flags.boolean({ summary: 'Re-apply TTL, stream, tags, PITR, auto scaling and billing from the source.', default: true, allowNo: true }),
})

/** What the first Ctrl-C during a restore's wait prints. */
export const RESTORE_INTERRUPT_MESSAGE = 'Interrupted; the restore itself goes on in DynamoDB. Stopping the wait (press Ctrl-C again to quit at once).'

const plain = { style: { head: [] as string[], border: [] as string[] } }
const size = (b: BackupInfo) => (b.sizeBytes === undefined ? '-' : formatBytes(b.sizeBytes))
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')

export function renderBackupList(backups: BackupInfo[]): string {
  if (backups.length === 0) return 'No backups.'
  const t = new Table({ head: ['Name', 'Table', 'Created (UTC)', 'Size', 'Status', 'Type'], ...plain })
  for (const b of backups) t.push([b.name, b.table, when(b.createdAt), size(b), b.status, b.type])
  return `${t.toString()}\n${backups.length} backup${backups.length === 1 ? '' : 's'}.`
}

export function renderCreatedBackups(r: CreateBackupResult): string {
  return [...r.backups.map((b) => `${b.name}  ${b.status}  ${size(b)}\n  ${b.arn}`), ...r.failed.map((f) => `FAILED to back up ${f.table}: ${f.error}`)].join('\n')
}

export function renderBackupDetail(b: BackupDetail): string {
  const lines: string[] = []
  const row = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') lines.push(`${label.padEnd(16)}${value}`)
  }
  row('Name', b.name)
  row('ARN', b.arn)
  row('Status', b.status)
  row('Type', b.type)
  row('Created', when(b.createdAt))
  if (b.expiresAt) row('Expires', when(b.expiresAt))
  row('Size', size(b))
  row('Table', b.table)
  row('Table ARN', b.tableArn)
  row('Items', b.itemCount)
  row('Keys', b.keys)
  row('Billing', b.billingMode === 'PAY_PER_REQUEST' ? 'on-demand' : b.read !== undefined ? `provisioned, ${b.read} RCU / ${b.write} WCU` : b.billingMode)
  row('Global indexes', b.globalIndexes.join(', '))
  row('Local indexes', b.localIndexes.join(', '))
  row('Stream', b.stream)
  row('TTL', b.ttl)
  row('Encryption', b.sse)
  return lines.join('\n')
}

export function renderReconcile(r: ReconcileResult): string[] {
  const lines = r.settings.map((s) => `  ${s.status === 'applied' ? 'applied' : s.status === 'failed' ? 'FAILED ' : 'skipped'}  ${s.detail}`)
  if (r.settings.length === 0 && r.from !== 'none')
    lines.push(`  nothing to re-apply: the restored table already matches ${r.from === 'table' ? `table ${r.source}` : 'the backup'}`)
  for (const n of r.notes) lines.push(`  note: ${n}`)
  return lines
}

export function renderRestore(r: TableRestoreResult): string {
  const what = r.backup ? `backup ${r.backup.name}` : `${r.source} as of ${r.restoredTo}`
  const lines = [`Restored ${what} into ${r.target} (${r.status}).`]
  if (r.reconcile) lines.push(...renderReconcile(r.reconcile))
  else {
    lines.push(
      `  ${r.status === 'ACTIVE' ? 'not reconciled (--no-reconcile)' : `still ${r.status}, not reconciled`}: TTL, stream, tags, PITR, auto scaling and billing are as the restore left them`,
    )
    lines.push(`  to re-apply them from ${r.source}${r.status === 'ACTIVE' ? '' : ' once it is ACTIVE'}: ${reconcileCommand(r.target)}`)
  }
  return lines.join('\n')
}

export function renderPrefixRestorePlan(plan: PrefixRestorePlanItem[]): string {
  return plan.map((p) => `  ${p.table} -> ${p.target}  from ${p.backup.name} (${when(p.backup.createdAt)})`).join('\n')
}

export function renderPrefixRestore(r: PrefixRestoreResult): string {
  const lines = r.restores.map(renderRestore)
  for (const f of r.failed) lines.push(`FAILED ${f.table} -> ${f.target}: ${f.error}`)
  return lines.join('\n')
}

export function renderPrunePlan(r: Pick<PruneResult, 'tables' | 'rule'>): string {
  if (r.tables.length === 0) return 'No user backups found.'
  const lines = [`Rule: ${r.rule}.`]
  const shared = new Set(r.tables.filter((t, i) => r.tables.findIndex((u) => u.table === t.table) !== i).map((t) => t.table))
  for (const t of r.tables) {
    lines.push(`${t.table}${shared.has(t.table) && t.tableId ? ` (TableId ${t.tableId})` : ''}: delete ${t.delete.length}, keep ${t.keep.length}`)
    for (const b of t.delete) lines.push(`  delete  ${b.name}  ${when(b.createdAt)}`)
    for (const b of t.keep) lines.push(`  keep    ${b.name}  ${when(b.createdAt)}`)
  }
  return lines.join('\n')
}

export function renderPruneResult(r: PruneResult): string {
  const planned = r.tables.reduce((n, t) => n + t.delete.length, 0)
  const lines = [renderPrunePlan(r)]
  if (r.dryRun) lines.push(`Dry run: ${planned} backup${planned === 1 ? '' : 's'} would be deleted; nothing was.`)
  else lines.push(`Deleted ${r.deleted.length} of ${planned}.`)
  for (const f of r.failed) lines.push(`FAILED to delete ${f.backup.name}: ${f.error}`)
  return lines.join('\n')
}

export function renderDeleted(r: { deleted: BackupInfo[]; failed: { backup: BackupInfo; error: string }[] }): string {
  return [...r.deleted.map((b) => `deleted ${b.name} (${b.table}, ${when(b.createdAt)})`), ...r.failed.map((f) => `FAILED to delete ${f.backup.name}: ${f.error}`)].join('\n')
}

export function renderPitrStatus(tables: PitrStatus[]): string {
  if (tables.length === 0) return 'No tables.'
  const t = new Table({ head: ['Table', 'PITR', 'Earliest restorable (UTC)', 'Latest restorable (UTC)', 'Period'], ...plain })
  for (const s of tables) {
    t.push([
      s.table,
      s.status,
      s.earliestRestorableTime ? when(s.earliestRestorableTime) : '-',
      s.latestRestorableTime ? when(s.latestRestorableTime) : '-',
      s.recoveryPeriodInDays ? `${s.recoveryPeriodInDays} days` : '-',
    ])
  }
  return t.toString()
}

export function renderPitrChanges(changes: PitrChange[]): string {
  return changes
    .map(
      (c) =>
        `${c.table}: ${c.changed ? `${c.before.status} -> ${c.after.status}` : `already ${c.after.status}`}${c.after.recoveryPeriodInDays ? ` (${c.after.recoveryPeriodInDays} days)` : ''}`,
    )
    .join('\n')
}
