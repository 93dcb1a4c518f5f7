import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { renderPitrChanges, renderPitrStatus } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import { pitrStatus, setPitr, type PitrChange, type PitrStatus } from '../../src/pitr/pitr.js'

export default class PitrDisable extends DynxCommand<typeof PitrDisable> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Turn off point-in-time recovery (its restorable history is lost).'
  static override description = `Disabling drops the table's continuous backups: times before re-enabling can no longer be
restored. Asks on a terminal, or --yes; --dry-run shows the tables' current state only.`
  static override examples = ['<%= config.bin %> pitr disable staging_users --yes', '<%= config.bin %> pitr disable --prefix staging_ --dry-run']
  static override strict = false
  static override args = {
    table: Args.string({ description: 'Tables (several allowed; --prefix is prepended). Default: every table with --prefix.', ignoreStdin: true }),
  }
  static override flags = {
    'dry-run': Flags.boolean({ summary: 'Show what would be disabled; change nothing.' }),
  }

  public async run(): Promise<{ tables: PitrChange[] } | { dryRun: true; tables: PitrStatus[] }> {
    const conn = await this.connect()
    const tables = await this.selectTables(conn, { example: 'dynx pitr disable staging_users, or dynx pitr disable --prefix staging_' })
    // Read first: an unknown table is refused before the question, and only enabled tables are asked about.
    const status = await pitrStatus(conn, tables)
    if (this.flags['dry-run']) {
      if (!this.jsonEnabled()) this.log(`${renderPitrStatus(status)}\nDry run: nothing was changed.`)
      return { dryRun: true, tables: status }
    }
    const enabled = status.filter((s) => s.status !== 'DISABLED').map((s) => s.table)
    if (enabled.length) await this.confirm(`Disable point-in-time recovery on ${enabled.join(', ')}? Its restorable history is lost.`)
    const result = await setPitr(conn, tables, false, { onProgress: (p) => this.progress.update(p.message) })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderPitrChanges(result.tables))
    return result
  }
}
