import type { DeleteProgress, DeleteResult } from '../bulk/delete.js'
import type { UpdateProgress, UpdateResult } from '../bulk/update.js'
import type { Item } from '../data/values.js'
import { plainItemJson } from '../data/values.js'
import { clock } from './render.js'

const n = (v: number) => v.toLocaleString('en-US')

/** "users: 12,000 deleted of 12,300 matched · 4,100/s · segments 3/8 · 2 retries" */
export function deleteProgressText(p: DeleteProgress, expected?: number): string {
  const rate = p.seconds > 0 ? p.deleted / p.seconds : 0
  const parts = [`${p.table}: ${n(p.deleted)} deleted of ${n(p.matched)} matched`, `${n(Math.round(rate))}/s`]
  if (expected && rate > 0 && p.deleted < expected)
    parts.push(`${Math.min(99, Math.floor((p.deleted / expected) * 100))}% of ${n(expected)}`, `ETA ${clock((expected - p.deleted) / rate)}`)
  parts.push(`segments ${p.segmentsDone}/${p.segmentsTotal}`)
  if (p.retries) parts.push(`${n(p.retries)} retries${p.throttles ? ` (${n(p.throttles)} throttled)` : ''}`)
  if (p.deadLettered) parts.push(`${n(p.deadLettered)} dead-lettered`)
  return parts.join(' · ')
}

export function renderDeleteResult(r: DeleteResult): string {
  const lines = [`Deleted ${n(r.deleted)} items from ${r.table} in ${r.seconds.toFixed(1)}s (${n(r.itemsPerSecond)}/s)${r.resumed ? ', continuing an interrupted delete' : ''}.`]
  if (r.deadLetterFile) lines.push(`${n(r.deadLettered)} keys could not be deleted; they are in ${r.deadLetterFile} with the reason.`)
  if (r.checkpoint) lines.push(`Progress saved in ${r.checkpoint}: run the same command again to continue.`)
  return lines.join('\n')
}

export function renderDeleteDryRun(table: string, matched: number, scanned: number, sample: Item[]): string {
  const lines = [`Dry run: ${n(matched)} of ${n(scanned)} items of ${table} match and would be deleted; nothing was deleted.`]
  if (sample.length) lines.push(`First keys:`, ...sample.map((k) => `  ${plainItemJson(k)}`))
  return lines.join('\n')
}

/** "users: 1,200 updated · 30 unchanged · 4 conflicts retried · 2 skipped of 1,236 matched · 800/s" */
export function updateProgressText(p: UpdateProgress): string {
  const rate = p.seconds > 0 ? (p.updated + p.unchanged) / p.seconds : 0
  const parts = [`${p.table}: ${n(p.updated)} updated`, `${n(p.unchanged)} unchanged`]
  if (p.conflicts) parts.push(`${n(p.conflicts)} conflicts retried`)
  if (p.skipped) parts.push(`${n(p.skipped)} skipped`)
  parts.push(`of ${n(p.matched)} matched`, `${n(Math.round(rate))}/s`, `segments ${p.segmentsDone}/${p.segmentsTotal}`)
  if (p.deadLettered) parts.push(`${n(p.deadLettered)} dead-lettered`)
  return parts.join(' · ')
}

export function renderUpdateResult(r: UpdateResult): string {
  const lines: string[] = []
  if (r.dryRun) {
    for (const s of r.samples)
      lines.push(`before: ${plainItemJson(s.before)}`, `after:  ${s.after ? plainItemJson(s.after) : '(computed by DynamoDB: the expression is more than plain SET/REMOVE)'}`)
    lines.push(`Dry run: ${n(r.updated)} of ${n(r.matched)} matching items would be updated (${n(r.unchanged)} unchanged); nothing was written.`)
    return lines.join('\n')
  }
  lines.push(
    `${r.table}: ${n(r.updated)} updated, ${n(r.unchanged)} unchanged, ${n(r.skipped)} skipped (deleted or no longer matching), ${n(r.conflicts)} conflicts with other writers (read again and retried), in ${r.seconds.toFixed(1)}s${r.resumed ? ', continuing an interrupted update' : ''}.`,
  )
  if (r.deadLetterFile) lines.push(`${n(r.deadLettered)} items were not updated; each is in ${r.deadLetterFile} with the reason.`)
  if (r.checkpoint) lines.push(`Progress saved in ${r.checkpoint}: run the same command again to continue.`)
  return lines.join('\n')
}
