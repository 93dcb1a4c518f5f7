import { execFile } from 'node:child_process'
import { join } from 'node:path'

import { BIN, REPO } from '../helpers.js'

/** The byte a terminal sends when Ctrl-C is typed (and Ctrl-D, end of input). */
export const CTRL_C = '\x03'
export const CTRL_D = '\x04'

/**
 * One thing the person at the terminal does: wait for output (a Python regex, matched against the
 * output without escape sequences and carriage returns) or a file, wait, or type.
 */
export type PtyStep = { waitFor: string; timeoutMs?: number } | { waitForFile: string; timeoutMs?: number } | { sleepMs: number } | { write: string }

export interface PtyResult {
  /** Everything the terminal showed (stdout and stderr together), escape sequences included. */
  output: string
  /** The output without escape sequences and carriage returns. */
  text: string
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  /** The index of a wait step that was never satisfied. */
  failedStep: number | null
  /** Where the output stood (in bytes), and when (ms from the start), as each write was typed. */
  marks: Array<{ offset: number; ms: number }>
  /** When the command was seen to exit (ms from the start). */
  exitMs: number | null
}

const HELPER = join(REPO, 'test', 'pty', 'run-in-pty.py')

export function plainText(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '')
}

/**
 * Runs `dynx ARGS` (the built bin/run.js) on a pseudo-terminal of the given width, as its
 * controlling terminal, and plays `steps` as a person would (typing Ctrl-C is writing CTRL_C).
 */
export function runInPty(
  args: string[],
  options: { steps: PtyStep[]; env?: Record<string, string | undefined>; columns?: number; rows?: number; timeoutMs?: number; cwd?: string },
): Promise<PtyResult> {
  const timeoutMs = options.timeoutMs ?? 90_000
  const spec = {
    argv: [process.execPath, BIN, ...args],
    cwd: options.cwd ?? REPO,
    env: Object.fromEntries(
      Object.entries({
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TERM: 'xterm-256color',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'us-east-1',
        ...options.env,
      }).filter((e): e is [string, string] => e[1] !== undefined),
    ),
    columns: options.columns ?? 120,
    rows: options.rows ?? 40,
    steps: options.steps,
    timeoutMs,
  }
  return new Promise((resolve, reject) => {
    const child = execFile('python3', [HELPER], { timeout: timeoutMs + 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`run-in-pty failed: ${err.message}\n${stderr}`))
      const result = JSON.parse(stdout) as Omit<PtyResult, 'text'>
      resolve({ ...result, text: plainText(result.output) })
    })
    child.stdin!.end(JSON.stringify(spec))
  })
}

/** What the terminal showed after the first keystroke was typed. */
export function afterTyping(r: PtyResult, index = 0): string {
  // Offsets count bytes of the output (valid UTF-8, so encoding it again gives the same bytes).
  const bytes = Buffer.from(r.output, 'utf8')
  return plainText(bytes.subarray(r.marks[index]?.offset ?? bytes.length).toString('utf8'))
}
