import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { renderPitrChanges } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import { MAX_RECOVERY_DAYS, setPitr, type PitrChange } from '../../src/pitr/pitr.js'

export default class PitrEnable extends DynxCommand<typeof PitrEnable> {
  static override writes = 'main' as const
  static override summary = 'Turn on point-in-time recovery for tables, or every table with --prefix.'
  static override description = `Tables already enabled (with the same recovery period) are left alone, so it is safe in CI.
Every table is checked first: an unknown name changes nothing.`
  static override examples = ['<%= config.bin %> pitr enable users orders', '<%= config.bin %> pitr enable --prefix prod_ --recovery-days 14']
  static override strict = false
  static override args = {
    table: Args.string({ description: 'Tables (several allowed; --prefix is prepended). Default: every table with --prefix.', ignoreStdin: true }),
  }
  static override flags = {
    'recovery-days': Flags.integer({ summary: `Recovery period in days, 1-${MAX_RECOVERY_DAYS} (DynamoDB's default is 35).` }),
  }

  public async run(): Promise<{ tables: PitrChange[] }> {
    const conn = await this.connect()
    const tables = await this.selectTables(conn, { wholeEnvironment: true, example: 'dynx pitr enable users orders, or dynx pitr enable --prefix prod_' })
    const days = this.flags['recovery-days']
    const result = await setPitr(conn, tables, true, { ...(days !== undefined ? { recoveryDays: days } : {}), onProgress: (p) => this.progress.update(p.message) })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderPitrChanges(result.tables))
    return result
  }
}
