// The raw copy floor as its own process, for its peak RSS next to the CLI's (TARGET must exist):
// node --import ./bench/report-rss.js bench/raw-copy-child.js ENDPOINT SOURCE TARGET SEGMENTS
// Prints {"items":N,"seconds":S} on stdout.
import { createConnection } from '../dist/src/index.js'
import { BENCH_CREDENTIALS } from './credentials.js'
import { rawCopy } from './raw-copy.js'

const [endpoint, source, target, segments] = process.argv.slice(2)
if (!endpoint || !source || !target || !(Number(segments) >= 1)) throw new Error('usage: raw-copy-child.js ENDPOINT SOURCE TARGET SEGMENTS')
const conn = createConnection({ endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS })
try {
  const started = performance.now()
  const items = await rawCopy(conn.dynamodb, source, target, Number(segments))
  process.stdout.write(`${JSON.stringify({ items, seconds: (performance.now() - started) / 1000 })}\n`)
} finally {
  conn.destroy()
}
