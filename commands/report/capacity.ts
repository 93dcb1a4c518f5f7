import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../../src/cli/base.js'
import { windowFlags, windowFrom } from '../../src/cli/report-flags.js'
import { capacityChart, capacityCsv, renderCapacityReport } from '../../src/cli/report-render.js'
import { UserInputError } from '../../src/errors.js'
import { capacityReport, type CapacityReport } from '../../src/metrics/reports.js'

const PRICES = 'PRICES'
const price = (summary: string) => Flags.string({ summary, helpGroup: PRICES })

export default class ReportCapacity extends DynxCommand<typeof ReportCapacity> {
  static override summary = 'Consumed against provisioned capacity per table and GSI, from CloudWatch, with a recommendation.'
  static override description = `For each table and GSI over the window: billing mode, provisioned read/write capacity,
consumed units per second (average, p99 of the per-period rates, peak), utilisation, and throttle
events. Each table gets a recommendation: the window is simulated minute by minute under
on-demand, fixed provisioned capacity (peak x 1.2) and auto scaling (70% target, out after 2
minutes above, in after 15 below); the cheapest that would not have throttled wins, each with its
estimated monthly cost. Periods without data are reported as missing, not as zero.

Exit codes: 0 done (also when there is no data), 1 CloudWatch failed, 2 bad input.`
  static override examples = [
    '<%= config.bin %> report capacity users orders --since 7d',
    '<%= config.bin %> report capacity --env prod --start 2026-11-20T00:00:00Z --end 2026-11-21T00:00:00Z --period 5m',
    '<%= config.bin %> report capacity users --chart users',
    '<%= config.bin %> report capacity --prefix prod_ --format csv > capacity.csv',
  ]
  static override strict = false
  static override args = {
    table: Args.string({ description: 'Tables (several allowed; --prefix is prepended). Default: every table with --prefix or --env.', ignoreStdin: true }),
  }
  static override flags = {
    ...windowFlags('24h'),
    chart: Flags.string({ summary: 'Also draw consumed against provisioned for this table as a line chart.' }),
    'price-read-request': price('USD per million read request units (on-demand).'),
    'price-write-request': price('USD per million write request units (on-demand).'),
    'price-rcu-hour': price('USD per provisioned RCU-hour.'),
    'price-wcu-hour': price('USD per provisioned WCU-hour.'),
  }

  public async run(): Promise<CapacityReport> {
    const f = this.flags
    const window = windowFrom(f, '24h')
    const prices = this.prices()
    const conn = await this.connect()
    const tables = await this.selectTables(conn, { all: true })
    const chart = f.chart ? this.table(f.chart) : undefined
    if (chart && !tables.includes(chart))
      throw new UserInputError(`--chart ${chart} is not one of the tables in this report.`, 'Name a table of the report (or add it to the tables).')
    const report = await capacityReport(conn, tables, { window, prices, onProgress: (m) => this.progress.update(m) })
    this.progress.stop()
    if (this.jsonEnabled()) return report
    if (f.format === 'csv') this.log(capacityCsv(report))
    else this.log(renderCapacityReport(report, { sparklines: Boolean(process.stdout.isTTY) }))
    const charted = report.tables.find((t) => t.table === chart)
    if (charted && !charted.noData) this.log(capacityChart(charted, Math.max(20, (process.stdout.columns ?? 110) - 14)))
    return report
  }

  private prices() {
    const f = this.flags
    const out: Record<string, number> = {}
    for (const [flag, key] of [
      ['price-read-request', 'readRequestPerMillion'],
      ['price-write-request', 'writeRequestPerMillion'],
      ['price-rcu-hour', 'rcuHour'],
      ['price-wcu-hour', 'wcuHour'],
    ] as const) {
      const text = f[flag]
      if (text === undefined) continue
      const value = Number(text)
      if (!Number.isFinite(value) || value < 0) throw new UserInputError(`--${flag} ${text} is not a price.`, 'Give a non-negative number of US dollars, e.g. 0.125.')
      out[key] = value
    }
    return out
  }
}
