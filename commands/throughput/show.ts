import * as Args from '@oclif/core/args'

import { DynxCommand } from '../../src/cli/base.js'
import { renderThroughputStatus } from '../../src/cli/throughput-render.js'
import { throughputStatus } from '../../src/throughput/status.js'
import type { TableThroughput } from '../../src/throughput/types.js'

export default class ThroughputShow extends DynxCommand<typeof ThroughputShow> {
  static override summary = 'Show capacity, auto scaling and the decrease quota of tables and their GSIs.'
  static override description = `For each table and GSI: billing mode, provisioned read/write capacity, on-demand maximums,
auto-scaling range and target utilisation, decreases made today (UTC), the last decrease, and
whether DynamoDB would accept a decrease now (4 per UTC day at any time, plus one more after
each hour without a decrease) or when it next will. Without TABLE, every table whose name
starts with the global --prefix is shown.`
  static override examples = [
    '<%= config.bin %> throughput show users orders',
    '<%= config.bin %> throughput show --prefix staging_',
    '<%= config.bin %> throughput show users --json',
  ]
  static override strict = false
  static override args = {
    table: Args.string({ description: 'Tables to show (several allowed; the global --prefix is prepended). Default: all with --prefix.', ignoreStdin: true }),
  }

  public async run(): Promise<{ tables: TableThroughput[] }> {
    const conn = await this.connect()
    const names = await this.selectTables(conn, { all: true })
    const tables = names.length ? await throughputStatus(conn, names) : []
    if (!this.jsonEnabled()) this.log(renderThroughputStatus(tables))
    return { tables }
  }
}
