import * as Flags from '@oclif/core/flags'

import { listBackups, type BackupInfo, type BackupTypeName } from '../../src/backup/backups.js'
import { renderBackupList } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import { parseTime } from '../../src/time.js'

export const BACKUP_TYPES: BackupTypeName[] = ['user', 'system', 'aws-backup', 'all']

export default class BackupList extends DynxCommand<typeof BackupList> {
  static override summary = 'List backups: of one table, of tables with --prefix, or all.'
  static override description = `Follows ListBackups through every page. Sorted by table, newest first. Backups of tables
that no longer exist are listed too (a restore can still use them).`
  static override examples = [
    '<%= config.bin %> backup list --table users',
    '<%= config.bin %> backup list --prefix prod_ --since 7d',
    '<%= config.bin %> backup list --type user --json',
  ]
  static override flags = {
    table: Flags.string({ summary: 'Only backups of this table (--prefix is prepended).' }),
    since: Flags.string({ summary: 'Only backups created since: a duration (7d, 12h) or an ISO 8601 time.' }),
    type: Flags.string({ summary: 'Backup type.', options: BACKUP_TYPES, default: 'all' }),
  }

  public async run(): Promise<{ backups: BackupInfo[] }> {
    const { table, since, type } = this.flags
    const sinceTime = since ? parseTime(since, '--since') : undefined
    const conn = await this.connect()
    const backups = await listBackups(conn, {
      ...(table ? { table: this.table(table) } : { prefix: this.flags.prefix }),
      ...(sinceTime ? { since: sinceTime } : {}),
      type: type as BackupTypeName,
    })
    if (!this.jsonEnabled()) this.log(renderBackupList(backups))
    return { backups }
  }
}
