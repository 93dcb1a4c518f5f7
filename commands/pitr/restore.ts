import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import type { TableRestoreResult } from '../../src/backup/restore.js'
import { RESTORE_INTERRUPT_MESSAGE, restoreFlags, renderRestore } from '../../src/cli/backup-render.js'
import { DynxCommand } from '../../src/cli/base.js'
import { UserInputError } from '../../src/errors.js'
import type { WithOutcome } from '../../src/outcome.js'
import { restoreToPointInTime } from '../../src/pitr/pitr.js'
import { parseDuration, parseTime } from '../../src/time.js'

export default class PitrRestore extends DynxCommand<typeof PitrRestore> {
  static override writes = 'main' as const
  static override summary = 'Restore a table as it was at a point in time into a new table.'
  static override description = `The time must lie in the source's restorable window (see \`dynx pitr status\`); it is checked
before anything is asked of DynamoDB, and the error shows the window. A TARGET that exists is
refused. Unless --no-reconcile is given, dynx waits for the new table to be ACTIVE and re-applies
TTL, stream, tags, point-in-time recovery, auto scaling and billing from the source.

Exit codes: 0 restored, 1 the restore or a reconcile step failed, 2 bad input (nothing restored).`
  static override examples = [
    '<%= config.bin %> pitr restore orders orders_restored --time 2026-11-20T15:00:00Z',
    '<%= config.bin %> pitr restore orders orders_1h_ago --ago 1h',
    '<%= config.bin %> pitr restore orders orders_latest --latest --no-reconcile',
  ]
  static override args = {
    source: Args.string({ description: 'Table to restore from (--prefix is prepended).', required: true }),
    target: Args.string({ description: 'New table to restore into (--prefix is prepended).', required: true }),
  }
  static override flags = {
    ...restoreFlags(),
    time: Flags.string({ summary: 'Restore to this time (ISO 8601; without an offset it is UTC).', exclusive: ['ago', 'latest'] }),
    ago: Flags.string({ summary: 'Restore to this long ago (30m, 2h, 1d).', exclusive: ['time', 'latest'] }),
    latest: Flags.boolean({ summary: 'Restore to the latest restorable time.', exclusive: ['time', 'ago'] }),
  }

  protected override interruptMessage(): string {
    return RESTORE_INTERRUPT_MESSAGE
  }

  public async run(): Promise<TableRestoreResult & WithOutcome> {
    const { time, ago, latest } = this.flags
    if (!time && !ago && !latest)
      throw new UserInputError(
        'Say when to restore to: --time, --ago or --latest.',
        'Examples: --time 2026-11-20T15:00:00Z, --ago 2h, --latest; `dynx pitr status TABLE` shows the restorable window.',
      )
    const at = time ? parseTime(time, '--time') : ago ? new Date(Date.now() - parseDuration(ago, '--ago')) : undefined
    const result = await restoreToPointInTime(await this.connect(), this.table(this.args.source), this.table(this.args.target), {
      ...(at ? { time: at } : { latest: true }),
      wait: this.flags.wait,
      reconcile: this.flags.reconcile,
      waitOptions: { signal: this.interruptSignal() },
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderRestore(result))
    return { ...result, outcome: result.reconcile?.failed ? 'partial' : 'ok' }
  }
}
