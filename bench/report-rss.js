// Preload (node --import) that reports the process's peak resident set size when it exits:
// written to the file named by BENCH_RSS_FILE, or else as a line "BENCH_MAX_RSS_KB=<n>" on stderr.
import { writeFileSync } from 'node:fs'

process.on('exit', () => {
  const kb = process.resourceUsage().maxRSS
  if (process.env.BENCH_RSS_FILE) writeFileSync(process.env.BENCH_RSS_FILE, `${kb}\n`)
  else process.stderr.write(`BENCH_MAX_RSS_KB=${kb}\n`)
})
