import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import type { ReconcileResult } from '../../src/backup/reconcile.js'
import { reconcileRestore } from '../../src/backup/restore.js'
import { RESTORE_INTERRUPT_MESSAGE, renderReconcile } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import type { WithOutcome } from '../../src/outcome.js'

export default class BackupReconcile extends DynxCommand<typeof BackupReconcile> {
  static override writes = 'main' as const
  static override summary = 'Re-apply to a restored table what the restore left out (TTL, stream, tags, PITR, auto scaling, billing).'
  static override description = `For a table restored with --no-reconcile, or whose restore dynx stopped waiting for: waits
until it is ACTIVE, then does what \`backup restore\` and \`pitr restore\` do after a restore. The
source is the table the restored table names as its origin (or --source); when that table is
gone, the settings come from the backup's record of it. Safe to run again.

Exit codes: 0 reconciled, 1 a setting failed, 2 bad input.`
  static override examples = ['<%= config.bin %> backup reconcile orders_restored', '<%= config.bin %> backup reconcile orders_copy --source orders']
  static override args = {
    target: Args.string({ description: 'The restored table (--prefix is prepended).', required: true }),
  }
  static override flags = {
    source: Flags.string({ summary: 'Take the settings from this table instead (--prefix is prepended).' }),
  }

  protected override interruptMessage(): string {
    return RESTORE_INTERRUPT_MESSAGE
  }

  public async run(): Promise<ReconcileResult & WithOutcome & { target: string }> {
    const { source } = this.flags
    const result = await reconcileRestore(await this.connect(), this.table(this.args.target), {
      ...(source ? { source: this.table(source) } : {}),
      waitOptions: { signal: this.interruptSignal() },
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled())
      this.log([`Reconciled ${result.target} with ${result.from === 'backup' ? 'the backup of ' : ''}${result.source}:`, ...renderReconcile(result)].join('\n'))
    return { ...result, outcome: result.failed ? 'partial' : 'ok' }
  }
}
