import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { delimiter, join } from 'node:path'

import { DynxError, UserInputError } from '../errors.js'

/** How a child process ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunningChild {
  readonly pid: number | undefined
  /** Settles when the child has exited; rejects only when it could not be started. */
  readonly exited: Promise<ChildExit>
  /** True until the child has exited. */
  running(): boolean
  /** Sends `signal` to the child if it is still running. */
  kill(signal: NodeJS.Signals): void
}

/**
 * Starts `command` (no shell: arguments reach it exactly as given) with this process's stdin and
 * stderr; its stdout goes to ours, or to our stderr with `stdout: 'stderr'` (so a --json result
 * stays alone on stdout).
 */
export function runChild(command: string[], options: { stdout?: 'inherit' | 'stderr'; env?: NodeJS.ProcessEnv } = {}): RunningChild {
  const [file, ...args] = command
  const child = spawn(file, args, { stdio: ['inherit', options.stdout === 'stderr' ? 2 : 'inherit', 'inherit'], shell: false, ...(options.env ? { env: options.env } : {}) })
  let done = false
  const exited = new Promise<ChildExit>((resolve, reject) => {
    child.once('error', (err) => {
      if (done) return
      done = true
      reject(
        new DynxError(
          `Could not run ${file}: ${(err as NodeJS.ErrnoException).code ?? err.message}.`,
          'Check the command after `--` (it runs without a shell; write `-- sh -c "..."` for pipes or variables).',
          { cause: err },
        ),
      )
    })
    child.once('exit', (code, signal) => {
      done = true
      resolve({ code, signal })
    })
  })
  return {
    pid: child.pid,
    exited,
    running: () => !done,
    kill: (signal) => {
      if (!done) child.kill(signal)
    },
  }
}

/** The exit code a shell would report: the child's own, or 128 + the number of the signal that killed it. */
export function exitCodeOf(exit: ChildExit): number {
  if (exit.signal) return 128 + (osConstants.signals[exit.signal] ?? 0)
  return exit.code ?? 1
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Refuses, before anything is changed, a command that cannot be started: a path that is not an
 * executable file, or a name found nowhere on PATH.
 */
export function checkRunnable(file: string, env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'win32') return // PATHEXT lookups are left to spawn
  const hint = 'Give a program that exists and is executable (it runs without a shell; write `-- sh -c "..."` for pipes or variables).'
  if (file.includes('/')) {
    if (!isExecutableFile(file)) throw new UserInputError(`Cannot run ${file}: it is not an executable file.`, hint)
    return
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean)
  if (!dirs.some((dir) => isExecutableFile(join(dir, file)))) throw new UserInputError(`Cannot run ${file}: not found on PATH.`, hint)
}
