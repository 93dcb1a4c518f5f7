import ora, { type Ora } from 'ora'

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
    let spinner: Ora | undefined
    // discardStdin off: ora's puts the terminal in raw mode, where a typed Ctrl-C is only a byte (and
    // it never read that byte from a stdin no one had resumed), so Ctrl-C did nothing. In the normal
    // mode the terminal itself sends SIGINT to the whole foreground process group.
    const spin = () => (spinner ??= ora({ stream, discardStdin: false }))
    return {
      start: (text) => void spin().start(text),
      update: (text) => {
        if (!spinner?.isSpinning) spin().start(text)
        else spinner.text = text
      },
      succeed: (text) => void spin().succeed(text),
      fail: (text) => {
        if (spinner?.isSpinning) spinner.fail(text ? text : `${spinner.text} failed`)
      },
      warn: (text) => void spin().warn(text),
      info: (text) => void spin().info(text),
      stop: () => void spinner?.stop(),
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
