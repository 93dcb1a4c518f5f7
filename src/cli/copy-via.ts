import Table from 'cli-table3'

import type { Connection } from '../connection/clients.js'
import type { CopyRequest } from '../copy/plan.js'
import { copyTablesViaS3, DEFAULT_CATCH_UP_ROUNDS, DEFAULT_CATCH_UP_SETTLE, planCopyViaS3, type ViaPlan, type ViaTablesResult, type ViaTableResult } from '../copy/via-s3.js'
import { UserInputError } from '../errors.js'
import { logGroupText } from '../exports/import.js'
import type { Outcome } from '../outcome.js'
import { renderReconcile } from './backup-render.js'
import type { Progress } from './progress.js'
import { clock, formatBytes } from './render.js'
import { renderVerifyResult } from './verify-render.js'

/** `dynx copy --via s3://...`: what commands/copy.ts hands over, and the text a person sees. */

export interface CopyViaFlags {
  via: string
  's3-owner'?: string
  'kms-key'?: string
  'enable-pitr'?: boolean
  'catch-up'?: boolean
  'catch-up-rounds'?: number
  'catch-up-settle'?: number
  verify?: boolean
  'dry-run'?: boolean
  segments?: number
  writers?: number
  'max-wcu'?: number
  'parallel-tables'?: number
}

export interface CopyViaIo {
  progress: Progress
  signal: AbortSignal
  json: boolean
  log: (text: string) => void
  logToStderr: (text: string) => void
}

export type CopyViaOutput = { plan: ViaPlan; dryRun: boolean; outcome: Outcome } & Partial<ViaTablesResult>

/** Plans (every check first, exit 2 with nothing started), then runs the native route table by table. */
export async function runCopyVia(source: Connection, target: Connection, request: CopyRequest, f: CopyViaFlags, io: CopyViaIo): Promise<CopyViaOutput> {
  for (const [flag, v] of [
    ['--catch-up-rounds', f['catch-up-rounds']],
    ['--catch-up-settle', f['catch-up-settle']],
  ] as const)
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new UserInputError(`${flag} must be a whole number of at least 0, got ${v}.`, `Leave ${flag} out for its default.`)
  const options = {
    via: f.via,
    ...(f['s3-owner'] ? { s3Owner: f['s3-owner'] } : {}),
    ...(f['kms-key'] ? { kmsKey: f['kms-key'] } : {}),
    enablePitr: Boolean(f['enable-pitr']),
    catchUp: f['catch-up'] !== false,
    maxRounds: f['catch-up-rounds'] ?? DEFAULT_CATCH_UP_ROUNDS,
    settleChanges: f['catch-up-settle'] ?? DEFAULT_CATCH_UP_SETTLE,
    verify: Boolean(f.verify),
    ...(f.segments ? { segments: f.segments } : {}),
    ...(f.writers ? { writeConcurrency: f.writers } : {}),
    ...(f['max-wcu'] ? { maxWcu: f['max-wcu'] } : {}),
    ...(f['parallel-tables'] ? { parallelTables: f['parallel-tables'] } : {}),
  }
  io.progress.stage('plan', `copy --via ${f.via}`)
  const plan = await planCopyViaS3(source, target, request, options)
  io.progress.stop()
  const planText = renderViaPlan(plan, options.maxRounds)
  if (f['dry-run']) {
    if (!io.json) io.log(planText)
    return { plan, dryRun: true, outcome: 'ok' }
  }
  if (!io.json) io.logToStderr(planText)
  for (const e of plan.entries) if (e.resumes && !io.json) io.progress.info(`${e.source} -> ${e.target}: continuing from ${e.state} (${e.phase})`)
  const result = await copyTablesViaS3(source, target, plan, {
    ...options,
    signal: io.signal,
    onProgress: (p) => io.progress.stage(p.stage, `${p.source} -> ${p.target}: ${p.message}`, p.source),
  })
  io.progress.stop()
  if (!io.json) {
    io.log(renderViaResult(result))
    const ending = renderViaEnding(result)
    if (ending) io.logToStderr(ending)
  }
  return { plan, dryRun: false, ...result }
}

const plain = { style: { head: [] as string[], border: [] as string[] } }
const usd = (n: number) => `$${n.toFixed(2)}`
const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-')
const duration = (s: number) => (s >= 86_400 ? `${(s / 86_400).toFixed(1)} days` : clock(s))

/** The route per table, its size, time and cost estimates, and what they rest on. */
export function renderViaPlan(plan: ViaPlan, maxRounds: number): string {
  const t = new Table({ head: ['Source', 'Target', 'Items (est.)', 'Size (est.)', 'Route', 'PITR', 'Export', 'Import (at least)', 'PITR per month'], ...plain })
  for (const e of plan.entries) {
    t.push([
      e.source,
      `${e.target}${e.resumes ? ` (continues: ${e.phase})` : ''}`,
      `~${e.estimatedItems.toLocaleString('en-US')}`,
      formatBytes(e.sourceSizeBytes),
      e.route.join(' -> '),
      e.pitr,
      usd(e.estimate.exportUsd),
      usd(e.estimate.importUsdAtLeast),
      e.estimate.pitrUsdPerMonth !== undefined ? usd(e.estimate.pitrUsdPerMonth) : '-',
    ])
  }
  const first = plan.entries[0]?.estimate
  const lines = [`Copy plan by DynamoDB's export and import (via ${plan.via}):`, t.toString()]
  for (const s of plan.skipped) lines.push(`skipped ${s.table}: ${s.reason}`)
  if (first) {
    const items = plan.entries.reduce((n, e) => n + e.estimatedItems, 0)
    const scanSeconds = plan.entries.reduce((n, e) => n + e.estimate.scanCopy.seconds, 0)
    const scanUsd = plan.entries.reduce((n, e) => n + e.estimate.scanCopy.usd, 0)
    lines.push(
      `Total: ${formatBytes(plan.totals.sizeBytes)}; export ${usd(plan.totals.exportUsd)}, import at least ${usd(plan.totals.importUsdAtLeast)}${plan.totals.pitrUsdPerMonth ? `, point-in-time recovery ${usd(plan.totals.pitrUsdPerMonth)} per month while on` : ''}; incremental exports ${usd(first.incrementalUsdPerGb)} per GB of changes; plus S3 storage and requests.`,
      `Prices: ${first.region}${first.pricesFallback ? ` (not in dynx's table: us-east-1's list prices stand in; check the DynamoDB pricing page)` : ''}, as of ${first.pricesTaken}. Sizes are DynamoDB's, updated about every 6 hours; the import is billed on the uncompressed DynamoDB JSON, which is larger than the table.`,
      `Time: ${first.nativeTime}.${first.catchUpAtLeastMinutes ? ` Catch-up: each round exports at least ${first.catchUpAtLeastMinutes} minutes of changes (DynamoDB's shortest incremental export), up to ${maxRounds} rounds.` : ''}`,
      `For comparison, plain \`dynx copy\` (Scan + BatchWriteItem): ~${duration(scanSeconds)} for ${items.toLocaleString('en-US')} items at ${first.scanCopy.itemsPerSecond.toLocaleString('en-US')} items/s (measured with ${first.scanCopy.basis}), about ${usd(scanUsd)} of on-demand reads and writes.`,
    )
  }
  return lines.join('\n')
}

function renderTable(r: ViaTableResult): string[] {
  const lines = [`${r.source} -> ${r.target}: ${r.status}`]
  if (r.pitrEnabled) lines.push(`  point-in-time recovery turned on for ${r.source} (it stays on: \`dynx pitr disable ${r.source}\` turns it off)`)
  if (r.export)
    lines.push(
      `  export at ${when(r.exportTime)}: ${r.export.itemCount ?? '?'} items, ${r.export.billedSizeBytes !== undefined ? formatBytes(r.export.billedSizeBytes) : '?'} billed, ${r.export.folder}`,
    )
  if (r.import) {
    lines.push(
      `  import: ${r.import.importedItems ?? 0} of ${r.import.processedItems ?? 0} items imported (${formatBytes(r.import.processedBytes ?? 0)} processed), ${r.import.errors ?? 0} errors`,
    )
    if ((r.import.errors ?? 0) > 0) lines.push(`  items that failed to import are logged in the ${logGroupText(r.import.logGroup)}`)
    if (r.import.reconcile) lines.push(...renderReconcile(r.import.reconcile).map((l) => `  ${l.trimStart()}`))
  }
  for (const k of r.catchUp.rounds) {
    lines.push(
      `  catch-up round ${k.round}: ${when(k.from)} .. ${when(k.to)}${k.capped ? ' (24 hours, DynamoDB’s longest)' : ''}: ${k.puts} put, ${k.deletes} deleted${k.deadLettered ? `, ${k.deadLettered} dead-lettered (${k.deadLetterFiles.join(', ')})` : ''}`,
    )
  }
  if (r.catchUp.stopped)
    lines.push(
      `  catch-up: ${{ settled: 'settled (the last round applied few changes)', 'max-rounds': 'stopped after the most rounds allowed', skipped: 'skipped (--no-catch-up)' }[r.catchUp.stopped]}`,
    )
  if (r.consistentAsOf) lines.push(`  ${r.target} holds ${r.source} as of ${when(r.consistentAsOf)}; writes to ${r.source} after that are not copied`)
  if (r.verify) lines.push(`  verify: ${renderVerifyResult(r.verify)}`)
  if (r.error) lines.push(`  error: ${r.error}`)
  if (r.status !== 'copied' && r.status !== 'not started') lines.push(`  state saved in ${r.state}: the same command continues`)
  return lines
}

export function renderViaResult(r: ViaTablesResult): string {
  return r.tables.flatMap(renderTable).join('\n')
}

/** What to do after a run that did not end well; nothing after a clean one. */
export function renderViaEnding(r: ViaTablesResult): string {
  if (r.outcome === 'interrupted') return 'Interrupted: exports and imports already started go on in DynamoDB. Run the same command again to continue (it follows them).'
  if (r.failedTables) return 'Fix the cause shown above and run the same command again: it continues from the state file.'
  return ''
}
