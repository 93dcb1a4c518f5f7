import * as Flags from '@oclif/core/flags'
import type { Ora } from 'ora'

/**
 * The one progress display of every command, on stderr (results go to stdout):
 * - on a terminal, a spinner with the job's status line;
 * - otherwise nothing but what the command says (start, info, warnings), and the status line once
 *   every 30 s while a long job runs (CI runners kill jobs that print nothing);
 * - with `--progress` (or `--verbose`), plain status lines even when stderr is not a terminal, at
 *   most one a second and one at each stage change; `--progress` shows them under `--json` too;
 * - under `--json` without `--progress`, nothing.
 *
 * A long job names its stages (plan, create, bump, copy, verify, restore, scan...) with stage(),
 * and reports within a stage with update(); parts of a job that run at once (the tables of a copy)
 * each have a key, and the status line shows them side by side.
 */
export interface Progress {
  /** How it shows: 'off' (--json), 'spinner' (a terminal), 'lines' (--progress, --verbose), 'heartbeat' (no terminal). */
  readonly mode: ProgressMode
  /** A named stage of the job (or of its part `key`) begins, with its first status; with --progress a line says so at once. */
  stage(name: Stage, text?: string, key?: string): void
  /** The status of the current stage (of part `key`); shown at a bounded rate. */
  update(text: string, key?: string): void
  /** A status line shown at once (a short job's only step). */
  start(text: string): void
  succeed(text: string): void
  fail(text?: string): void
  warn(text: string): void
  info(text: string): void
  /** Stops the spinner and forgets the status line (before a prompt, a result, or the end). */
  stop(): void
}

export type ProgressMode = 'off' | 'spinner' | 'lines' | 'heartbeat'

/** The stages long jobs name; a later command may add its own. */
export type Stage = 'plan' | 'create' | 'bump' | 'copy' | 'verify' | 'diff' | 'restore' | 'scan' | 'count' | 'wait' | (string & {})

export interface ProgressOptions {
  /** Under --json: nothing is shown unless `forced`. */
  quiet: boolean
  /** --progress: plain lines even when stderr is not a terminal, and under --json. */
  forced?: boolean
  /** --verbose: plain lines when stderr is not a terminal. */
  verbose?: boolean
  stream?: NodeJS.WriteStream
  /** The clock, in ms (tests pass their own). */
  now?: () => number
}

/** --progress, meaning the same on every command that has it. */
export const progressFlag = (helpGroup?: string) =>
  Flags.boolean({ summary: 'Show progress on stderr even when it is not a terminal (or under --json).', ...(helpGroup ? { helpGroup } : {}) })

/** Plain status lines come at most this often (a stage change shows at once). */
export const LINE_INTERVAL_MS = 1000
/** Without a terminal or --progress, the status line is repeated this often during long jobs. */
export const HEARTBEAT_MS = 30_000

export function progressMode(options: Pick<ProgressOptions, 'quiet' | 'forced' | 'verbose' | 'stream'>): ProgressMode {
  const stream = options.stream ?? process.stderr
  if (options.quiet && !options.forced) return 'off'
  // A terminal that reports no width (some CI pseudo-terminals) would make the spinner clear lines forever.
  if (stream.isTTY && (stream.columns ?? 0) > 0) return 'spinner'
  return options.forced || (options.verbose && !options.quiet) ? 'lines' : 'heartbeat'
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr
  const now = options.now ?? (() => performance.now())
  const mode = progressMode(options)
  if (mode === 'off') {
    const noop = () => {}
    return { mode, stage: noop, update: noop, start: noop, succeed: noop, fail: noop, warn: noop, info: noop, stop: noop }
  }

  // The status line: one part per key, each "[stage] text".
  const parts = new Map<string, { stage?: string; text?: string }>()
  const statusLine = () =>
    [...parts.values()]
      .map((p) => (p.stage ? `[${p.stage}]${p.text ? ` ${p.text}` : ''}` : (p.text ?? '')))
      .filter(Boolean)
      .join(' | ')

  if (mode === 'spinner') {
    let spinner: Ora | undefined
    // discardStdin off: ora's puts the terminal in raw mode, where a typed Ctrl-C is only a byte (and
    // it never read that byte from a stdin no one had resumed), so Ctrl-C did nothing. In the normal
    // mode the terminal itself sends SIGINT to the whole foreground process group.
    // ora is loaded when a spinner is first shown, in the background; until it is there, the
    // spinner's text waits and final lines are written plainly.
    let waiting: string | undefined
    let loading: Promise<void> | undefined
    const spin = (text: string) => {
      if (spinner) return void spinner.start(text)
      waiting = text
      loading ??= import('ora').then(({ default: ora }) => {
        spinner = ora({ stream, discardStdin: false })
        if (waiting !== undefined) spinner.start(waiting)
      })
    }
    const show = (text: string) => {
      if (spinner?.isSpinning) spinner.text = text
      else spin(text)
    }
    const final = (symbol: 'succeed' | 'warn' | 'info', text: string) => {
      waiting = undefined
      if (spinner) spinner[symbol](text)
      else stream.write(`${text}\n`)
    }
    return {
      mode,
      stage: (name, text, key = '') => {
        if (parts.get(key)?.stage !== name) parts.set(key, { stage: name })
        if (text !== undefined) parts.set(key, { stage: name, text })
        show(statusLine())
      },
      update: (text, key = '') => {
        parts.set(key, { ...parts.get(key), text })
        show(statusLine())
      },
      start: spin,
      succeed: (text) => final('succeed', text),
      fail: (text) => {
        if (spinner?.isSpinning) spinner.fail(text ? text : `${spinner.text} failed`)
        else if (waiting !== undefined) stream.write(`${text ? text : `${waiting} failed`}\n`)
        waiting = undefined
      },
      warn: (text) => final('warn', `${spinner ? '' : 'warning: '}${text}`),
      info: (text) => final('info', text),
      stop: () => {
        parts.clear()
        waiting = undefined
        spinner?.stop()
      },
    }
  }

  let last = ''
  let lastAt = now()
  const line = (text: string) => {
    stream.write(`${text}\n`)
    last = text
    lastAt = now()
  }
  const say = (text: string) => {
    if (text !== last) line(text)
  }
  /** The status line when it is due: at once on a stage change, else by the mode's rate. */
  const render = (stageChanged: boolean) => {
    const text = statusLine()
    if (!text) return
    if (mode === 'lines') {
      if (stageChanged || (text !== last && now() - lastAt >= LINE_INTERVAL_MS)) line(text)
    } else if (now() - lastAt >= HEARTBEAT_MS) {
      line(text)
    }
  }
  return {
    mode,
    stage: (name, text, key = '') => {
      const changed = parts.get(key)?.stage !== name
      if (changed) parts.set(key, { stage: name })
      if (text !== undefined) parts.set(key, { stage: name, text })
      render(changed)
    },
    update: (text, key = '') => {
      parts.set(key, { ...parts.get(key), text })
      render(false)
    },
    start: say,
    succeed: say,
    fail: (text) => {
      if (text) say(text)
    },
    warn: (text) => say(`warning: ${text}`),
    info: say,
    stop: () => parts.clear(),
  }
}
