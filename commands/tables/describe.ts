import * as Args from '@oclif/core/args'

import { DynxCommand } from '../../src/cli/base.js'
import { renderTableInfo } from '../../src/cli/render.js'
import { describeTable, type TableInfo } from '../../src/tables/describe.js'

export default class TablesDescribe extends DynxCommand<typeof TablesDescribe> {
  static override summary = 'Show a table: keys, indexes, billing, TTL, stream, PITR, tags, protection.'
  static override description = `A readable summary of everything that defines the table, gathered from DescribeTable,
DescribeTimeToLive, DescribeContinuousBackups and ListTagsOfResource. With --json the full
result is printed, including the raw DescribeTable answer under "description".`
  static override examples = [
    '<%= config.bin %> tables describe users --local',
    '<%= config.bin %> --prefix staging_ tables describe users',
    '<%= config.bin %> tables describe orders --json',
  ]
  static override args = {
    table: Args.string({ description: 'Table name (the global --prefix is prepended). Default: defaults.table of dynx.config, else a pick list on a terminal.' }),
  }

  public async run(): Promise<TableInfo> {
    const conn = await this.connect()
    const info = await describeTable(conn, await this.requireTable(this.args.table, async () => conn))
    if (!this.jsonEnabled()) this.log(renderTableInfo(info))
    return info
  }
}
