import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { renderTruncatePlan, renderTruncateResult } from '../src/cli/items-render.js'
import { truncateTable, type TruncateResult } from '../src/items/truncate.js'

export default class Truncate extends DynxCommand<typeof Truncate> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Empty a table: delete every item, or (--recreate) delete and re-create the table from its own definition.'
  static override description = `--recreate is faster and cheaper on a big table: the table is deleted and created again with its
keys, GSIs and LSIs, billing and capacity, stream, encryption, table class and deletion protection,
then TTL, tags, point-in-time recovery (with its period) and auto scaling are put back. It is a new
table: its TableId and stream ARN change (stream consumers must be re-pointed) and PITR starts a new
window. Deletion protection is turned off for the delete and on again for the new table. The
definition is saved under ~/.dynx/truncate/ first, so running the same command after a crash finishes
the job.

Without --recreate, every item is deleted with a keys-only parallel scan and BatchWriteItem; the
table and its settings stay.

Both ask for the table name to be typed on a terminal (or --yes); --dry-run shows what would happen.
Exit codes: 0 done, 1 failed (or a setting not put back), 2 bad input or not confirmed (nothing
changed), 130 interrupted.`
  static override examples = [
    '<%= config.bin %> truncate staging_events --recreate --dry-run',
    '<%= config.bin %> truncate staging_events --recreate',
    '<%= config.bin %> truncate test_users --yes',
  ]
  static override args = {
    table: Args.string({ description: 'Table name (the global --prefix is prepended).', required: true }),
  }
  static override flags = {
    recreate: Flags.boolean({ summary: 'Delete and re-create the table from its own definition instead of deleting each item.' }),
    segments: Flags.integer({ summary: 'Parallel scan segments for deleting items (default: one per 2 GB, at least 4).', exclusive: ['recreate'] }),
    'dry-run': Flags.boolean({ summary: 'Show what would be deleted and re-created; change nothing.' }),
  }

  public async run(): Promise<TruncateResult> {
    const f = this.flags
    const conn = await this.connect()
    const table = this.table(this.args.table)
    this.progress.stage('plan', table)
    const result = await truncateTable(conn, table, {
      recreate: f.recreate,
      dryRun: f['dry-run'],
      segments: f.segments,
      signal: this.interruptSignal(),
      confirm: async (plan) => {
        this.progress.stop()
        if (!this.jsonEnabled()) process.stderr.write(`${renderTruncatePlan(plan)}\n`)
        await this.confirm(plan.mode === 'recreate' ? `Delete and re-create ${table}?` : `Delete every item of ${table}?`, table)
      },
      onProgress: (p) => this.progress.stage(p.stage, `${table}: ${p.message}`),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(result.dryRun ? `${renderTruncatePlan(result.plan)}\n(dry run: nothing changed)` : renderTruncateResult(result))
    return result
  }
}
