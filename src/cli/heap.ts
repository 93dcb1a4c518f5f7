import { setFlagsFromString } from 'node:v8'

/**
 * Keeps V8's young generation at its starting size, in this process. On a machine with plenty of
 * RAM V8 grows the young generation's semi-spaces up to tens of MB and lets garbage from every
 * scanned page pile up: a plain SDK scan loop (bench/raw-scan-child.js) peaks near 400 MB RSS at
 * 16 segments. Memory in use stays bounded by a command's concurrency either way; this only makes
 * V8 collect sooner. `--max-semi-space-size` can no longer change once V8 runs, but
 * `--semi-space-growth-factor` is read each time the young generation would grow, so it can be
 * set here with no second process. A user's own young-generation or heap-size flags (argv or
 * NODE_OPTIONS) are left alone.
 */
export function keepYoungGenerationSmall(execArgv: string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): boolean {
  if (/--(max|min)-semi-space-size|--semi-space-growth-factor|--max-heap-size/.test(`${execArgv.join(' ')} ${env.NODE_OPTIONS ?? ''}`)) return false
  setFlagsFromString('--semi-space-growth-factor=1')
  return true
}
