import * as Args from '@oclif/core/args'

import { DynxCommand } from '../../src/cli/base.js'
import { checkRunnable } from '../../src/cli/run-child.js'
import { bumpFlags, bumpPlanFromFlags, restoreTimeoutMs, splitAtDashDash } from '../../src/cli/throughput-flags.js'
import { BumpedCommand, type CommandOutcome } from '../../src/cli/throughput-job.js'
import { renderBumpResult, renderRestoreResult, throughputProgressText } from '../../src/cli/throughput-render.js'
import type { Outcome } from '../../src/outcome.js'
import { bumpThroughput, restoreThroughput, withThroughput, type BumpResult, type RestoreResult } from '../../src/throughput/bump.js'
import { defaultLedgerPath, restoreCommand } from '../../src/throughput/ledger.js'
import type { ThroughputProgress } from '../../src/throughput/types.js'

export default class ThroughputBump extends DynxCommand<typeof ThroughputBump> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Raise read/write capacity of tables and GSIs, for good or only while a command runs.'
  static override description = `Only raises (a value already at or above the one asked for is left alone), on the mechanism the
table uses: provisioned capacity, the auto-scaling minimum (and maximum when below it), or the
on-demand maximum. The original values go to a ledger file (fsync'd) before anything changes.

With \`-- COMMAND ARGS...\` the command runs (no shell) while capacity is raised, and capacity is put
back when it exits, fails or is interrupted; dynx then exits with the command's exit code.
Without a command, capacity stays raised and the restore command is printed.

Putting capacity back keeps trying each table through 5xx, throttling, resets, too many
concurrent table updates and a table still UPDATING, for --restore-timeout (default 15m); only
DynamoDB's decrease quota stops it sooner. If it still fails, the ledger stays open and the error
gives the restore command.

Exit codes: the command's exit code (128+N when killed by signal N), else 0; 1 failed or the
restore was refused or failed; 2 bad input (nothing changed); 130 interrupted (after restoring).`
  static override examples = [
    '<%= config.bin %> throughput bump users --read 500 --write 200 --all-indexes -- npm run migrate',
    '<%= config.bin %> throughput bump users --index byEmail --index byName --index-read 100 --index-read 50',
    '<%= config.bin %> throughput bump --plan capacity.yaml -- ./backfill.sh',
  ]
  static override usage = [
    'throughput bump TABLE... [--read N] [--write N] [--index NAME --index-read N --index-write N]... [--all-indexes] [-- COMMAND ARGS...]',
    'throughput bump --plan FILE [-- COMMAND ARGS...]',
  ]
  static override strict = false
  static override args = { table: Args.string({ description: 'Tables to raise (several allowed; the global --prefix is prepended).', ignoreStdin: true }) }
  static override flags = bumpFlags
  private job?: BumpedCommand

  /** With a command, `exitCode` is its exit code, passed on as dynx's own. */
  public async run(): Promise<{ bump: BumpResult; command?: CommandOutcome; restore?: RestoreResult; interrupted?: string; outcome: Outcome; exitCode?: number }> {
    const f = this.flags
    const { args, command } = splitAtDashDash(this.argv, this.positionals)
    const plan = await bumpPlanFromFlags(f, args, f.prefix)
    const restoreTimeout = restoreTimeoutMs(f['restore-timeout'])
    if (command && !f['dry-run']) checkRunnable(command[0])
    const conn = await this.connect()
    const ledger = f.ledger ?? defaultLedgerPath(plan.map((p) => p.table))
    const connection = this.recordedConnection()
    const job = (this.job = new BumpedCommand(command, ledger, restoreCommand(ledger, connection)))
    const signal = this.interruptSignal() // from here on a signal (with --local too) waits for the restore
    const onProgress = (p: ThroughputProgress) => this.progress.update(throughputProgressText(p))
    const options = {
      ledger,
      connection,
      command,
      allowStuck: f['allow-stuck'],
      dryRun: f['dry-run'],
      waitTimeoutMs: f['wait-timeout'] && f['wait-timeout'] * 1000,
      restoreTimeoutMs: restoreTimeout,
      onProgress,
    }
    const say = (text: string) => !this.jsonEnabled() && (command ? process.stderr.write(`${text}\n`) : this.log(text))

    if (!command || f['dry-run']) {
      const bump = await bumpThroughput(conn, plan, options)
      this.progress.stop()
      say(renderBumpResult(bump) + (command ? `\nWould run: ${command.join(' ')}` : ''))
      // Interrupted while raising: the raise is undone rather than left half-wanted.
      const restore = signal.aborted && bump.ledger ? await restoreThroughput(conn, bump.ledger, options) : undefined
      if (restore) say(renderRestoreResult(restore))
      job.phase = 'done'
      return { bump, ...(restore ? { restore, interrupted: String(signal.reason) } : {}), outcome: signal.aborted ? 'interrupted' : 'ok' }
    }
    const { bump, result, restore } = await withThroughput(
      conn,
      plan,
      async (b) => {
        this.progress.stop()
        say(renderBumpResult(b))
        return job.run(signal, this.jsonEnabled() ? 'stderr' : 'inherit', this.localEngineEnv())
      },
      options,
    )
    job.phase = 'done'
    this.progress.stop()
    if (result && result.exitCode !== 0) say(`${job.name} ${result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`}.`)
    if (restore) say(renderRestoreResult(restore))
    return {
      bump,
      ...(result ? { command: result } : {}),
      ...(restore ? { restore } : {}),
      ...(signal.aborted ? { interrupted: String(signal.reason), outcome: 'interrupted' as const } : { outcome: 'ok' as const, exitCode: result?.exitCode ?? 0 }),
    }
  }

  protected override interruptMessage(signal: NodeJS.Signals): string {
    return this.job?.interruptMessage(signal) ?? super.interruptMessage(signal)
  }

  protected override passOnSignal(signal: NodeJS.Signals): boolean {
    return this.job?.passOn(signal) ?? false
  }

  protected override beforeForcedExit(): void {
    const words = this.job?.lastWords()
    if (words) process.stderr.write(words)
  }
}
