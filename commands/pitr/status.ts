import * as Args from '@oclif/core/args'

import { renderPitrStatus } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import { pitrStatus, type PitrStatus } from '../../src/pitr/pitr.js'

export default class PitrStatusCommand extends DynxCommand<typeof PitrStatusCommand> {
  static override summary = 'Show point-in-time recovery: enabled, restorable window, recovery period.'
  static override description = 'Without TABLE, every table whose name starts with the global --prefix (all tables without one).'
  static override examples = ['<%= config.bin %> pitr status users', '<%= config.bin %> pitr status --prefix prod_ --json']
  static override strict = false
  static override args = {
    table: Args.string({ description: 'Tables (several allowed; --prefix is prepended).', ignoreStdin: true }),
  }

  public async run(): Promise<{ tables: PitrStatus[] }> {
    const conn = await this.connect()
    const tables = await pitrStatus(conn, await this.selectTables(conn, { all: true }))
    if (!this.jsonEnabled()) this.log(renderPitrStatus(tables))
    return { tables }
  }
}
