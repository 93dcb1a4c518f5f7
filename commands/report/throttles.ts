import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../../src/cli/base.js'
import { windowFlags, windowFrom } from '../../src/cli/report-flags.js'
import { renderThrottleReport, throttleCsv } from '../../src/cli/report-render.js'
import { throttleReport, type ThrottleReport } from '../../src/metrics/reports.js'
import type { WithOutcome } from '../../src/outcome.js'

export default class ReportThrottles extends DynxCommand<typeof ReportThrottles> {
  static override summary = 'What was throttled, where and by which operation, from CloudWatch; worst first.'
  static override description = `ThrottledRequests per operation (GetItem, PutItem, Query, BatchWriteItem, TransactWriteItems,
ExecuteStatement, ...), ReadThrottleEvents and WriteThrottleEvents per table and GSI, and the
per-reason throttle events (provisioned throughput, key range, account limit, on-demand maximum)
where CloudWatch has them; sorted worst first, each with the period of its worst spike.

Exit codes: 0 done, 3 something was throttled and --fail-on-throttle was given, 1 CloudWatch
failed, 2 bad input.`
  static override examples = [
    '<%= config.bin %> report throttles --env prod',
    '<%= config.bin %> report throttles users orders --since 24h --period 5m',
    '<%= config.bin %> report throttles --prefix prod_ --since 15m --fail-on-throttle   # CI gate',
  ]
  static override strict = false
  static override args = {
    table: Args.string({ description: 'Tables (several allowed; --prefix is prepended). Default: every table with --prefix or --env.', ignoreStdin: true }),
  }
  static override flags = {
    ...windowFlags('1h'),
    'fail-on-throttle': Flags.boolean({ summary: 'Exit 3 if anything was throttled in the window.' }),
  }

  public async run(): Promise<ThrottleReport & WithOutcome> {
    const f = this.flags
    const window = windowFrom(f, '1h')
    const conn = await this.connect()
    const tables = await this.selectTables(conn, { all: true })
    const found = await throttleReport(conn, tables, { window, onProgress: (m) => this.progress.update(m) })
    this.progress.stop()
    const report = { ...found, outcome: f['fail-on-throttle'] && found.throttled ? ('drift' as const) : ('ok' as const) }
    if (!this.jsonEnabled()) this.log(f.format === 'csv' ? throttleCsv(report) : renderThrottleReport(report, { sparklines: Boolean(process.stdout.isTTY) }))
    return report
  }
}
