import Table from 'cli-table3'

import type { LoadProgress, LoadResult } from '../load/load-table.js'
import { clock, formatBytes } from './render.js'

const n = (v: number) => v.toLocaleString('en-US')

/** "users: 45,000 items · 9,800/s · 12.0 MB of 30.0 MB (40%) · ETA 0:03 · 2 retries (1 throttled, 8 writers) · 5 dead-lettered" */
export function loadProgressText(p: LoadProgress): string {
  const rate = p.seconds > 0 ? p.loaded / p.seconds : 0
  const parts = [`${p.table}: ${n(p.loaded)} items`, `${n(Math.round(rate))}/s`]
  if (p.bytesTotal > 0) {
    const done = p.bytesBefore + p.bytesRead
    parts.push(`${formatBytes(done)} of ${formatBytes(p.bytesTotal)} (${Math.min(99, Math.floor((done / p.bytesTotal) * 100))}%)`)
    const byteRate = p.seconds > 0 ? p.bytesRead / p.seconds : 0
    if (byteRate > 0 && done < p.bytesTotal) parts.push(`ETA ${clock((p.bytesTotal - done) / byteRate)}`)
  } else parts.push(`${formatBytes(p.bytesRead)} read`)
  if (p.sourcesTotal > 1) parts.push(`files ${p.sourcesDone}/${p.sourcesTotal}`)
  if (p.retries) parts.push(`${n(p.retries)} retries${p.throttles ? ` (${n(p.throttles)} throttled, ${p.writers} writers)` : ''}`)
  if (p.deadLettered) parts.push(`${n(p.deadLettered)} dead-lettered`)
  return parts.join(' · ')
}

/** A table per source, then where dead letters and progress are. */
export function renderLoadResult(r: LoadResult): string {
  const drop = r.sources.some((s) => s.dropped)
  const t = new Table({
    head: ['Source', 'Format', r.dryRun ? 'Would load' : 'Loaded', ...(drop ? ['Dropped'] : []), r.dryRun ? 'Problems' : 'Dead-lettered', 'Status'],
    style: { head: [], border: [] },
  })
  for (const s of r.sources) {
    const expected = s.expectedItems !== undefined && s.complete && s.loaded + s.deadLettered + s.dropped !== s.expectedItems ? ` (manifest: ${n(s.expectedItems)})` : ''
    t.push([
      s.source,
      `${s.format}${s.format !== 'csv' ? ` (${s.encoding === 'raw' ? 'DynamoDB JSON' : 'plain'})` : ''}`,
      `${n(s.loaded)}${expected}`,
      ...(drop ? [n(s.dropped)] : []),
      n(s.deadLettered),
      s.complete ? 'done' : 'stopped',
    ])
  }
  const lines = [t.toString()]
  if (r.dryRun) {
    for (const s of r.sources) for (const p of s.problems ?? []) lines.push(`${s.source}:${p.line}: ${p.reason}`)
    lines.push(`Dry run: ${n(r.loaded)} items would be loaded into ${r.table}, ${n(r.deadLettered)} records have problems; nothing was written.`)
    return lines.join('\n')
  }
  lines.push(`${n(r.loaded)} items loaded into ${r.table} in ${r.seconds.toFixed(1)}s (${n(r.itemsPerSecond)}/s)${r.resumed ? ', continuing an interrupted load' : ''}.`)
  if (r.deadLetterFile) lines.push(`${n(r.deadLettered)} records could not be loaded; each is in ${r.deadLetterFile} with its file, line and reason.`)
  if (r.checkpoint) lines.push(`Progress saved in ${r.checkpoint}: run the same command again to continue.`)
  return lines.join('\n')
}
