import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import type { BackupTypeName } from '../../src/backup/backups.js'
import { restoreBackup, restoreBackupsByPrefix, type PrefixRestoreResult, type TableRestoreResult } from '../../src/backup/restore.js'
import { RESTORE_INTERRUPT_MESSAGE, restoreFlags, renderPrefixRestore, renderPrefixRestorePlan, renderRestore } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import { UserInputError } from '../../src/errors.js'
import type { WithOutcome } from '../../src/outcome.js'
import { parseTime } from '../../src/time.js'
import { BACKUP_TYPES } from './list.js'

export default class BackupRestore extends DynxCommand<typeof BackupRestore> {
  static override writes = 'main' as const
  static override summary = 'Restore a backup into a new table, or the newest backup of every table with --prefix.'
  static override description = `A restore never overwrites: a TARGET that exists is refused. With --prefix and --to-prefix,
each table whose name starts with --prefix (live, or known only from its backups) is restored
from its newest backup (before --before) into --to-prefix + the rest of its name; every target
and every backup is checked before the first restore starts.

A restored table comes back without TTL, stream, tags, point-in-time recovery and auto scaling,
and with the billing mode of the backup. Unless --no-reconcile is given, dynx waits for the
table to be ACTIVE and re-applies those from the source table (or from the backup's record of
it when the source is gone), and reports what it applied. Restores of large tables take hours.

Exit codes: 0 restored, 1 a restore or a reconcile step failed, 2 bad input (nothing restored).`
  static override examples = [
    '<%= config.bin %> backup restore users-20261121-101500 users_restored',
    '<%= config.bin %> backup restore arn:aws:dynamodb:eu-west-1:123456789012:table/users/backup/01732180000000-abcd1234 users_copy --no-reconcile',
    '<%= config.bin %> backup restore --prefix prod_ --to-prefix restored_ --before 2026-11-20T15:00:00Z',
  ]
  static override args = {
    backup: Args.string({ description: 'Backup name or ARN (not with --to-prefix).', ignoreStdin: true }),
    target: Args.string({ description: 'New table to restore into (--prefix is prepended).', ignoreStdin: true }),
  }
  static override flags = {
    ...restoreFlags(),
    'to-prefix': Flags.string({ summary: 'Restore every table with --prefix into tables with this prefix instead.' }),
    before: Flags.string({ summary: 'With --to-prefix: use the newest backup created before this time (ISO 8601, or a duration ago such as 1d).', dependsOn: ['to-prefix'] }),
    type: Flags.string({ summary: 'With --to-prefix: which backups count (default all).', options: BACKUP_TYPES, dependsOn: ['to-prefix'] }),
  }

  protected override interruptMessage(): string {
    return RESTORE_INTERRUPT_MESSAGE
  }

  public async run(): Promise<(TableRestoreResult | PrefixRestoreResult) & WithOutcome> {
    const { backup, target } = this.args
    const common = {
      wait: this.flags.wait,
      reconcile: this.flags.reconcile,
      waitOptions: { signal: this.interruptSignal() },
      onProgress: (p: { message: string }) => this.progress.update(p.message),
    }
    const toPrefix = this.flags['to-prefix']
    if (toPrefix !== undefined) {
      if (backup || target)
        throw new UserInputError(
          'With --to-prefix, give no BACKUP or TARGET: each table restores from its own newest backup.',
          'Example: dynx backup restore --prefix prod_ --to-prefix restored_',
        )
      const before = this.flags.before ? parseTime(this.flags.before, '--before') : undefined
      const result = await restoreBackupsByPrefix(await this.connect(), {
        ...common,
        prefix: this.flags.prefix,
        toPrefix,
        type: (this.flags.type ?? 'all') as BackupTypeName,
        ...(before ? { before } : {}),
        beforeRestore: (plan) => {
          if (!this.jsonEnabled()) this.logToStderr(`Restoring ${plan.length} table${plan.length === 1 ? '' : 's'}:\n${renderPrefixRestorePlan(plan)}`)
        },
      })
      return this.finish(result, renderPrefixRestore(result), result.failed.length > 0 || result.restores.some((r) => r.reconcile?.failed))
    }
    if (!backup || !target)
      throw new UserInputError(
        'Give the BACKUP (name or ARN) and the TARGET table to restore into.',
        'Example: dynx backup restore users-20261121-101500 users_restored, or --prefix prod_ --to-prefix restored_ for an environment.',
      )
    const result = await restoreBackup(await this.connect(), backup, this.table(target), common)
    return this.finish(result, renderRestore(result), Boolean(result.reconcile?.failed))
  }

  private finish<R>(result: R, text: string, failed: boolean): R & WithOutcome {
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(text)
    return { ...result, outcome: failed ? 'partial' : 'ok' }
  }
}
