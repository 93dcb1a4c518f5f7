// The raw-SDK floor of a load, as its own process (TABLE must exist, empty):
// node bench/raw-load-child.js ENDPOINT TABLE FILE WRITERS plain|raw
// Reads FILE's lines in 1 MB chunks; each line is JSON.parse'd and, when plain, marshalled by
// @aws-sdk/util-dynamodb with numbers kept exact (JSON.parse's source text into NumberValue, as a
// careful SDK user would: the bench items hold numbers past 2^53); DynamoDB JSON lines go out as
// parsed. Items go out as plain BatchWriteItemCommands of 25, WRITERS calls in flight, unprocessed
// items sent again at once until none is left. No checks, no checkpoint, no dead letters.
// Prints {"items":N,"seconds":S} on stdout (S: first byte read to last write acknowledged).
import { marshall, NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb'
import { createReadStream } from 'node:fs'

import { createConnection } from '../dist/src/index.js'
import { BENCH_CREDENTIALS } from './credentials.js'
import { rawBatchSender } from './raw-batches.js'

const BATCH = 25
const [endpoint, table, file, writersText, encoding] = process.argv.slice(2)
const writers = Number(writersText)
if (!endpoint || !table || !file || !(writers >= 1) || (encoding !== 'plain' && encoding !== 'raw'))
  throw new Error('usage: raw-load-child.js ENDPOINT TABLE FILE WRITERS plain|raw')

const exact = (_key, value, context) => (typeof value === 'number' ? NumberValue.from(context.source) : value)
const toItem = encoding === 'plain' ? (line) => marshall(JSON.parse(line, exact)) : (line) => JSON.parse(line)

// A 60 s request timeout, as the CLI runs are given (--timeout 60): a loaded machine can stall dynalite on disk.
const conn = createConnection({ endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS, requestTimeoutMs: 60_000 })
const client = conn.dynamodb

// At most `writers` chunks in flight; the reader waits for a free slot before it sends the next.
const sender = rawBatchSender(client, table, writers)
const send = (items) => sender.send(items.map((Item) => ({ PutRequest: { Item } })))

try {
  const started = performance.now()
  let items = 0
  let chunk = []
  let rest = ''
  const take = async (line) => {
    if (!line.trim()) return
    chunk.push(toItem(line))
    items++
    if (chunk.length === BATCH) {
      await send(chunk)
      chunk = []
    }
  }
  for await (const text of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    let from = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      await take(rest + text.slice(from, nl))
      rest = ''
      from = nl + 1
    }
    rest += text.slice(from)
  }
  await take(rest)
  if (chunk.length) await send(chunk)
  await sender.drain()
  process.stdout.write(`${JSON.stringify({ items, seconds: (performance.now() - started) / 1000 })}\n`)
} finally {
  conn.destroy()
}
