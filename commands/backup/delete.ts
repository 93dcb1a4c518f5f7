import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { deleteBackups, resolveBackups, type BackupInfo, type DeleteBackupsResult } from '../../src/backup/backups.js'
import { renderBackupList, renderDeleted } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import type { WithOutcome } from '../../src/outcome.js'

export default class BackupDelete extends DynxCommand<typeof BackupDelete> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Delete backups by name or ARN.'
  static override description = `Every name is resolved first: an unknown name, or a name shared by several backups, stops
the command before anything is deleted. Asks for confirmation on a terminal; --yes in scripts.

Exit codes: 0 deleted, 1 a deletion failed, 2 bad input or not confirmed.`
  static override examples = [
    '<%= config.bin %> backup delete users-20261101-000000 --yes',
    '<%= config.bin %> backup delete users-20261101-000000 orders-20261101-000000 --dry-run',
  ]
  static override strict = false
  static override args = {
    backup: Args.string({ description: 'Backup names or ARNs (several allowed).', required: true }),
  }
  static override flags = {
    'dry-run': Flags.boolean({ summary: 'Show which backups would be deleted; delete nothing.' }),
  }

  public async run(): Promise<DeleteBackupsResult & WithOutcome & { dryRun: boolean; backups?: BackupInfo[] }> {
    const conn = await this.connect()
    if (this.flags['dry-run']) {
      const backups = await resolveBackups(conn, this.positionals)
      if (!this.jsonEnabled()) this.log(`${renderBackupList(backups)}\nDry run: nothing was deleted.`)
      return { dryRun: true, backups, deleted: [], failed: [], outcome: 'ok' }
    }
    const result = await deleteBackups(conn, this.positionals, {
      beforeDelete: async (backups) => {
        if (!this.jsonEnabled() && !this.flags.yes) this.logToStderr(renderBackupList(backups))
        await this.confirm(`Delete ${backups.length} backup${backups.length === 1 ? '' : 's'}?`)
      },
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderDeleted(result))
    return { dryRun: false, ...result, outcome: result.failed.length ? 'partial' : 'ok' }
  }
}
