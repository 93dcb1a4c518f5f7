import Table from 'cli-table3'

import type { CopyProgress } from '../copy/copy-table.js'
import type { CopyTablesResult } from '../copy/copy-tables.js'
import type { CopyPlan } from '../copy/plan.js'
import type { ApplyPlan, ApplyResult } from '../tables/apply.js'
import { projectionText } from '../tables/convert.js'
import type { CreateTableResult } from '../tables/create.js'
import type { TableInfo, TableSummary } from '../tables/describe.js'
import type { KeySpec, LocalIndexSpec } from '../tables/spec.js'
import type { BumpResult } from '../throughput/bump.js'

/** Text renderers for results; the library returns data, these decide how a person sees it. */

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

const plain = { style: { head: [] as string[], border: [] as string[] } }

export function renderTableList(tables: TableSummary[]): string {
  if (tables.length === 0) return 'No tables.'
  const t = new Table({ head: ['Table', 'Status', 'Billing', 'RCU', 'WCU', 'Items', 'Size'], ...plain })
  for (const s of tables) {
    t.push([s.name, s.status, s.billingMode === 'PAY_PER_REQUEST' ? 'on-demand' : 'provisioned', s.read ?? '-', s.write ?? '-', s.itemCount, formatBytes(s.sizeBytes)])
  }
  return t.toString()
}

const key = (k?: KeySpec) => (k ? `${k.name} (${k.type})` : '')

export function renderTableInfo(info: TableInfo): string {
  const s = info.spec
  const lines: string[] = []
  const row = (label: string, value: string) => lines.push(`${label.padEnd(20)}${value}`)
  row('Table', info.name)
  row('ARN', info.arn)
  row('Console', info.consoleUrl ?? 'none (not an AWS endpoint)')
  row('Status', info.status)
  if (info.createdAt) row('Created', info.createdAt)
  row('Partition key', key(s.hashKey))
  if (s.rangeKey) row('Sort key', key(s.rangeKey))
  row('Billing', s.billing === 'PROVISIONED' ? `provisioned, ${s.read} RCU / ${s.write} WCU` : 'on-demand (PAY_PER_REQUEST)')
  row('Items', `${info.itemCount} (${formatBytes(info.sizeBytes)}, updated by DynamoDB about every 6 hours)`)
  row('Table class', s.tableClass ?? 'STANDARD')
  row('Encryption', s.sse?.enabled ? `KMS${s.sse.kmsKeyId ? ` ${s.sse.kmsKeyId}` : ' (AWS managed key)'}` : 'owned by DynamoDB')
  row('Deletion protection', s.deletionProtection ? 'on' : 'off')
  row('Stream', s.stream ? `${s.stream}${info.streamArn ? ` ${info.streamArn}` : ''}` : 'off')
  row('TTL', info.unsupported.includes('ttl') ? 'unknown (engine cannot report it)' : s.ttl ? `${s.ttl} (${info.ttlStatus})` : 'off')
  row(
    'Point-in-time rec.',
    info.unsupported.includes('pitr')
      ? 'unknown (engine cannot report it)'
      : info.pitr?.status === 'ENABLED'
        ? `on${info.pitr.earliestRestorableTime ? `, restorable ${info.pitr.earliestRestorableTime} .. ${info.pitr.latestRestorableTime}` : ''}`
        : 'off',
  )
  const tags = Object.entries(s.tags ?? {})
  row('Tags', info.unsupported.includes('tags') ? 'unknown (engine cannot report them)' : tags.length ? tags.map(([k, v]) => `${k}=${v}`).join(', ') : 'none')
  if (s.indexes?.length) {
    lines.push('', 'Global secondary indexes')
    const t = new Table({ head: ['Name', 'Partition key', 'Sort key', 'Projection', 'RCU/WCU', 'Status', 'Items'], ...plain })
    for (const g of s.indexes) {
      const state = info.indexes.find((i) => i.name === g.name)
      t.push([
        g.name,
        key(g.hashKey),
        key(g.rangeKey),
        projectionText(g.projection),
        g.read !== undefined ? `${g.read}/${g.write}` : 'on-demand',
        state?.backfilling ? 'BACKFILLING' : (state?.status ?? ''),
        state?.itemCount ?? '',
      ])
    }
    lines.push(t.toString())
  }
  if (s.localIndexes?.length) {
    lines.push('', 'Local secondary indexes')
    const t = new Table({ head: ['Name', 'Sort key', 'Projection'], ...plain })
    for (const l of s.localIndexes as LocalIndexSpec[]) t.push([l.name, key(l.rangeKey), projectionText(l.projection)])
    lines.push(t.toString())
  }
  return lines.join('\n')
}

export function renderCreateResult(r: CreateTableResult & { source?: string }): string {
  const lines = [r.created ? `Created ${r.table}${r.source ? ` from ${r.source}` : ''} (${r.status}).` : `${r.table} already exists; left unchanged.`]
  for (const s of r.settings) lines.push(`  ${s.status === 'applied' ? 'set' : 'skipped'}: ${s.detail}`)
  for (const n of r.notes) if (r.created) lines.push(`  note: ${n}`)
  return lines.join('\n')
}

const MARK: Record<string, string> = { create: '+', update: '~', manual: '!', unsupported: '?' }

export function renderPlan(plan: ApplyPlan): string {
  const changed = plan.tables.filter((t) => t.action !== 'none' || t.changes.length)
  if (!plan.drift && changed.every((t) => t.changes.every((c) => c.kind === 'unsupported'))) {
    const base = `no changes (${plan.tables.length} table${plan.tables.length === 1 ? '' : 's'} match the spec)`
    const notes = changed.flatMap((t) => t.changes.map((c) => `  ? ${t.table}: ${c.description}`))
    return [base, ...notes].join('\n')
  }
  const lines: string[] = []
  for (const t of plan.tables) {
    if (t.action === 'none' && !t.changes.length) {
      lines.push(`  = ${t.table}: no changes`)
      continue
    }
    if (t.action === 'create') {
      lines.push(`  + ${t.table}: create`)
      continue
    }
    lines.push(`  ~ ${t.table}:`)
    for (const c of t.changes) lines.push(`      ${MARK[c.kind]} ${c.description}${c.kind === 'manual' ? ' (not attempted)' : ''}`)
  }
  lines.push('', 'Legend: + create, ~ update in place, ! needs a manual change (never attempted), ? engine cannot report it')
  return lines.join('\n')
}

export function renderApplyResult(r: ApplyResult): string {
  const lines: string[] = []
  for (const t of r.tables) {
    for (const c of t.changes) {
      if (t.action === 'none' && c.outcome === 'skipped') continue
      const tag = { applied: 'done', skipped: 'skipped', pending: 'pending (needs --yes)', manual: 'manual', failed: 'FAILED' }[c.outcome]
      lines.push(`  ${t.table}: ${c.description} -- ${tag}${c.detail ? ` (${c.detail})` : ''}`)
    }
  }
  lines.push(
    `${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged${r.remaining ? `, ${r.remaining} change(s) remaining` : ''}${r.failed ? `, ${r.failed} failed` : ''}.`,
  )
  return lines.join('\n')
}

export const clock = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`
    : `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`

/** "12,345 items · 4,100/s · 37% of ~33,000 · ETA 0:05 · segments 3/8 · 6 retries (5 throttled, 2 readers)" */
export function scanProgressText(
  p: { items: number; scanned: number; segmentsDone: number; segmentsTotal: number; retries?: number; throttles?: number; readers?: number },
  seconds: number,
  estimatedItems: number,
): string {
  const rate = seconds > 0 ? p.items / seconds : 0
  // Percent and ETA follow items read, which the table's item count estimates (filters drop some).
  const readRate = seconds > 0 ? p.scanned / seconds : 0
  const parts = [`${p.items.toLocaleString('en-US')} items`, `${Math.round(rate).toLocaleString('en-US')}/s`]
  if (estimatedItems > 0) {
    const pct = Math.min(99, Math.floor((p.scanned / estimatedItems) * 100))
    parts.push(`${pct}% of ~${estimatedItems.toLocaleString('en-US')}`)
    if (readRate > 0 && p.scanned < estimatedItems) parts.push(`ETA ${clock((estimatedItems - p.scanned) / readRate)}`)
  }
  parts.push(`segments ${p.segmentsDone}/${p.segmentsTotal}`)
  if (p.retries) parts.push(`${p.retries} retries${p.throttles ? ` (${p.throttles} throttled, ${p.readers} readers)` : ''}`)
  return parts.join(' · ')
}

/** "users: 12,345 items · 4,100/s · 37% of ~33,000 · ETA 0:05 · segments 3/8 · 2 retries · 1 dead-lettered" */
export function copyProgressText(p: CopyProgress, estimatedItems: number): string {
  const parts = [`${p.source}: ${scanProgressText({ items: p.written, scanned: p.read, segmentsDone: p.segmentsDone, segmentsTotal: p.segmentsTotal }, p.seconds, estimatedItems)}`]
  if (p.readRetries) parts.push(`${p.readRetries} read retries${p.readThrottles ? ` (${p.readThrottles} throttled, ${p.readers} readers)` : ''}`)
  if (p.retries) parts.push(`${p.retries} write retries${p.throttles ? ` (${p.throttles} throttled, ${p.writers} writers)` : ''}`)
  if (p.deadLettered) parts.push(`${p.deadLettered} dead-lettered`)
  return parts.join(' · ')
}

/** What a failed scan had done: "Stopped after 1,200 items (kept in out.jsonl.partial); progress saved in c.json ...". */
export function renderScanStopped(p: Record<string, unknown>): string {
  const items = Number(p.items ?? 0).toLocaleString('en-US')
  const kept = p.partialOutput ? ` (kept in ${String(p.partialOutput)})` : ''
  const where = p.checkpoint ? `; progress saved in ${String(p.checkpoint)}: run the same command again to continue` : ''
  return `Stopped after ${items} items${kept}, ${Number(p.segmentsScanned ?? 0)} of ${Number(p.segments ?? 0)} segments done${where}.`
}

export function renderCopyPlan(plan: CopyPlan, from: string, to: string): string {
  const t = new Table({ head: ['Source', 'Target', 'Items (est.)', 'Target is', 'Differences'], ...plain })
  for (const e of plan.entries) {
    t.push([
      e.source,
      e.target,
      `~${e.estimatedItems.toLocaleString('en-US')}`,
      e.action === 'create' ? 'created (clone)' : e.targetHasItems ? 'existing, has items' : 'existing, empty',
      e.differences.join('; ') || '-',
    ])
  }
  const lines = [`Copy plan (${from} -> ${to}):`, t.toString()]
  for (const s of plan.skipped) lines.push(`skipped ${s.table}: ${s.reason}`)
  return lines.join('\n')
}

export function renderCopySummary(r: CopyTablesResult): string {
  const n = (v?: number) => (v ?? 0).toLocaleString('en-US')
  // Transform columns only when a transform ran.
  const tx = r.tables.some((o) => o.transformed || o.dropped)
  const t = new Table({
    head: ['Source', 'Target', 'Status', 'Read', 'Written', ...(tx ? ['Transformed', 'Dropped'] : []), 'Dead-lettered', 'Retries', 'Seconds', 'Items/s'],
    ...plain,
  })
  for (const o of r.tables) {
    t.push([
      o.source,
      `${o.target}${o.created ? ' (created)' : ''}`,
      o.status,
      n(o.read),
      n(o.written),
      ...(tx ? [n(o.transformed), n(o.dropped)] : []),
      n(o.deadLettered),
      n(o.retries),
      (o.seconds ?? 0).toFixed(1),
      n(o.itemsPerSecond),
    ])
  }
  const lines = [t.toString()]
  for (const o of r.tables) {
    if (o.error) lines.push(`${o.source}: ${o.error}`)
    for (const note of o.notes ?? []) lines.push(`${o.target}: ${note}`)
    if (o.deadLetterFile) lines.push(`${o.source}: ${o.deadLettered} items could not be written; they are in ${o.deadLetterFile}`)
    if (o.checkpoint && o.status !== 'copied') lines.push(`${o.source}: progress saved in ${o.checkpoint}; the same command continues from there`)
  }
  return lines.join('\n')
}

/**
 * What to do after a copy that did not end well, once (the summary above already names each failed
 * table and dead-letter file); nothing after a clean copy.
 */
export function renderCopyEnding(r: CopyTablesResult): string {
  if (r.outcome === 'interrupted') return `Interrupted after writing ${r.written.toLocaleString('en-US')} items; progress is saved: run the same command again to continue.`
  const lines: string[] = []
  if (r.failedTables) lines.push('Fix the cause shown above and run the same command again: a failed table continues from its checkpoint.')
  if (r.deadLettered) lines.push('Each line of the dead-letter file above says why its item was not written; fix the items (or the target) and write them again.')
  return lines.join('\n')
}

/** One line per bump made for a copy: what was raised, and how to restore it if dynx dies. */
export function renderCopyBump(table: string, bump: BumpResult): string {
  if (!bump.changes.length) return `${table}: nothing to raise (${bump.skipped.map((s) => `${s.index ? `${s.index} ` : ''}${s.dimension} ${s.reason}`).join('; ')})`
  const raised = bump.changes.map((c) => `${c.index ? `${c.index} ` : ''}${c.dimension} ${c.from} -> ${c.to}${c.mechanism === 'provisioned' ? '' : ` (${c.mechanism})`}`).join(', ')
  return `${table}: raised ${raised}; restored after the copy (if dynx is killed: ${bump.restoreCommand})`
}
