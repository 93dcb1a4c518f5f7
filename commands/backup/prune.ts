import * as Flags from '@oclif/core/flags'

import { pruneBackups, type PruneResult } from '../../src/backup/prune.js'
import { renderPrunePlan, renderPruneResult } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import type { WithOutcome } from '../../src/outcome.js'
import { parseDuration } from '../../src/time.js'

export default class BackupPrune extends DynxCommand<typeof BackupPrune> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Delete old user backups of a table, or of every table with --prefix.'
  static override description = `Only USER backups that are AVAILABLE are considered (system and AWS Backup backups have
lifecycles of their own). --keep N keeps the newest N of each table; --older-than deletes
those older than the age given; with both, only backups both rules give up are deleted. The
newest backup of each table is always kept unless --keep 0 is given explicitly.

Prints what it deletes and what it keeps; asks on a terminal, or --yes; --dry-run deletes nothing.
Exit codes: 0 done, 1 a deletion failed, 2 bad input or not confirmed.`
  static override examples = ['<%= config.bin %> backup prune --table users --keep 14 --yes', '<%= config.bin %> backup prune --prefix prod_ --older-than 30d --dry-run']
  static override flags = {
    table: Flags.string({ summary: 'Prune the backups of this table (--prefix is prepended).' }),
    keep: Flags.integer({ summary: 'Keep the newest N backups of each table.' }),
    'older-than': Flags.string({ summary: 'Delete backups older than this (30d, 12h, 2w).' }),
    'dry-run': Flags.boolean({ summary: 'Show what would be deleted and kept; delete nothing.' }),
  }

  public async run(): Promise<PruneResult & WithOutcome> {
    const { table, keep } = this.flags
    const olderThan = this.flags['older-than']
    const result = await pruneBackups(await this.connect(), {
      ...(table ? { table: this.table(table) } : { prefix: this.flags.prefix }),
      ...(keep !== undefined ? { keep } : {}),
      ...(olderThan ? { olderThanMs: parseDuration(olderThan, '--older-than') } : {}),
      dryRun: this.flags['dry-run'],
      beforeDelete: async (plan) => {
        if (!this.jsonEnabled() && !this.flags.yes) this.logToStderr(renderPrunePlan(plan))
        const n = plan.tables.reduce((sum, t) => sum + t.delete.length, 0)
        await this.confirm(`Delete ${n} backup${n === 1 ? '' : 's'}?`)
      },
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderPruneResult(result))
    return { ...result, outcome: result.failed.length ? 'partial' : 'ok' }
  }
}
