import { ExitCode, InterruptedError } from '../errors.js'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * How long a repeat of the first signal is taken for a copy of it rather than a second Ctrl-C: a
 * terminal's Ctrl-C reaches every process of the foreground group, and a wrapper in that group
 * (`npx dynx`, `npm exec`) passes the same one on to dynx a moment later.
 */
const SAME_SIGNAL_MS = 500
/** How long exiting at once waits for the --local store to close before it exits anyway. */
const FORCED_EXIT_MS = 2_000

/** What the command running the handlers lends them. */
export interface InterruptHooks {
  /** Stops spinners before a message is written. */
  stopProgress(): void
  /** What the first signal prints (once the command asked for a stop signal). */
  message(signal: NodeJS.Signals): string
  /**
   * Called for every signal once the command asked for a stop signal, e.g. to pass it on to a
   * child process. True keeps a repeated signal from exiting at once.
   */
  passOn(signal: NodeJS.Signals, first: boolean): boolean
  /** Last words before exiting at once, e.g. how to finish by hand. */
  beforeForcedExit(): void
  /** An open --local store, flushed and unlocked before exiting at once. */
  openStore(): { close(): Promise<void> } | undefined
}

/**
 * Ctrl-C, SIGTERM and SIGHUP for one command run. Until the command asks for a stop signal, a
 * signal exits at once (closing the --local store first); afterwards the first signal aborts it so
 * the command stops cleanly (flush, save a checkpoint, restore capacity) and a second one exits at
 * once. Ctrl-C typed on a terminal arrives here as SIGINT because progress spinners leave the
 * terminal in its normal (cooked) mode, where the terminal sends SIGINT to the whole foreground
 * process group; prompts read Ctrl-C themselves and end with {@link interruptedAtPrompt}.
 */
export class Interrupts {
  private controller?: AbortController
  private installed = false
  /** When exiting at once began (closing the store). */
  private exitingAt?: number
  private remove = () => {}

  constructor(private readonly hooks: InterruptHooks) {}

  /** The stop signal (its reason is the signal's name); from now on the first signal only aborts it. */
  signal(): AbortSignal {
    this.controller ??= new AbortController()
    this.install()
    return this.controller.signal
  }

  /** Whether a signal has asked the command to stop. */
  get interrupted(): boolean {
    return this.controller?.signal.aborted ?? false
  }

  /** Listens for the signals (once); a signal then exits at once until signal() is asked for. */
  install(): void {
    if (this.installed) return
    this.installed = true
    let firstAt = 0
    const onSignal = (signal: NodeJS.Signals) => {
      const stop = this.controller
      if (stop?.signal.aborted && performance.now() - firstAt < SAME_SIGNAL_MS) return
      firstAt = performance.now()
      if (stop && !stop.signal.aborted) {
        this.say(this.hooks.message(signal))
        stop.abort(signal)
        this.hooks.passOn(signal, true)
        return
      }
      if (stop && this.hooks.passOn(signal, false)) return
      this.exitNow()
    }
    for (const signal of SIGNALS) process.on(signal, onSignal)
    this.remove = () => {
      for (const signal of SIGNALS) process.off(signal, onSignal)
    }
  }

  /** Stops listening (the command has finished). */
  uninstall(): void {
    this.remove()
    this.remove = () => {}
    this.installed = false
  }

  private exitNow(): void {
    const exit = () => process.exit(ExitCode.interrupted)
    // A store whose close never settles must not hold the process: a repeated signal exits at once
    // (a wrapper's copy of the first one excepted, which would skip the store's flush).
    if (this.exitingAt !== undefined) {
      if (performance.now() - this.exitingAt >= SAME_SIGNAL_MS) exit()
      return
    }
    this.exitingAt = performance.now()
    this.hooks.stopProgress()
    try {
      this.hooks.beforeForcedExit()
    } catch {
      // Exiting anyway.
    }
    const store = this.hooks.openStore()
    this.say(store ? 'Interrupted; closing the local store.' : 'Interrupted.')
    // Nor past a few seconds without one.
    if (store) setTimeout(exit, FORCED_EXIT_MS)
    void (store?.close() ?? Promise.resolve()).then(exit, exit)
  }

  /** A line of its own on stderr, even when a spinner (this command's or another's) was drawing one. */
  private say(text: string): void {
    this.hooks.stopProgress()
    process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${text}\n`)
  }
}

/** Whether an error is a prompt's way of saying Ctrl-C (or Ctrl-D) was typed at it. */
export function isPromptInterrupt(err: unknown): boolean {
  const name = (err as Error | undefined)?.name
  // readline/promises: AbortError; @inquirer: ExitPromptError (Ctrl-C) and AbortPromptError.
  return name === 'AbortError' || name === 'ExitPromptError' || name === 'AbortPromptError'
}

/** Ctrl-C at a confirmation: exit 130 with one line saying nothing was done. */
export function interruptedAtPrompt(): InterruptedError {
  return new InterruptedError('Interrupted at the prompt; nothing was changed.')
}
