import { spawn } from 'node:child_process'

/**
 * Streaming commands run in a child Node with a tighter V8 heap. On a machine with plenty of RAM,
 * V8 sizes its heap from physical memory and lets garbage from every scanned page pile up: a
 * 16-segment scan peaked near 370 MB RSS on a 23 GB machine, and 160 MB at the same speed with
 * these flags. Memory in use stays bounded by the scan's concurrency either way; this only makes
 * V8 collect sooner. A user's own heap flags (argv or NODE_OPTIONS) are left alone.
 */
export const TIGHT_HEAP_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=1024']
const STREAMING_COMMANDS = new Set(['scan', 'copy', 'verify'])
const RELAUNCHED = 'DYNX_RELAUNCHED'
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
/** How long the launcher waits for the child to say it got a signal before passing it on. */
const SIGNAL_ACK_MS = 300

export function shouldRelaunch(args: string[], env: NodeJS.ProcessEnv = process.env, execArgv: string[] = process.execArgv): boolean {
  if (env[RELAUNCHED] || env.DYNX_NO_RELAUNCH) return false
  if (/--max-(old|semi)-space-size|--max-heap-size/.test(`${execArgv.join(' ')} ${env.NODE_OPTIONS ?? ''}`)) return false
  return STREAMING_COMMANDS.has(args[0])
}

/**
 * Runs `script args` in a child with TIGHT_HEAP_FLAGS and mirrors its end: same exit code, or the
 * same signal. A terminal's Ctrl-C reaches both processes; a signal sent to the launcher alone
 * (kill PID, a CI timeout) is passed on unless the child reports it already got it.
 */
export function relaunchWithTightHeap(script: string, args: string[]): void {
  const child = spawn(process.execPath, [...TIGHT_HEAP_FLAGS, ...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED]: '1' },
  })
  const ackedAt = new Map<string, number>()
  child.on('message', (m: { signal?: string }) => {
    if (m?.signal) ackedAt.set(m.signal, performance.now())
  })
  for (const sig of SIGNALS) {
    process.on(sig, () => {
      const at = performance.now()
      setTimeout(() => {
        // An acknowledgement close to this signal (before or after it) means the child got it too.
        const acked = (ackedAt.get(sig) ?? -Infinity) >= at - SIGNAL_ACK_MS
        if (!acked && child.exitCode === null && child.signalCode === null) child.kill(sig)
      }, SIGNAL_ACK_MS).unref()
    })
  }
  child.on('error', (err) => {
    process.stderr.write(`Error: could not start dynx: ${err.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
}

/** In the relaunched child: die with the launcher (e.g. it was SIGKILLed), and let it exit on its own. */
export function followLauncher(): void {
  if (!process.env[RELAUNCHED] || !process.send) return
  process.channel?.unref()
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))
}

/** Tells the launcher a signal arrived here, so it does not send it a second time. */
export function acknowledgeSignal(signal: string): void {
  if (process.env[RELAUNCHED] && process.connected) process.send?.({ signal })
}
