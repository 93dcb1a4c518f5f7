import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../../src/cli/base.js'
import { restoreTimeoutFlag, restoreTimeoutMs } from '../../src/cli/throughput-flags.js'
import { renderRestoreResult, throughputProgressText } from '../../src/cli/throughput-render.js'
import { UserInputError } from '../../src/errors.js'
import { restoreThroughput, type RestoreResult } from '../../src/throughput/bump.js'
import { findOpenLedgers, ledgerDir, readLedger } from '../../src/throughput/ledger.js'

export default class ThroughputRestore extends DynxCommand<typeof ThroughputRestore> {
  static override summary = 'Put back the capacity a `throughput bump` raised, from its ledger.'
  static override description = `Sets every table and GSI in the ledger back to its original value (provisioned capacity,
auto-scaling minimum and maximum, on-demand maximum) and marks the ledger restored. Values
already back are left alone, and a restored ledger is a no-op, so it is safe to run twice.
Without --endpoint/--region/--profile/--local, it connects where the bump did (the ledger
records it; with --local it starts the embedded engine).

Each table is retried through 5xx, throttling, resets, too many concurrent table updates and a
table still UPDATING for --restore-timeout (default 15m). If DynamoDB refuses a decrease (its
quota: 4 per UTC day at any time, plus one more after each hour without a decrease), that stops
at once: the rest is restored, the ledger stays open and the error says when running this again
will succeed.

Exit codes: 0 restored (or already), 1 failed or refused by DynamoDB, 2 bad input.`
  static override examples = [
    '<%= config.bin %> throughput restore --ledger ~/.dynx/ledgers/20261121T134501Z-users-1a2b3c.json',
    '<%= config.bin %> throughput restore users   # the newest open ledger that changed users',
    '<%= config.bin %> --prefix staging_ throughput restore users --region eu-west-1',
  ]
  static override args = {
    table: Args.string({ description: 'Restore the newest open ledger that changed this table (the global --prefix is prepended).', ignoreStdin: true }),
  }
  static override flags = {
    ledger: Flags.string({ summary: 'The ledger file `dynx throughput bump` wrote.' }),
    'wait-timeout': Flags.integer({ summary: 'Seconds to wait for each table and its GSIs to be ACTIVE after an update (default 1800).', min: 1 }),
    'restore-timeout': restoreTimeoutFlag(),
  }

  public async run(): Promise<RestoreResult & { restoredAt?: string }> {
    const restoreTimeout = restoreTimeoutMs(this.flags['restore-timeout'])
    const path = await this.ledgerPath()
    const ledger = await readLedger(path)
    const conn = await this.connect(this.connectionFlagsGiven() ? this.connectionFlags() : ledger.connection)
    const timeout = this.flags['wait-timeout']
    const result = await restoreThroughput(conn, path, {
      waitTimeoutMs: timeout && timeout * 1000,
      restoreTimeoutMs: restoreTimeout,
      onProgress: (p) => this.progress.update(throughputProgressText(p)),
    })
    this.progress.stop()
    const restoredAt = result.alreadyRestored ? ledger.restoredAt : undefined
    if (!this.jsonEnabled()) this.log(renderRestoreResult(result, restoredAt))
    return { ...result, ...(restoredAt ? { restoredAt } : {}) }
  }

  private async ledgerPath(): Promise<string> {
    const { ledger } = this.flags
    const { table } = this.args
    if (ledger && table) throw new UserInputError('Give either TABLE or --ledger FILE, not both.', 'A ledger names its own tables.')
    if (ledger) return ledger
    if (!table)
      throw new UserInputError(
        'Which ledger? Give --ledger FILE or a TABLE.',
        '`dynx throughput bump` prints the ledger it writes; TABLE picks the newest open ledger that changed it.',
      )
    const name = this.table(table)
    const [newest] = await findOpenLedgers(name)
    if (!newest)
      throw new UserInputError(
        `No open ledger for ${name} in ${ledgerDir()}.`,
        'Nothing dynx raised on that table is waiting to be restored; pass --ledger FILE for a ledger kept elsewhere.',
      )
    return newest.path
  }
}
