import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { createBackup, DEFAULT_BACKUP_NAME, type CreateBackupResult } from '../../src/backup/backups.js'
import { renderCreatedBackups } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import type { WithOutcome } from '../../src/outcome.js'

export default class BackupCreate extends DynxCommand<typeof BackupCreate> {
  static override summary = 'Take on-demand backups of tables, or of every table with --prefix.'
  static override description = `Every table is checked before the first backup starts, so a misspelt name changes nothing.
The name template may use {table}, {date} (yyyyMMdd) and {time} (HHmmss), both UTC; it must
contain {table} when several tables are backed up.

Exit codes: 0 all backed up, 1 a backup failed (the others are kept), 2 bad input.`
  static override examples = [
    '<%= config.bin %> backup create users orders',
    '<%= config.bin %> backup create --prefix prod_ --name "{table}-before-migration-{date}" --wait',
    '<%= config.bin %> backup create users --json',
  ]
  static override strict = false
  static override args = {
    table: Args.string({ description: 'Tables to back up (several allowed; --prefix is prepended). Default: every table with --prefix.', ignoreStdin: true }),
  }
  static override flags = {
    name: Flags.string({ summary: `Backup name template (default ${DEFAULT_BACKUP_NAME}).`, default: DEFAULT_BACKUP_NAME }),
    wait: Flags.boolean({ summary: 'Wait until every backup is AVAILABLE.' }),
  }

  public async run(): Promise<CreateBackupResult & WithOutcome> {
    const conn = await this.connect()
    const tables = await this.selectTables(conn, { wholeEnvironment: true, example: 'dynx backup create users orders, or dynx backup create --prefix prod_' })
    const result = await createBackup(conn, tables, {
      name: this.flags.name,
      wait: this.flags.wait,
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderCreatedBackups(result))
    return { ...result, outcome: result.failed.length ? 'partial' : 'ok' }
  }
}
