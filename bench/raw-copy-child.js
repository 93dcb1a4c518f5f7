// The raw copy floor as its own process, for its peak RSS next to the CLI's (TARGET must exist):
// node bench/raw-copy-child.js ENDPOINT SOURCE TARGET SEGMENTS (a plain node, no heap flags; run.js samples its RSS)
// Prints {"items":N,"seconds":S} on stdout.
import { createConnection } from '../dist/src/index.js'
import { BENCH_CREDENTIALS } from './credentials.js'
import { rawCopy } from './raw-copy.js'

const [endpoint, source, target, segments] = process.argv.slice(2)
if (!endpoint || !source || !target || !(Number(segments) >= 1)) throw new Error('usage: raw-copy-child.js ENDPOINT SOURCE TARGET SEGMENTS')
// A 60 s request timeout, as the CLI runs are given (--timeout 60): a loaded machine can stall dynalite on disk.
const conn = createConnection({ endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS, requestTimeoutMs: 60_000 })
try {
  const started = performance.now()
  const items = await rawCopy(conn.dynamodb, source, target, Number(segments))
  process.stdout.write(`${JSON.stringify({ items, seconds: (performance.now() - started) / 1000 })}\n`)
} finally {
  conn.destroy()
}
