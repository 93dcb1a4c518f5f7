import { setFlagsFromString } from 'node:v8'

// A process-wide mark (not module state: bin/run.js and a bundled command each hold a copy of this module).
const APPLIED = Symbol.for('dynx.keepHeapSmall')

/**
 * Keeps V8's heap close to what a command really holds, in this process. On a machine with plenty
 * of RAM V8 grows the young generation's semi-spaces to tens of MB and lets the old generation
 * grow by up to 4x between collections, so garbage from every scanned page piles up: a plain SDK
 * scan loop (bench/raw-scan-child.js) peaks near 390 MB RSS at 16 segments, for about 50 MB in use.
 * Heap-size flags (`--max-semi-space-size`) no longer change once V8 runs, but these two are read
 * each time V8 sizes a space, so they are set here with no second process:
 * `--semi-space-growth-factor=1` keeps the young generation at its starting size, and
 * `--heap-growing-percent=25` lets the old generation grow by a quarter between full collections.
 * Measured on a 100k-item scan to a file: about 170-180 MB peak RSS instead of 220-270 MB, at the
 * same speed within the (large) noise. A user's own heap flags (argv or NODE_OPTIONS) are left alone.
 */
export function keepHeapSmall(execArgv: string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): boolean {
  // V8 takes `_` and `-` alike in flag names (--max_old_space_size is --max-old-space-size).
  const flags = `${execArgv.join(' ')} ${env.NODE_OPTIONS ?? ''}`.replaceAll('_', '-')
  if (/--(max|min)-semi-space-size|--semi-space-growth-factor|--max-old-space-size|--max-heap-size|--heap-growing-percent/.test(flags)) return false
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--heap-growing-percent=25')
  ;(globalThis as Record<symbol, unknown>)[APPLIED] = true
  return true
}

/**
 * For a job whose CPU is the limit (`load` parses and marshals every line while the writers wait
 * on it): V8's own young-generation growth again (factor 2), where keepHeapSmall had held it at its
 * starting size. Measured on a 50k-line load: about a quarter less CPU (fewer scavenges), for a
 * peak RSS near the raw SDK loader's instead of half of it. Not where the user set heap flags.
 */
export function growYoungGeneration(): void {
  if ((globalThis as Record<symbol, unknown>)[APPLIED]) setFlagsFromString('--semi-space-growth-factor=2')
}
