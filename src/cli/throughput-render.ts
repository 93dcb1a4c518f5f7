import Table from 'cli-table3'

import type { BumpResult, RestoreResult } from '../throughput/bump.js'
import type { ScalingTarget, TableThroughput, ThroughputChange, ThroughputProgress, ThroughputSkip, UnitThroughput } from '../throughput/types.js'

/** Text renderers for `dynx throughput`; the library returns data, these decide how a person sees it. */

const plain = { style: { head: [] as string[], border: [] as string[] } }

const where = (u: { table: string; index?: string }) => (u.index ? `${u.table} index ${u.index}` : u.table)

/** "raising users…", "waiting for users (UPDATING: gsi1 UPDATING)", "restoring users…" */
export function throughputProgressText(p: ThroughputProgress): string {
  if (p.stage === 'waiting') {
    const pending = p.pendingIndexes?.length ? `: ${p.pendingIndexes.join(', ')}` : ''
    return `waiting for ${p.table} (${p.status ?? 'UNKNOWN'}${pending})`
  }
  if (p.stage === 'retrying' && p.retry) {
    const r = p.retry
    const left = Math.max(0, Math.ceil((r.windowMs - r.failingForMs) / 1000))
    return `${r.during} ${p.table}: ${r.error}, trying again in ${(r.delayMs / 1000).toFixed(1)}s (retry ${r.attempt}; gives up in ${left}s)`
  }
  return `${p.stage} ${p.table}…`
}

/** "2026-11-21 13:45:01Z" */
const utc = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')

function scaling(t?: ScalingTarget): string {
  if (!t) return '-'
  return `${t.min}-${t.max}${t.targetUtilization !== undefined ? ` @${t.targetUtilization}%` : ''}`
}

function unitRow(table: TableThroughput, u: UnitThroughput, name: string): string[] {
  const onDemand = table.billingMode === 'PAY_PER_REQUEST'
  const max = u.onDemandMaxRead !== undefined || u.onDemandMaxWrite !== undefined ? `${u.onDemandMaxRead ?? '-'}/${u.onDemandMaxWrite ?? '-'}` : '-'
  const auto = !table.autoScalingAvailable ? 'n/a' : u.autoScaling.read || u.autoScaling.write ? `r ${scaling(u.autoScaling.read)} w ${scaling(u.autoScaling.write)}` : '-'
  const d = u.decreases
  return [
    name,
    u.status,
    onDemand ? 'on-demand' : 'provisioned',
    onDemand ? '-' : String(u.read),
    onDemand ? '-' : String(u.write),
    max,
    auto,
    `${d.decreasesToday} (${d.anytimeLeft} left)`,
    d.lastDecreaseAt ? utc(d.lastDecreaseAt) : '-',
    d.allowedNow ? 'yes' : `no, next at ${d.nextAllowedAt ? utc(d.nextAllowedAt) : '?'}`,
  ]
}

/** One table per dynx table: a row for the table itself and one per GSI. */
export function renderThroughputStatus(tables: TableThroughput[]): string {
  if (tables.length === 0) return 'No tables.'
  const blocks = tables.map((t) => {
    const table = new Table({
      head: ['', 'Status', 'Billing', 'Read', 'Write', 'On-demand max', 'Auto scaling', 'Decreases today', 'Last decrease', 'Decrease now?'],
      ...plain,
    })
    table.push(unitRow(t, t, 'table'))
    for (const i of t.indexes) table.push(unitRow(t, i, `index ${i.index}`))
    return `${t.table}\n${table.toString()}`
  })
  const notes = [
    'Auto scaling: min-max @target utilisation per read (r) and write (w) capacity. Decreases: DynamoDB allows 4 per UTC day at any time, plus one after each hour without one.',
  ]
  if (tables.some((t) => !t.autoScalingAvailable)) notes.push('n/a: the endpoint has no Application Auto Scaling (a local engine).')
  return `${blocks.join('\n\n')}\n\n${notes.join('\n')}`
}

const MECHANISM: Record<ThroughputChange['mechanism'], string> = {
  provisioned: 'provisioned',
  'on-demand': 'on-demand maximum',
  'auto-scaling': 'auto-scaling minimum',
}

/** "users index gsi1: read 5 -> 50 (provisioned)" */
export function changeText(c: ThroughputChange, direction: 'raise' | 'restore' = 'raise'): string {
  const [a, b] = direction === 'raise' ? [c.from, c.to] : [c.to, c.from]
  const max =
    c.fromMax !== undefined && c.toMax !== undefined && c.fromMax !== c.toMax
      ? `; maximum ${direction === 'raise' ? `${c.fromMax} -> ${c.toMax}` : `${c.toMax} -> ${c.fromMax}`}`
      : ''
  return `${where(c)}: ${c.dimension} ${a} -> ${b} (${MECHANISM[c.mechanism]}${max})`
}

const skipText = (s: ThroughputSkip) => `${where(s)}: ${s.dimension} ${s.reason}`

/** What a bump raised (or would raise), what it left alone, and how to put it back. */
export function renderBumpResult(r: BumpResult): string {
  if (r.changes.length === 0) return `nothing to raise: ${r.skipped.map(skipText).join('; ') || 'no capacity requested'}.`
  const lines = [r.dryRun ? 'Would raise (dry run, nothing changed):' : 'Raised:', ...r.changes.map((c) => `  ${changeText(c)}`)]
  if (r.skipped.length) lines.push('Left alone:', ...r.skipped.map((s) => `  ${skipText(s)}`))
  for (const s of r.stuck) lines.push(`warning: ${where(s)} cannot be lowered again before ${s.allowedAt} (${s.decreasesToday} decreases today); the restore fails until then.`)
  if (r.ledger) lines.push(`Ledger: ${r.ledger}`, `Restore with: ${r.restoreCommand}`)
  return lines.join('\n')
}

/** What a restore put back. */
export function renderRestoreResult(r: RestoreResult, restoredAt?: string): string {
  if (r.alreadyRestored) return `${r.ledger} was already restored${restoredAt ? ` at ${restoredAt}` : ''}; nothing to do.`
  const lines = [`Restored ${r.ledger}:`]
  for (const c of r.restored) lines.push(`  ${changeText(c, 'restore')}`)
  for (const c of r.unchanged) lines.push(`  ${where(c)}: ${c.dimension} already back at ${c.from}`)
  for (const t of r.missingTables) lines.push(`  ${t}: no longer exists; nothing to put back`)
  for (const c of r.changedSince) {
    const now = c.mechanism === 'auto-scaling' && c.current === 0 ? 'its scalable target is gone' : `it is ${c.current}, not the ${c.to} dynx set`
    lines.push(`  ${where(c)}: ${c.dimension} left alone: ${now}${c.handedTo ? `; ${c.handedTo} now restores it to ${c.from}` : ' (changed since the bump)'}`)
  }
  return lines.join('\n')
}
