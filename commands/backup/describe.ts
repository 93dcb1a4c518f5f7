import * as Args from '@oclif/core/args'

import { describeBackup, type BackupDetail } from '../../src/backup/backups.js'
import { renderBackupDetail } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'

export default class BackupDescribe extends DynxCommand<typeof BackupDescribe> {
  static override summary = 'Show one backup: status, size, and what it recorded of its table.'
  static override description = `NAME must match exactly one backup; when several backups share a name, they are listed
and the ARN picks one. --json includes DynamoDB's DescribeBackup answer under "description".`
  static override examples = [
    '<%= config.bin %> backup describe users-20261121-101500',
    '<%= config.bin %> backup describe arn:aws:dynamodb:eu-west-1:123456789012:table/users/backup/01732180000000-abcd1234 --json',
  ]
  static override args = {
    backup: Args.string({ description: 'Backup name or ARN.', required: true }),
  }

  public async run(): Promise<BackupDetail> {
    const detail = await describeBackup(await this.connect(), this.args.backup)
    if (!this.jsonEnabled()) this.log(renderBackupDetail(detail))
    return detail
  }
}
