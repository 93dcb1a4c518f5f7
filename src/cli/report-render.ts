import { plot } from 'asciichart'
import Table from 'cli-table3'

import type { Series } from '../metrics/fetch.js'
import type { CapacityReport, DimensionReport, TableCapacityReport, ThrottleReport } from '../metrics/reports.js'

/** Renderers for `dynx report`: tables with sparklines on a terminal, CSV, and a line chart. */

const plain = { style: { head: [] as string[], border: [] as string[] } }
const BLOCKS = '▁▂▃▄▅▆▇█'

/** Squeezes a series to at most `width` points, keeping each bucket's largest value. */
function squeeze(s: Series, width: number): Series {
  if (s.length <= width) return s
  const size = s.length / width
  return Array.from({ length: width }, (_, i) => {
    const bucket = s.slice(Math.floor(i * size), Math.floor((i + 1) * size)).filter((v): v is number => v !== null)
    return bucket.length ? Math.max(...bucket) : null
  })
}

/** A one-line chart of a series in Unicode blocks; a period without data is a space. */
export function sparkline(s: Series, width = 24): string {
  const points = squeeze(s, width)
  const values = points.filter((v): v is number => v !== null)
  if (values.length === 0) return ''
  const max = Math.max(...values)
  return points.map((v) => (v === null ? ' ' : BLOCKS[max > 0 ? Math.min(BLOCKS.length - 1, Math.floor((v / max) * (BLOCKS.length - 1))) : 0])).join('')
}

const num = (v: number | null, digits = 2): string => (v === null ? 'no data' : Number.isInteger(v) ? String(v) : v.toFixed(digits))
const pct = (v: number | null): string => (v === null ? '-' : `${Math.round(v * 100)}%`)
const money = (v: number): string => `$${v < 10 ? v.toFixed(2) : Math.round(v).toLocaleString('en-US')}`
const unitName = (u: { table: string; index?: string }) => (u.index ? `  index ${u.index}` : u.table)

function capacityRows(t: TableCapacityReport, sparklines: boolean): string[][] {
  const rows: string[][] = []
  for (const u of t.units) {
    for (const [dim, d] of [
      ['read', u.read],
      ['write', u.write],
    ] as Array<[string, DimensionReport]>) {
      rows.push([
        dim === 'read' ? unitName(u) : '',
        dim,
        u.billing === 'PAY_PER_REQUEST' ? 'on-demand' : num(d.provisioned),
        num(d.consumed.average),
        num(d.consumed.p99),
        num(d.consumed.peak),
        pct(d.utilization),
        String(dim === 'read' ? u.throttleEvents.read : u.throttleEvents.write),
        ...(sparklines ? [sparkline(d.series)] : []),
      ])
    }
  }
  return rows
}

export function renderCapacityReport(r: CapacityReport, options: { sparklines: boolean }): string {
  const lines = [`Capacity ${r.window.start} to ${r.window.end}, ${r.window.periodSeconds / 60}-minute periods (consumed in units per second).`]
  if (r.noData) {
    lines.push('No data for this window: CloudWatch has no consumed-capacity figures for these tables then.')
    return lines.join('\n')
  }
  const t = new Table({ head: ['Table / index', '', 'Provisioned', 'Avg', 'p99', 'Peak', 'Used', 'Throttle events', ...(options.sparklines ? ['Consumed'] : [])], ...plain })
  for (const table of r.tables) for (const row of capacityRows(table, options.sparklines)) t.push(row)
  lines.push(t.toString())
  for (const table of r.tables) {
    if (table.noData) {
      lines.push(`${table.table}: no data for this window.`)
      continue
    }
    const rec = table.recommendation
    lines.push(`${table.table}: recommend ${rec.choice}${table.billing === (rec.choice === 'on-demand' ? 'PAY_PER_REQUEST' : 'PROVISIONED') ? ' (its billing mode now)' : ''}`)
    if (rec.approximate) lines.push(`  approximate: ${rec.approximate}`)
    for (const o of rec.options) lines.push(`  ${o.mode.padEnd(12)} ${money(o.monthlyCost).padStart(10)}/month${o.throttles ? '  would throttle' : ''}  ${o.detail}`)
  }
  lines.push(`Prices: ${r.prices.region}${r.prices.fallback ? ' (not in the price table: us-east-1 prices used; override with --price-*)' : ''}, taken ${r.prices.taken}.`)
  return lines.join('\n')
}

const csvCell = (v: string | number | null): string => {
  const text = v === null ? '' : String(v)
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
const csv = (rows: Array<Array<string | number | null>>) => rows.map((r) => r.map(csvCell).join(',')).join('\n')

export function capacityCsv(r: CapacityReport): string {
  const rows: Array<Array<string | number | null>> = [
    [
      'table',
      'index',
      'billing',
      'dimension',
      'provisioned',
      'consumed_avg_per_s',
      'consumed_p99_per_s',
      'consumed_peak_per_s',
      'utilization',
      'throttle_events',
      'recommendation',
    ],
  ]
  for (const t of r.tables) {
    for (const u of t.units) {
      for (const [dim, d] of [
        ['read', u.read],
        ['write', u.write],
      ] as Array<[string, DimensionReport]>) {
        rows.push([
          u.table,
          u.index ?? '',
          u.billing,
          dim,
          d.provisioned,
          d.consumed.average,
          d.consumed.p99,
          d.consumed.peak,
          d.utilization,
          dim === 'read' ? u.throttleEvents.read : u.throttleEvents.write,
          t.recommendation.choice,
        ])
      }
    }
  }
  return csv(rows)
}

export function renderThrottleReport(r: ThrottleReport, options: { sparklines: boolean }): string {
  const lines = [`Throttling ${r.window.start} to ${r.window.end}, ${r.window.periodSeconds / 60}-minute periods.`]
  if (r.noData) lines.push('No data for this window: CloudWatch has no throttle figures for these tables then (it publishes them only when something is throttled).')
  else if (!r.throttled) lines.push('Nothing was throttled.')
  else {
    const t = new Table({ head: ['Table / index', 'Operation / metric', 'Throttled', 'Worst period', 'In it', ...(options.sparklines ? ['Over time'] : [])], ...plain })
    for (const row of r.rows) {
      t.push([unitName(row).trim(), row.operation ?? row.metric, String(row.total), row.worstAt, String(row.worstValue), ...(options.sparklines ? [sparkline(row.series)] : [])])
    }
    lines.push(t.toString())
  }
  return lines.join('\n')
}

export function throttleCsv(r: ThrottleReport): string {
  return csv([
    ['table', 'index', 'operation', 'metric', 'total', 'worst_period', 'worst_value'],
    ...r.rows.map((x) => [x.table, x.index ?? '', x.operation ?? '', x.metric, x.total, x.worstAt, x.worstValue]),
  ])
}

/** Consumed against provisioned over the window, read and write, as terminal line charts. */
export function capacityChart(t: TableCapacityReport, width = 100): string {
  const unit = t.units[0]
  const out = [`${t.table}: consumed (per second) against provisioned; periods without data drawn as 0`]
  for (const [dim, d] of [
    ['read', unit.read],
    ['write', unit.write],
  ] as Array<[string, DimensionReport]>) {
    const consumed = squeeze(d.series, width).map((v) => v ?? 0)
    let last = d.provisioned ?? 0
    const provisioned = squeeze(d.provisionedSeries, width).map((v) => (last = v ?? last))
    const series = t.billing === 'PAY_PER_REQUEST' || consumed.length === 0 ? [consumed] : [consumed, provisioned]
    out.push(`${dim}${series.length > 1 ? ' (the second line is provisioned)' : ''}:`, plot(series.length ? series : [[0]], { height: 8 }))
  }
  return out.join('\n')
}
