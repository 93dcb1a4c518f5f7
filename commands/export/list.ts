import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../../src/cli/base.js'
import { renderExportList } from '../../src/cli/exports-render.js'
import { listExports, type ExportInfo } from '../../src/exports/export.js'

export default class ExportList extends DynxCommand<typeof ExportList> {
  static override summary = "List DynamoDB's exports to S3: of one table, or all."
  static override description = 'Follows ListExports through every page and describes each export (status, items, folder). Newest first.'
  static override examples = ['<%= config.bin %> export list --table users', '<%= config.bin %> export list --json']
  static override flags = {
    table: Flags.string({ summary: 'Only exports of this table (--prefix is prepended).' }),
  }

  public async run(): Promise<{ exports: ExportInfo[] }> {
    const exports = await listExports(await this.connect(), this.flags.table ? this.table(this.flags.table) : undefined)
    if (!this.jsonEnabled()) this.log(renderExportList(exports))
    return { exports }
  }
}
