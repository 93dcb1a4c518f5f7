import type { Ora } from 'ora'

/**
 * Progress on stderr: a spinner on a terminal, plain lines otherwise (so CI logs stay readable),
 * nothing at all under --json.
 */
export interface Progress {
  start(text: string): void
  update(text: string): void
  succeed(text: string): void
  fail(text?: string): void
  warn(text: string): void
  info(text: string): void
  stop(): void
}

const HEARTBEAT_MS = 30_000

export function createProgress(options: { quiet: boolean; verbose?: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = options.stream ?? process.stderr
  if (options.quiet) {
    const noop = () => {}
    return { start: noop, update: noop, succeed: noop, fail: noop, warn: noop, info: noop, stop: noop }
  }
  // A terminal that reports no width (some CI pseudo-terminals) would make the spinner clear lines forever.
  if (stream.isTTY && (stream.columns ?? 0) > 0) {
    // ora is loaded when a spinner is first shown, in the background; until it is there, the
    // spinner's text waits and final lines are written plainly.
    let spinner: Ora | undefined
    let waiting: string | undefined
    let loading: Promise<void> | undefined
    const spin = (text: string) => {
      if (spinner) return void spinner.start(text)
      waiting = text
      loading ??= import('ora').then(({ default: ora }) => {
        spinner = ora({ stream })
        if (waiting !== undefined) spinner.start(waiting)
      })
    }
    const final = (symbol: 'succeed' | 'warn' | 'info', text: string) => {
      waiting = undefined
      if (spinner) spinner[symbol](text)
      else stream.write(`${text}\n`)
    }
    return {
      start: spin,
      update: (text) => {
        if (spinner?.isSpinning) spinner.text = text
        else spin(text)
      },
      succeed: (text) => final('succeed', text),
      fail: (text) => {
        if (spinner?.isSpinning) spinner.fail(text ? text : `${spinner.text} failed`)
        else if (waiting !== undefined) stream.write(`${text ? text : `${waiting} failed`}\n`)
        waiting = undefined
      },
      warn: (text) => final('warn', `${spinner ? '' : 'warning: '}${text}`),
      info: (text) => final('info', text),
      stop: () => {
        waiting = undefined
        spinner?.stop()
      },
    }
  }
  let last = ''
  let lastAt = Date.now()
  const line = (text: string, force = false) => {
    if (force || text !== last) stream.write(`${text}\n`)
    last = text
    lastAt = Date.now()
  }
  return {
    start: line,
    update: (text) => {
      // Quiet by default, but never silent for long: CI runners kill jobs that print nothing.
      if (options.verbose) line(text)
      else if (Date.now() - lastAt > HEARTBEAT_MS) line(text, true)
    },
    succeed: line,
    fail: (text) => {
      if (text) line(text)
    },
    warn: (text) => line(`warning: ${text}`),
    info: line,
    stop: () => {},
  }
}
