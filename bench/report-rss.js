// Preload (node --import) that reports the process's peak resident set size when it exits:
// written to the file named by BENCH_RSS_FILE, or else as a line "BENCH_MAX_RSS_KB=<n>" on stderr.
// `dynx scan` relaunches itself in a child with a tighter heap (src/cli/relaunch.ts) and passes
// this preload on, so launcher and child both report; the file keeps the larger of the two.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

process.on('exit', () => {
  const kb = process.resourceUsage().maxRSS
  const file = process.env.BENCH_RSS_FILE
  if (!file) {
    process.stderr.write(`BENCH_MAX_RSS_KB=${kb}\n`)
    return
  }
  const before = existsSync(file) ? Number(readFileSync(file, 'utf8')) || 0 : 0
  writeFileSync(file, `${Math.max(before, kb)}\n`)
})
