import Table from 'cli-table3'

import type { ExportInfo, ExportResult } from '../exports/export.js'
import { logGroupText, type ImportResult } from '../exports/import.js'
import { renderReconcile } from './backup-render.js'
import { formatBytes } from './render.js'

/** Text renderers for `dynx export` and `dynx import`. */

const plain = { style: { head: [] as string[], border: [] as string[] } }
const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-')

export function renderExportDetail(e: ExportInfo): string {
  const lines: string[] = []
  const row = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') lines.push(`${label.padEnd(16)}${value}`)
  }
  row('Export', e.exportArn)
  row('Status', e.status)
  row('Table', e.table ?? e.tableArn)
  row('Type', e.type)
  row('Format', e.format)
  row('Export time', e.exportTime && when(e.exportTime))
  if (e.incremental) row('Changes', `${when(e.incremental.from)} to ${when(e.incremental.to)} (${e.incremental.view ?? 'NEW_AND_OLD_IMAGES'})`)
  row('Items', e.itemCount)
  row('Billed size', e.billedSizeBytes !== undefined ? formatBytes(e.billedSizeBytes) : undefined)
  row('Destination', e.s3)
  row('Folder', e.folder)
  row('Manifest', e.manifest)
  if (e.failureCode || e.failureMessage) row('Failure', `${e.failureCode ?? ''} ${e.failureMessage ?? ''}`.trim())
  return lines.join('\n')
}

export function renderExportResult(r: ExportResult): string {
  const head = [
    ...(r.pitrEnabled ? [`Point-in-time recovery turned on for ${r.table}.`] : []),
    r.followed
      ? `Following the export this command started before (same ClientToken): ${r.status}.`
      : `Export of ${r.table} ${r.status === 'COMPLETED' ? 'completed' : 'started'}.`,
  ]
  const next =
    r.status === 'COMPLETED' && r.folder
      ? [`Import it with: dynx import ${r.folder} NEW_TABLE --like ${r.table}`]
      : r.status === 'IN_PROGRESS'
        ? [`Follow it with: dynx export describe ${r.exportArn}`]
        : []
  return [...head, renderExportDetail(r), ...next].join('\n')
}

export function renderExportList(exports: ExportInfo[]): string {
  if (exports.length === 0) return 'No exports.'
  const t = new Table({ head: ['Export ARN', 'Table', 'Status', 'Type', 'Started (UTC)', 'Items'], ...plain })
  for (const e of exports) t.push([e.exportArn, e.table ?? '-', e.status, e.type ?? '-', when(e.startTime), e.itemCount ?? '-'])
  return `${t.toString()}\n${exports.length} export${exports.length === 1 ? '' : 's'}.`
}

export function renderImportResult(r: ImportResult): string {
  const lines = [`${r.followed ? 'Following the import this command started before: ' : ''}Import of ${r.folder} into ${r.table}: ${r.status}`, `  ${r.importArn}`]
  if (r.processedItems !== undefined) {
    lines.push(`  ${r.importedItems ?? 0} of ${r.processedItems} items imported (${formatBytes(r.processedBytes ?? 0)} processed), ${r.errors ?? 0} errors`)
  }
  if ((r.errors ?? 0) > 0) lines.push(`  Items that failed to import are logged in the ${logGroupText(r.logGroup)}.`)
  if (r.reconcile) lines.push(...renderReconcile(r.reconcile))
  else if (r.status === 'IN_PROGRESS')
    lines.push(`  Not waited for: TTL, PITR, stream, tags, auto scaling and deletion protection are not set; run \`dynx backup reconcile ${r.table}\` once it is ACTIVE.`)
  return lines.join('\n')
}
