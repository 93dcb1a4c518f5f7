import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import { isatty } from 'node:tty'

import { exitCodeOf, runChild, type RunningChild } from './run-child.js'

/** How the command run under a bump ended: the exit code a shell would report, and the signal that killed it. */
export interface CommandOutcome {
  exitCode: number
  signal?: NodeJS.Signals
}

/**
 * The command run while capacity is raised (`dynx throughput bump ... -- COMMAND`): it is started
 * unless a signal came first, signals reach it before anything else happens, and if dynx is made
 * to quit before restoring, the user is told how to restore by hand.
 */
export class BumpedCommand {
  phase: 'raising' | 'running' | 'restoring' | 'done' = 'raising'
  private child?: RunningChild

  constructor(
    readonly command: string[] | undefined,
    private readonly ledger: string,
    private readonly restoreCommand: string,
  ) {}

  get name(): string {
    return this.command ? basename(this.command[0]) : 'the command'
  }

  /** Runs the command (not when `signal` has already fired) and waits for it to exit. */
  async run(signal: AbortSignal, stdout: 'inherit' | 'stderr', env?: NodeJS.ProcessEnv): Promise<CommandOutcome | undefined> {
    this.phase = 'running'
    try {
      if (!this.command || signal.aborted) return undefined
      this.child = runChild(this.command, { stdout, ...(env ? { env } : {}) })
      const exit = await this.child.exited
      return { exitCode: exitCodeOf(exit), ...(exit.signal ? { signal: exit.signal } : {}) }
    } finally {
      this.phase = 'restoring'
    }
  }

  /** Passes a signal on to the running command; false when there is none to wait for. */
  passOn(signal: NodeJS.Signals): boolean {
    if (this.phase !== 'running' || !this.child?.running()) return false
    // A terminal's Ctrl-C already reached the whole foreground process group, the command included.
    if (!(signal === 'SIGINT' && isatty(0))) this.child.kill(signal)
    return true
  }

  interruptMessage(signal: NodeJS.Signals): string {
    if (this.phase === 'running' && this.child?.running()) return `Got ${signal}: waiting for ${this.name} to exit, then restoring capacity.`
    const what = this.phase === 'raising' ? 'the update in hand is done and capacity is put back' : 'capacity is restored'
    return `Got ${signal}: stopping once ${what} (press Ctrl-C again to quit at once and restore by hand).`
  }

  /** Printed before a repeated signal makes dynx quit at once. */
  lastWords(): string | undefined {
    if (this.phase === 'done' || !existsSync(this.ledger)) return undefined
    return `Capacity may still be raised. Put it back with:\n  ${this.restoreCommand}\n`
  }
}
