import { plainItemJson, rawItemJson } from '../data/values.js'
import type { VerifyFileInfo } from '../verify/files.js'
import type { VerifyProgress, VerifyResult } from '../verify/verify.js'

const count = (n: number) => n.toLocaleString('en-US')

/** One progress line: the phase, then items read per side (and percent of DynamoDB's estimate). */
export function verifyProgressText(p: VerifyProgress, seconds: number): string {
  const side = (label: string, s: VerifyProgress['source']) => {
    const pct = s.estimatedItems > 0 && p.phase === 'checksum' ? ` (${Math.min(99, Math.floor((s.items / s.estimatedItems) * 100))}%)` : ''
    return `${label} ${count(s.items)}${pct}`
  }
  const rate = seconds > 0 ? Math.round((p.source.items + p.target.items) / seconds) : 0
  const segments = `segments ${p.source.segmentsDone + p.target.segmentsDone}/${p.source.segmentsTotal + p.target.segmentsTotal}`
  const parts = [`${p.phase === 'checksum' ? 'checksumming' : 'finding differing keys'}`, side('source', p.source), side('target', p.target), `${count(rate)} items/s`, segments]
  const retries = p.source.retries + p.target.retries
  if (retries) parts.push(`${count(retries)} retries (${count(p.source.throttles + p.target.throttles)} throttled)`)
  return parts.join(' · ')
}

/** "equal: …" or the counts and one line per differing key (kind, then the key as plain JSON). */
export function renderVerifyResult(r: VerifyResult): string {
  const took = `${r.segments} segments, ${r.seconds.toFixed(1)} s`
  if (r.equal) {
    const equal = `equal: ${count(r.source.items)} items, checksum ${r.source.checksum} (${took})`
    if (r.source.checksum === r.target.checksum && r.source.items === r.target.items) return equal
    return `${equal}\nThe first read's checksums differed but the second read found no differing key: the tables changed while being verified.`
  }
  const d = r.differences
  const total = d.missing + d.extra + d.changed
  const lines = [
    `different: ${r.source.table} has ${count(r.source.items)} items (checksum ${r.source.checksum}), ${r.target.table} has ${count(r.target.items)} (checksum ${r.target.checksum}) (${took})`,
    `${count(d.missing)} missing from the target, ${count(d.extra)} extra in the target, ${count(d.changed)} changed`,
  ]
  const width = Math.max(0, ...r.diffs.map((x) => x.kind.length))
  for (const x of r.diffs) lines.push(`${x.kind.padEnd(width)}  ${plainItemJson(x.key)}${x.at ? `  (${x.at.source} line ${x.at.line})` : ''}`)
  if (r.truncated) lines.push(`… and ${count(total - r.diffs.length)} more (show more with --max-diffs N)`)
  return lines.join('\n')
}

/** What a failed verify had read: "Stopped while checksumming: source 1,200 items read, target 1,100 (12 retries)." */
export function renderVerifyStopped(p: Record<string, unknown>): string {
  const side = (s: unknown) => s as { table: string; items: number; retries: number }
  const [a, b] = [side(p.source), side(p.target)]
  const retries = (a?.retries ?? 0) + (b?.retries ?? 0)
  return `Stopped while ${p.phase === 'diff' ? 'finding differing keys' : 'checksumming'}: ${a?.table} ${count(a?.items ?? 0)} items read, ${b?.table} ${count(b?.items ?? 0)}${retries ? ` (${count(retries)} retries)` : ''}.`
}

/** What a file side held besides the items compared: records that are not items, repeated keys, records left out. */
export function renderVerifyFileNotes(f: VerifyFileInfo): string[] {
  const records = (n: number) => `${count(n)} record${n === 1 ? '' : 's'}`
  const lines: string[] = []
  if (f.notItems) {
    const p = f.problems[0]
    lines.push(
      `${records(f.notItems)} of the files ${f.notItems === 1 ? 'is' : 'are'} not an item of the table and could not be compared${p ? ` (first: ${p.source} line ${p.line}: ${p.reason})` : ''}.`,
    )
  }
  if (f.duplicates) lines.push(`${records(f.duplicates)} repeat${f.duplicates === 1 ? 's' : ''} a key that a later record holds: only the last record of each key was compared.`)
  if (f.skipped) lines.push(`${records(f.skipped)} that the load dead-lettered ${f.skipped === 1 ? 'was' : 'were'} left out.`)
  return lines
}

/** A verify result for --json: keys as DynamoDB JSON (binary as base64), like `scan --raw`. */
export function verifyResultJson<R extends VerifyResult>(r: R): R {
  return { ...r, diffs: r.diffs.map((d) => ({ ...d, key: JSON.parse(rawItemJson(d.key)) })) }
}
