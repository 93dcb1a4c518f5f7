import * as Flags from '@oclif/core/flags'

import { plainItemJson, plainValue, rawItemJson, toWireItem, type Item } from '../data/values.js'
import type { PutItemResult } from '../items/put.js'
import type { TruncatePlan, TruncateResult } from '../items/truncate.js'
import { SCAN_FORMATS, ScanOutput, type ScanFormat } from '../scan/output.js'

/** --format and --raw as `dynx scan` has them, for the commands that print items. */
export const itemOutputFlags = (helpGroup?: string) => ({
  format: Flags.string({
    summary: 'jsonl, json, csv or table (default: table on a terminal, else jsonl; from the extension of --output).',
    options: [...SCAN_FORMATS],
    helpGroup,
  }),
  raw: Flags.boolean({ summary: 'DynamoDB JSON (AttributeValue maps) that writes back identically.', helpGroup }),
})

/** The output format as `dynx scan` picks it: --format, else the extension of --output, else the config's default, else table on a terminal. */
export function chooseFormat(f: { format?: string; output?: string; raw?: boolean }, configured?: ScanFormat): ScanFormat {
  if (f.format) return f.format as ScanFormat
  if (f.output) return /\.csv$/i.test(f.output) ? 'csv' : /\.json$/i.test(f.output) ? 'json' : /\.jsonl$/i.test(f.output) ? 'jsonl' : (configured ?? 'jsonl')
  return configured ?? (process.stdout.isTTY && !f.raw ? 'table' : 'jsonl')
}

/** One item to stdout in the formats of `dynx scan`. */
export async function writeItem(item: Item, o: { format: ScanFormat; raw?: boolean; keyNames: string[]; columns?: string[] }): Promise<void> {
  const out = await ScanOutput.open({ format: o.format, raw: o.raw, keyNames: o.keyNames, columns: o.columns })
  await out.writePage([item])
  await out.finish()
}

/** An item for a --json result: plain JSON with exact numbers, or DynamoDB JSON with --raw. */
export function itemJson(item: Item, raw?: boolean): unknown {
  return raw ? toWireItem(item) : plainValue({ M: item })
}

export const keyText = (key: Item) => plainItemJson(key)

export function renderPut(r: PutItemResult, item: Item): string {
  const key = keyText(r.key)
  if (r.dryRun) return `Would put into ${r.table} (key ${key}):\n${rawItemJson(item)}`
  if (!r.written) return `Not written: ${r.table} already has an item with key ${key} (--if-not-exists left it unchanged).`
  return `Put ${key} into ${r.table} (${r.existed ? 'replaced the item with that key' : 'new item'}).`
}

export function renderTruncatePlan(plan: TruncatePlan): string {
  if (plan.mode === 'delete-items') return `Delete every item of ${plan.table} (about ${plan.estimatedItems} items by DynamoDB's estimate); the table and its settings stay.`
  const lines = [
    plan.resumed
      ? `Finish re-creating ${plan.table} from the definition saved by an interrupted run:`
      : `Delete ${plan.table} (about ${plan.estimatedItems} items) and create it again, empty, with:`,
    ...plan.keeps.map((k) => `  ${k}`),
    ...(plan.resumed ? [] : ['Note:', ...plan.warnings.map((w) => `  - ${w}`)]),
  ]
  return lines.join('\n')
}

export function renderTruncateResult(r: TruncateResult): string {
  if (r.mode === 'delete-items') return `Deleted ${r.deleted} items from ${r.table} in ${r.seconds.toFixed(1)} s.`
  const lines = [`Re-created ${r.table}, empty, in ${r.seconds.toFixed(1)} s.`]
  for (const s of r.settings) lines.push(`  ${s.status === 'applied' ? '✓' : s.status === 'skipped' ? '-' : '✗'} ${s.detail}`)
  if (r.outcome === 'partial') lines.push(`The table is there and empty, but the settings marked ✗ were not put back: set them by hand, or with \`dynx apply SPEC --yes\`.`)
  return lines.join('\n')
}
