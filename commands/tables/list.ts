import { DynxCommand } from '../../src/cli/base.js'
import { renderTableList } from '../../src/cli/render.js'
import { listTables, type TableSummary } from '../../src/tables/describe.js'

export default class TablesList extends DynxCommand<typeof TablesList> {
  static override summary = 'List tables with status, billing, capacity, item count and size.'
  static override description = `Follows ListTables through every page (past 100 tables) and describes each table.
With --prefix, only tables whose names start with it are listed. Item counts and sizes are
DynamoDB's own estimates, refreshed by DynamoDB about every six hours.`
  static override examples = ['<%= config.bin %> tables list --local', '<%= config.bin %> tables list --prefix staging_ --region eu-west-1', '<%= config.bin %> tables list --json']

  public async run(): Promise<{ tables: TableSummary[] }> {
    const tables = await listTables(await this.connect(), { prefix: this.flags.prefix })
    if (!this.jsonEnabled()) this.log(renderTableList(tables))
    return { tables }
  }
}
