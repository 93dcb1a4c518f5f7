#!/usr/bin/env node
// npm run bench (a benchmark, not a test): every dynx figure next to a raw-SDK floor measured in
// the same run, with the ratio.
//
//  1. batch write: batchWriteItems vs a plain BatchWriteItem loop (in-process dynalite in memory);
//  2. scan: for each engine (dynalite through `dynx local serve`, and DynamoDB Local, each its own
//     process), seed BENCH_ITEMS items of about 1 KB, then for each segment count the raw floor (a
//     plain ScanCommand loop per segment that only counts items) vs the `dynx scan --format jsonl
//     --output FILE` pipeline (scanToOutput), in this process over the same connection;
//     Then a copy of that table to a fresh target, BENCH_COPY_SEGMENTS segments: the raw floor (a
//     plain ScanCommand loop per segment, each page written as plain BatchWriteItems of 25, no
//     conversion) vs copyTable (`dynx copy`'s engine, default writers), in this process over the
//     same connection; each target is counted (Select COUNT) and dropped after its run;
//  3. start-up, each a whole process as a user runs it (`node bin/run.js ...`), medians of
//     BENCH_STARTUP_RUNS (at least 5), interleaved: `dynx --version` and `dynx tables list
//     --endpoint E`, each next to a plain Node script that imports @aws-sdk/client-dynamodb and
//     lists the tables (bench/raw-list-tables.js);
//  4. peak RSS of the WHOLE process tree (the process and all its descendants, summed, sampled
//     from /proc by tree-rss.js), dynalite on disk, each run its own process: a scan to a file and
//     `dynx copy` (the real CLI), each next to its raw floor child, of BENCH_ITEMS items and of
//     BENCH_BIG_ITEMS items. BENCH_SKIP_BIG skips everything of BENCH_BIG_ITEMS.
//  5. load: a file of BENCH_ITEMS JSON lines (the bench items, about 1 KB each) written once, as
//     plain JSON exactly as `dynx scan` writes it (numbers exact: some have more digits than a JS
//     number keeps), or as DynamoDB JSON as `dynx scan --raw` writes it (BENCH_LOAD_ENCODING=raw).
//     For each engine (as in 2.), each a whole process timed from spawn to exit, into a fresh empty
//     table created before the run, counted (Select COUNT) and dropped after it: the raw floor
//     child (bench/raw-load-child.js: reads lines, JSON.parse, util-dynamodb's marshall with exact
//     numbers, plain BatchWriteItems of 25 with dynx load's default writers (16) in flight,
//     unprocessed items sent again) vs `dynx load TABLE FILE --endpoint E --yes --json`; one
//     warm-up of each, then BENCH_LOAD_RUNS of each, interleaved (raw dynx dynx raw ...), items/s
//     best and range. Then the peak RSS of the whole process tree of both loading BENCH_ITEMS and
//     BENCH_BIG_ITEMS lines into dynalite on disk (the big file is skipped with BENCH_SKIP_BIG).
//  6. delete: for each engine (as in 2.), each run on a table of its own seeded just before it with
//     BENCH_ITEMS bench items (about 1 KB each; seeded in this process by batchWriteItems, as the
//     scan part seeds, not timed), then emptied by a whole process timed from spawn to exit: the raw
//     floor child (bench/raw-delete-child.js: a keys-only parallel Scan, ProjectionExpression of the
//     key, as many segments as dynx delete's default (4), each page's keys sent as plain
//     BatchWriteItems of 25 DeleteRequests with dynx delete's default writers (16) in flight,
//     unprocessed items sent again) vs `dynx delete TABLE --all --yes --endpoint E --json`. After
//     each run the table is counted (Select COUNT; it must hold 0 items) and dropped. One warm-up of
//     each (BENCH_DELETE_WARMUP=0: none), then BENCH_DELETE_RUNS of each, interleaved (raw dynx dynx
//     raw ...); items/s best and range, CPU time of each process tree.
//
// Results go to stdout, progress to stderr. Shrink it with the environment:
//   BENCH_ITEMS=100000  BENCH_BIG_ITEMS=1000000  BENCH_SEGMENTS=1,4,16  BENCH_COPY_SEGMENTS=8
//   BENCH_ENGINES=dynalite,dynamodb-local (or none)  BENCH_SKIP_BIG=1  BENCH_WRITE_ITEMS=4000
//   BENCH_STARTUP_RUNS=7  BENCH_RSS_COPY=0 (no copy in the peak-RSS part)
//   BENCH_LOAD_RUNS=2 (timed loads of each kind per engine)  BENCH_LOAD_ENCODING=plain (or raw)
//   BENCH_DELETE_RUNS=2 (timed deletes of each kind per engine; each seeds BENCH_ITEMS items first)
//   BENCH_DELETE_WARMUP=1 (0: no untimed warm-up delete of each kind, two seedings fewer per engine)
//   BENCH_ONLY=write,scan,disk,load,delete (the parts to run, default all: write is 1., scan is 2.,
//     disk is 3. and 4., load is 5., delete is 6.; BENCH_ONLY=delete runs the delete part alone)
// and BENCH_COPY_WRITERS=N to time copyTable with writeConcurrency N instead of its default.
import { DeleteTableCommand, DescribeTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, URL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

import { copyTable, createConnection, createTable, DEFAULT_COPY_SEGMENTS, DEFAULT_LOAD_WRITERS, DEFAULT_WRITERS, plainItemJson, scanToOutput } from '../dist/src/index.js'
import { benchBatchWrite } from './batch-write.js'
import { BENCH_CREDENTIALS } from './credentials.js'
import { CLI, ENGINES, REPO, startDynalite, stopChild, track } from './engines.js'
import { benchItem, seedTable } from './items.js'
import { rawCopy } from './raw-copy.js'
import { rawScanCount } from './raw-scan.js'
import { sampleTree } from './tree-rss.js'

const RAW_LIST_TABLES = fileURLToPath(new URL('./raw-list-tables.js', import.meta.url))
const RAW_CHILD = fileURLToPath(new URL('./raw-scan-child.js', import.meta.url))
const RAW_COPY_CHILD = fileURLToPath(new URL('./raw-copy-child.js', import.meta.url))
const RAW_LOAD_CHILD = fileURLToPath(new URL('./raw-load-child.js', import.meta.url))
const RAW_DELETE_CHILD = fileURLToPath(new URL('./raw-delete-child.js', import.meta.url))
const BIG_SEGMENTS = 16
const TARGET_RATIO = 0.85
const TARGET_RSS_MB = 250
const TARGET_COPY_RATIO = 0.9
const TARGET_LOAD_RATIO = 0.9
const TARGET_DELETE_RATIO = 0.9
/** Peak RSS of the big scan or copy at most this many times the BENCH_ITEMS one's. */
const TARGET_RSS_GROWTH = 1.2
/** `dynx --version` no slower than the raw script; `dynx tables list` at most this many times it. */
const TARGET_STARTUP_RATIO = 1
const TARGET_LIST_RATIO = 1.5

// ------------------------------------------------------------------ configuration

function positiveInt(name, fallback) {
  const text = process.env[name]
  if (text === undefined || text === '') return fallback
  const n = Number(text.replace(/_/g, ''))
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, got "${text}"`)
  return n
}

function list(name, fallback) {
  const text = process.env[name]
  return (text === undefined || text === '' ? fallback : text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

const config = {
  items: positiveInt('BENCH_ITEMS', 100_000),
  bigItems: positiveInt('BENCH_BIG_ITEMS', 1_000_000),
  segments: list('BENCH_SEGMENTS', '1,4,16').map((s) => {
    const n = Number(s)
    if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_SEGMENTS: "${s}" is not a segment count`)
    return n
  }),
  engines: list('BENCH_ENGINES', 'dynalite,dynamodb-local').filter((e) => e !== 'none'),
  copySegments: positiveInt('BENCH_COPY_SEGMENTS', 8),
  // Unset: copyTable's default, as `dynx copy` runs without --writers.
  copyWriters: process.env.BENCH_COPY_WRITERS ? positiveInt('BENCH_COPY_WRITERS') : undefined,
  skipBig: process.env.BENCH_SKIP_BIG === '1' || process.env.BENCH_SKIP_BIG === 'true',
  writeItems: positiveInt('BENCH_WRITE_ITEMS', 4000),
  startupRuns: Math.max(5, positiveInt('BENCH_STARTUP_RUNS', 7)),
  rssCopy: process.env.BENCH_RSS_COPY !== '0',
  loadRuns: positiveInt('BENCH_LOAD_RUNS', 2),
  loadEncoding: process.env.BENCH_LOAD_ENCODING || 'plain',
  deleteRuns: positiveInt('BENCH_DELETE_RUNS', 2),
  deleteWarmup: process.env.BENCH_DELETE_WARMUP !== '0',
  only: new Set(list('BENCH_ONLY', 'write,scan,disk,load,delete')),
}
if (config.loadEncoding !== 'plain' && config.loadEncoding !== 'raw') throw new Error(`BENCH_LOAD_ENCODING must be plain or raw, got "${config.loadEncoding}"`)
for (const part of config.only)
  if (!['write', 'scan', 'disk', 'load', 'delete'].includes(part)) throw new Error(`BENCH_ONLY: unknown part "${part}" (known: write, scan, disk, load, delete)`)
for (const e of config.engines) if (!(e in ENGINES)) throw new Error(`BENCH_ENGINES: unknown engine "${e}" (known: ${Object.keys(ENGINES).join(', ')})`)

// ------------------------------------------------------------------ helpers

const t0 = performance.now()
const log = (message) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${message}\n`)
const out = (line = '') => process.stdout.write(`${line}\n`)
const rate = (n) => Math.round(n).toLocaleString('en-US')
const mb = (kb) => kb / 1024

/** Newlines in a file, read in chunks (the output files are up to about a gigabyte). */
async function countLines(file) {
  let lines = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++
  }
  return lines
}

/** Things to undo at the end, last first; run once, also on error or Ctrl-C. */
const cleanups = []
let cleaning
function cleanUp() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const undo = cleanups.pop()
      try {
        await undo()
      } catch (err) {
        log(`clean-up: ${err.message}`)
      }
    }
  })()
  return cleaning
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping the engines and removing temporary files`)
    cleanUp().finally(() => process.exit(130))
  })
}

/** Starts an engine (stopped at the end, also on error) and runs body(engine, conn) with a connection made as dynx makes one. */
async function withEngine(start, body) {
  const engine = await start()
  cleanups.push(engine.stop)
  const conn = createConnection({ endpoint: engine.endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS })
  try {
    return await body(engine, conn)
  } finally {
    conn.destroy()
    await engine.stop()
  }
}

async function seed(conn, engineName, table, count) {
  log(`${engineName}: seeding ${count} items into ${table}`)
  let shown = 0
  const { seconds } = await seedTable(conn, table, count, {
    onProgress: (written) => {
      if (written - shown >= Math.max(50_000, count / 10) || written === count) {
        shown = written
        log(`${engineName}: ${written} of ${count} items written`)
      }
    },
  })
  log(`${engineName}: seeded in ${seconds.toFixed(1)} s`)
  return { engine: engineName, items: count, seconds }
}

// ------------------------------------------------------------------ scan items/s

async function rawScan(conn, table, segments, expected) {
  const started = performance.now()
  const items = await rawScanCount(conn.dynamodb, table, segments)
  const seconds = (performance.now() - started) / 1000
  if (items !== expected) throw new Error(`raw scan, ${segments} segments: counted ${items} of ${expected} items`)
  return items / seconds
}

async function dynxScan(conn, table, segments, expected, file) {
  const started = performance.now()
  const result = await scanToOutput(conn, { table, segments, format: 'jsonl', output: file })
  const seconds = (performance.now() - started) / 1000
  if (!result.complete || result.items !== expected) throw new Error(`dynx scan, ${segments} segments: wrote ${result.items} of ${expected} items (complete: ${result.complete})`)
  const lines = await countLines(file)
  if (lines !== expected) throw new Error(`dynx scan, ${segments} segments: ${file} has ${lines} lines, expected ${expected}`)
  await rm(file, { force: true })
  return expected / seconds
}

// ------------------------------------------------------------------ copy items/s

/** Items in `table`, by a parallel Select COUNT scan. */
async function countItems(conn, table, segments = 8) {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let n = 0
      let startKey
      do {
        const out = await conn.dynamodb.send(new ScanCommand({ TableName: table, Select: 'COUNT', Segment: segment, TotalSegments: segments, ExclusiveStartKey: startKey }))
        n += out.Count ?? 0
        startKey = out.LastEvaluatedKey
      } while (startKey)
      return n
    }),
  )
  return counts.reduce((a, b) => a + b, 0)
}

let targets = 0
const targetName = (kind = 'copy') => `bench_${kind}_${++targets}`

/** A new empty table with the bench tables' key (`id`, a string). */
async function freshTarget(conn, kind) {
  const name = targetName(kind)
  await createTable(conn, { name, hashKey: { name: 'id', type: 'S' } }, { wait: true })
  return name
}

/** Deletes `table` and waits until it is gone, so no deletion runs under the next measured copy. */
async function dropTable(conn, table) {
  try {
    await conn.dynamodb.send(new DeleteTableCommand({ TableName: table }))
  } catch (err) {
    // dynalite on disk can answer a DeleteTable of a big table after the SDK's request timeout;
    // the SDK's retry then finds the table already gone.
    if (err.name !== 'ResourceNotFoundException') throw err
    return
  }
  const deadline = Date.now() + 15 * 60_000
  for (;;) {
    try {
      await conn.dynamodb.send(new DescribeTableCommand({ TableName: table }))
    } catch (err) {
      if (err.name === 'ResourceNotFoundException') return
      throw err
    }
    if (Date.now() > deadline) throw new Error(`${table} still exists 15 minutes after DeleteTable`)
    await sleep(250)
  }
}

/** Checks that `table` holds `expected` items, then drops it. */
async function checkAndDrop(label, conn, table, expected) {
  const count = await countItems(conn, table)
  await dropTable(conn, table)
  if (count !== expected) throw new Error(`${label}: target ${table} holds ${count} items, expected ${expected}`)
}

/** Copies into a fresh target with `copy(target)` (timed), checks the target's count and drops it; returns items/s. */
async function timedCopy(label, conn, expected, copy) {
  const target = await freshTarget(conn)
  const started = performance.now()
  await copy(target)
  const seconds = (performance.now() - started) / 1000
  await checkAndDrop(label, conn, target, expected)
  return expected / seconds
}

function rawCopyRun(conn, source, segments, expected) {
  return timedCopy(`raw copy, ${segments} segments`, conn, expected, async (target) => {
    const written = await rawCopy(conn.dynamodb, source, target, segments)
    if (written !== expected) throw new Error(`raw copy, ${segments} segments: wrote ${written} of ${expected} items`)
  })
}

function dynxCopyRun(conn, source, segments, expected, tmp, stats) {
  const label = `dynx copy, ${segments} segments`
  return timedCopy(label, conn, expected, async (target) => {
    const deadLetter = join(tmp, `${target}.dead-letter.jsonl`)
    const result = await copyTable(conn, source, conn, target, { segments, writeConcurrency: config.copyWriters, checkpoint: false, deadLetter })
    if (!result.complete || result.written !== expected || result.deadLettered) {
      throw new Error(
        `${label}: wrote ${result.written} of ${expected} items (complete: ${result.complete}, dead-lettered: ${result.deadLettered}${result.deadLetterFile ? ` in ${result.deadLetterFile}` : ''})`,
      )
    }
    stats?.push({ retries: result.retries, throttles: result.throttles })
  })
}

async function benchCopy(key, conn, source, tmp, results) {
  const segments = config.copySegments
  const n = config.items
  log(`${key}: copy warm-up (${segments} segments, raw then dynx)`)
  await rawCopyRun(conn, source, segments, n)
  await dynxCopyRun(conn, source, segments, n, tmp)
  log(`${key}: copy of ${n} items, ${segments} segments: raw, dynx, dynx, raw`)
  const stats = []
  const raw = [await rawCopyRun(conn, source, segments, n)]
  const dynx = [await dynxCopyRun(conn, source, segments, n, tmp, stats)]
  dynx.push(await dynxCopyRun(conn, source, segments, n, tmp, stats))
  raw.push(await rawCopyRun(conn, source, segments, n))
  const row = { engine: key, segments, writers: config.copyWriters ?? 'default', raw: Math.max(...raw), dynx: Math.max(...dynx), retries: Math.max(...stats.map((s) => s.retries)) }
  log(
    `${key}: copy: raw ${raw.map(rate).join(' / ')} items/s, dynx ${dynx.map(rate).join(' / ')} items/s (retries ${stats.map((s) => s.retries).join(' / ')}), ratio ${(row.dynx / row.raw).toFixed(2)}`,
  )
  results.copy.push(row)
}

async function benchEngine(key, tmp, results, loadFile) {
  const { label, start } = ENGINES[key]
  log(`${key}: starting ${label}`)
  await withEngine(start, async (engine, conn) => {
    log(`${key}: ready at ${engine.endpoint} (pid ${engine.pid})`)
    if (config.only.has('scan')) await benchScanAndCopy(key, conn, tmp, results)
    if (config.only.has('load')) results.load.push(await benchLoad(key, engine, conn, tmp, loadFile))
    if (config.only.has('delete')) results.delete.push(await benchDelete(key, engine, conn, tmp))
  })
}

async function benchScanAndCopy(key, conn, tmp, results) {
  const table = 'bench_scan'
  results.seeding.push(await seed(conn, key, table, config.items))
  const file = join(tmp, `${key}-scan.jsonl`)

  // Warm-up: one scan of each kind (JIT, sockets, the engine's caches) before anything is timed.
  const most = Math.max(...config.segments)
  log(`${key}: warm-up scans (${most} segments)`)
  await rawScan(conn, table, most, config.items)
  await dynxScan(conn, table, most, config.items, file)

  for (const segments of config.segments) {
    // Each side runs twice, in the order raw, dynx, dynx, raw, and its best run counts: neither
    // side always goes first (or last) after the other has warmed or loaded the engine.
    log(`${key}: ${segments} segments: raw, dynx, dynx, raw`)
    const raw = [await rawScan(conn, table, segments, config.items)]
    const dynx = [await dynxScan(conn, table, segments, config.items, file)]
    dynx.push(await dynxScan(conn, table, segments, config.items, file))
    raw.push(await rawScan(conn, table, segments, config.items))
    const row = { engine: key, segments, raw: Math.max(...raw), dynx: Math.max(...dynx) }
    log(`${key}: ${segments} segments: raw ${rate(row.raw)} items/s, dynx ${rate(row.dynx)} items/s, ratio ${(row.dynx / row.raw).toFixed(2)}`)
    results.scan.push(row)
  }

  await benchCopy(key, conn, table, tmp, results)
}

// ------------------------------------------------------------------ whole processes: start-up and peak RSS

/**
 * Runs `node ...args` as a child, sampling the peak RSS of its whole process tree; returns its
 * output, wall time (spawn to exit, as a user waits for it) and that peak.
 */
async function runMeasured(label, args, env) {
  const started = performance.now()
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const sampler = sampleTree(child.pid)
  const tracked = track(child)
  cleanups.push(() => stopChild(child, tracked.exited))
  let stdout = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk.toString('utf8')
  })
  const { code, signal } = await tracked.exited
  const seconds = (performance.now() - started) / 1000
  const { peakKb, maxProcesses, cpuSeconds } = sampler.stop()
  if (code !== 0) throw new Error(`${label} failed (${signal ?? `exit code ${code}`}):\n${tracked.tail()}`)
  if (!(peakKb > 0)) throw new Error(`${label}: no RSS sampled`)
  return { stdout, seconds, maxRssKb: peakKb, processes: maxProcesses, cpuSeconds }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Start-up: `dynx --version`, `dynx tables list --endpoint E` and the raw list-tables script, interleaved, `startupRuns` times each. */
async function benchStartup(engine, env) {
  const kinds = {
    version: ['dynx --version', [CLI, '--version']],
    list: ['dynx tables list --endpoint E', [CLI, 'tables', 'list', '--endpoint', engine.endpoint]],
    raw: ['raw SDK script: import client-dynamodb, ListTables', [RAW_LIST_TABLES, engine.endpoint]],
  }
  const runs = { version: [], list: [], raw: [] }
  log(
    `start-up: ${Object.values(kinds)
      .map(([label]) => label)
      .join(', ')}; ${config.startupRuns} runs each, interleaved`,
  )
  // One untimed run of each first (the file system cache).
  for (const [label, args] of Object.values(kinds)) await runMeasured(label, args, env)
  for (let i = 0; i < config.startupRuns; i++) {
    for (const [key, [label, args]] of Object.entries(kinds)) runs[key].push(await runMeasured(label, args, env))
  }
  const listed = runs.list[0].stdout
  if (!runs.raw[0].stdout.trim() || !listed.includes(runs.raw[0].stdout.trim().split('\n')[0]))
    throw new Error(`dynx tables list printed ${JSON.stringify(listed)}, the raw script ${JSON.stringify(runs.raw[0].stdout)}`)
  const summary = Object.fromEntries(
    Object.entries(runs).map(([key, rs]) => [
      key,
      {
        label: kinds[key][0],
        seconds: median(rs.map((r) => r.seconds)),
        min: Math.min(...rs.map((r) => r.seconds)),
        max: Math.max(...rs.map((r) => r.seconds)),
        maxRssKb: median(rs.map((r) => r.maxRssKb)),
      },
    ]),
  )
  for (const s of Object.values(summary)) log(`start-up: ${s.label}: median ${s.seconds.toFixed(3)} s (${s.min.toFixed(3)}-${s.max.toFixed(3)}), ${mb(s.maxRssKb).toFixed(1)} MB`)
  return summary
}

/** Peak RSS of a copy of `source` (n items): the raw floor child, then `dynx copy` (the CLI, which clones the target). */
async function benchCopyRss(engine, conn, env, tmp, source, n) {
  const segments = config.copySegments
  log(`copy RSS, ${n} items: raw floor child, ${segments} segments`)
  const rawTarget = await freshTarget(conn)
  const raw = await runMeasured('raw copy child', [RAW_COPY_CHILD, engine.endpoint, source, rawTarget, String(segments)], env)
  const rawItems = JSON.parse(raw.stdout.trim().split('\n').pop()).items
  if (rawItems !== n) throw new Error(`raw copy child wrote ${rawItems} of ${n} items`)
  await checkAndDrop('raw copy child', conn, rawTarget, n)

  const target = targetName()
  log(`copy RSS, ${n} items: dynx copy ${source} ${target} --segments ${segments} --yes --json (child process)`)
  // Checkpoints and dead-letter files under the temporary directory, not the user's ~/.dynx.
  const dynxEnv = { ...env, DYNX_HOME: join(tmp, 'dynx-home') }
  const dynx = await runMeasured(
    'dynx copy',
    [CLI, 'copy', source, target, '--endpoint', engine.endpoint, '--segments', String(segments), '--timeout', '60', '--yes', '--json'],
    dynxEnv,
  )
  const result = JSON.parse(dynx.stdout)
  if (!result.complete || result.written !== n || result.deadLettered)
    throw new Error(`dynx copy wrote ${result.written} of ${n} items (complete: ${result.complete}, dead-lettered: ${result.deadLettered})`)
  await checkAndDrop('dynx copy', conn, target, n)
  log(
    `copy RSS, ${n} items: raw ${mb(raw.maxRssKb).toFixed(1)} MB in ${raw.seconds.toFixed(1)} s, dynx ${mb(dynx.maxRssKb).toFixed(1)} MB in ${dynx.seconds.toFixed(1)} s (${dynx.processes} process(es))`,
  )
  return { items: n, segments, raw, dynx }
}

/**
 * Everything measured as separate processes against dynalite on disk: start-up, scan and copy RSS
 * (BENCH_ITEMS, and BENCH_BIG_ITEMS) for the disk part, load RSS (the same sizes) for the load part.
 */
async function benchDisk(tmp, loadFile) {
  const storePath = join(tmp, 'dynalite-store')
  log(`start-up and peak RSS: starting dynalite on disk (${storePath})`)
  return withEngine(
    () => startDynalite({ inMemory: false, storePath }),
    async (engine, conn) => {
      const env = cliEnv()
      const out = { seeding: [], scan: [], copy: [], load: [], startup: undefined }
      const disk = config.only.has('disk')
      const load = config.only.has('load')

      if (disk) {
        // Start-up first, on a store holding one small table: right after seeding, LevelDB compacts
        // and slows every request, which would hide what start-up costs.
        await createTable(conn, { name: 'bench_startup', hashKey: { name: 'id', type: 'S' } }, { wait: true })
        out.startup = await benchStartup(engine, env)
        const small = 'bench_copy_source'
        out.seeding.push(await seed(conn, 'dynalite (disk)', small, config.items))
        out.scan.push(await benchScanRss(engine, env, tmp, small, config.items))
        if (config.rssCopy) out.copy.push(await benchCopyRss(engine, conn, env, tmp, small, config.items))
        await dropTable(conn, small)
      }
      if (load) out.load.push(await benchLoadRss(engine, conn, env, tmp, loadFile, config.items))
      if (config.skipBig) return out

      if (disk) {
        const table = 'bench_big'
        out.seeding.push(await seed(conn, 'dynalite (disk)', table, config.bigItems))
        out.scan.push(await benchScanRss(engine, env, tmp, table, config.bigItems))
        if (config.rssCopy) out.copy.push(await benchCopyRss(engine, conn, env, tmp, table, config.bigItems))
        // Not under the big load's feet (a store holding another million items is slower).
        if (load) await dropTable(conn, table)
      }
      if (load) {
        const bigFile = await writeLoadFile(join(tmp, `load-${config.bigItems}.jsonl`), config.bigItems)
        out.load.push(await benchLoadRss(engine, conn, env, tmp, bigFile, config.bigItems))
        await rm(bigFile, { force: true })
      }
      return out
    },
  )
}

/** Peak RSS of a scan of `table` (n items) to a file: the raw floor child, then the CLI. */
async function benchScanRss(engine, env, tmp, table, n) {
  log(`scan RSS, ${n} items: raw floor child, ${BIG_SEGMENTS} segments`)
  const raw = await runMeasured('raw scan child', [RAW_CHILD, engine.endpoint, table, String(BIG_SEGMENTS)], env)
  const rawItems = JSON.parse(raw.stdout.trim().split('\n').pop()).items
  if (rawItems !== n) throw new Error(`raw scan child counted ${rawItems} of ${n} items`)

  const file = join(tmp, 'big-scan.jsonl')
  log(`scan RSS, ${n} items: dynx scan --segments ${BIG_SEGMENTS} --format jsonl --output FILE (child process)`)
  const dynx = await runMeasured(
    'dynx scan',
    [CLI, 'scan', table, '--endpoint', engine.endpoint, '--segments', String(BIG_SEGMENTS), '--format', 'jsonl', '--output', file, '--timeout', '60'],
    env,
  )
  const lines = await countLines(file)
  if (lines !== n) throw new Error(`dynx scan wrote ${lines} lines to ${file}, expected ${n}`)
  await rm(file, { force: true })
  log(
    `scan RSS, ${n} items: raw ${mb(raw.maxRssKb).toFixed(1)} MB in ${raw.seconds.toFixed(1)} s, dynx ${mb(dynx.maxRssKb).toFixed(1)} MB in ${dynx.seconds.toFixed(1)} s (${dynx.processes} process(es))`,
  )
  return { items: n, segments: BIG_SEGMENTS, raw, dynx }
}

// ------------------------------------------------------------------ load

/** Only what a CLI user would have: dummy credentials for a local endpoint, nothing else of AWS. */
function cliEnv() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')))
  return Object.assign(env, { AWS_ACCESS_KEY_ID: BENCH_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: BENCH_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' })
}

/** Writes items 0..n-1 as JSON lines: plain as `dynx scan` writes them, or DynamoDB JSON as `scan --raw` does. */
async function writeLoadFile(file, n) {
  const started = performance.now()
  const stream = createWriteStream(file)
  const line = config.loadEncoding === 'plain' ? (i) => plainItemJson(benchItem(i)) : (i) => JSON.stringify(benchItem(i))
  for (let from = 0; from < n; from += 1000) {
    let text = ''
    for (let i = from; i < Math.min(n, from + 1000); i++) text += `${line(i)}\n`
    if (!stream.write(text)) await new Promise((resolve) => stream.once('drain', resolve))
  }
  await new Promise((resolve, reject) => stream.end((err) => (err ? reject(err) : resolve())))
  log(`load: wrote ${n} ${config.loadEncoding} JSON lines to ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  return file
}

/**
 * One load of `file` (n lines) into a fresh empty table, as its own process timed from spawn to
 * exit: the raw floor child or `dynx load`. The table is counted and dropped after; returns the
 * run (seconds, peak RSS of the tree) with its items/s and dynx's retries.
 */
async function loadRun(kind, engine, conn, env, tmp, file, n) {
  const table = await freshTarget(conn, 'load')
  let run
  let retries = 0
  if (kind === 'raw') {
    run = await runMeasured('raw load child', [RAW_LOAD_CHILD, engine.endpoint, table, file, String(DEFAULT_LOAD_WRITERS), config.loadEncoding], env)
    const items = JSON.parse(run.stdout.trim().split('\n').pop()).items
    if (items !== n) throw new Error(`raw load child wrote ${items} of ${n} items`)
  } else {
    // Checkpoints and dead-letter files under the temporary directory, not the user's ~/.dynx.
    const dynxEnv = { ...env, DYNX_HOME: join(tmp, 'dynx-home') }
    run = await runMeasured('dynx load', [CLI, 'load', table, file, '--endpoint', engine.endpoint, '--timeout', '60', '--yes', '--json'], dynxEnv)
    const result = JSON.parse(run.stdout)
    if (!result.complete || result.loaded !== n || result.deadLettered)
      throw new Error(`dynx load wrote ${result.loaded} of ${n} items (complete: ${result.complete}, dead-lettered: ${result.deadLettered})`)
    retries = result.retries
  }
  await checkAndDrop(`${kind} load`, conn, table, n)
  return { ...run, itemsPerSecond: n / run.seconds, retries }
}

/** Load items/s on one engine: a warm-up of each kind, then BENCH_LOAD_RUNS of each, interleaved. */
async function benchLoad(key, engine, conn, tmp, file) {
  const env = cliEnv()
  const n = config.items
  log(`${key}: load warm-up (raw child, then dynx load)`)
  await loadRun('raw', engine, conn, env, tmp, file, n)
  await loadRun('dynx', engine, conn, env, tmp, file, n)
  const runs = { raw: [], dynx: [] }
  const order = Array.from({ length: config.loadRuns }, (_, i) => (i % 2 ? ['dynx', 'raw'] : ['raw', 'dynx'])).flat()
  log(`${key}: load of ${n} lines, whole processes: ${order.join(', ')}`)
  for (const kind of order) {
    const run = await loadRun(kind, engine, conn, env, tmp, file, n)
    runs[kind].push(run)
    log(`${key}: ${kind} load: ${rate(run.itemsPerSecond)} items/s (${run.seconds.toFixed(1)} s, CPU ${run.cpuSeconds.toFixed(1)} s, ${mb(run.maxRssKb).toFixed(1)} MB)`)
  }
  const row = { engine: key, items: n, runs }
  log(`${key}: load: raw best ${rate(best(runs.raw))} items/s, dynx best ${rate(best(runs.dynx))} items/s, ratio ${(best(runs.dynx) / best(runs.raw)).toFixed(2)}`)
  return row
}

/** Peak RSS of loading `file` (n lines): the raw floor child, then `dynx load` (the CLI). */
async function benchLoadRss(engine, conn, env, tmp, file, n) {
  log(`load RSS, ${n} lines: raw floor child, then dynx load (each its own process)`)
  const raw = await loadRun('raw', engine, conn, env, tmp, file, n)
  const dynx = await loadRun('dynx', engine, conn, env, tmp, file, n)
  log(
    `load RSS, ${n} lines: raw ${mb(raw.maxRssKb).toFixed(1)} MB in ${raw.seconds.toFixed(1)} s, dynx ${mb(dynx.maxRssKb).toFixed(1)} MB in ${dynx.seconds.toFixed(1)} s (${dynx.processes} process(es))`,
  )
  return { items: n, raw, dynx }
}

// ------------------------------------------------------------------ delete

/**
 * One delete of every item of a table seeded with n items just before (not timed), as its own
 * process timed from spawn to exit: the raw floor child or `dynx delete --all`. The table is
 * counted (it must be empty) and dropped after; returns the run (seconds, CPU, peak RSS of the
 * tree) with its items/s, dynx's retries and the seeding time.
 */
async function deleteRun(kind, key, engine, conn, env, tmp, n) {
  const table = targetName('delete')
  const seeded = await seed(conn, key, table, n)
  let run
  let retries = 0
  if (kind === 'raw') {
    run = await runMeasured('raw delete child', [RAW_DELETE_CHILD, engine.endpoint, table, String(DEFAULT_COPY_SEGMENTS), String(DEFAULT_WRITERS), 'id'], env)
    const items = JSON.parse(run.stdout.trim().split('\n').pop()).items
    if (items !== n) throw new Error(`raw delete child deleted ${items} of ${n} items`)
  } else {
    // Checkpoints and dead-letter files under the temporary directory, not the user's ~/.dynx.
    const dynxEnv = { ...env, DYNX_HOME: join(tmp, 'dynx-home') }
    run = await runMeasured('dynx delete', [CLI, 'delete', table, '--all', '--endpoint', engine.endpoint, '--timeout', '60', '--yes', '--json'], dynxEnv)
    const result = JSON.parse(run.stdout)
    if (!result.complete || result.deleted !== n || result.deadLettered)
      throw new Error(`dynx delete deleted ${result.deleted} of ${n} items (complete: ${result.complete}, dead-lettered: ${result.deadLettered})`)
    retries = result.retries
  }
  await checkAndDrop(`${kind} delete`, conn, table, 0)
  return { ...run, itemsPerSecond: n / run.seconds, retries, seedSeconds: seeded.seconds }
}

/** Delete items/s on one engine: a warm-up of each kind (unless BENCH_DELETE_WARMUP=0), then BENCH_DELETE_RUNS of each, interleaved. */
async function benchDelete(key, engine, conn, tmp) {
  const env = cliEnv()
  const n = config.items
  if (config.deleteWarmup) {
    log(`${key}: delete warm-up (raw child, then dynx delete)`)
    await deleteRun('raw', key, engine, conn, env, tmp, n)
    await deleteRun('dynx', key, engine, conn, env, tmp, n)
  }
  const runs = { raw: [], dynx: [] }
  const order = Array.from({ length: config.deleteRuns }, (_, i) => (i % 2 ? ['dynx', 'raw'] : ['raw', 'dynx'])).flat()
  log(`${key}: delete of ${n} items, whole processes, each on a freshly seeded table: ${order.join(', ')}`)
  for (const kind of order) {
    const run = await deleteRun(kind, key, engine, conn, env, tmp, n)
    runs[kind].push(run)
    log(`${key}: ${kind} delete: ${rate(run.itemsPerSecond)} items/s (${run.seconds.toFixed(1)} s, CPU ${run.cpuSeconds.toFixed(1)} s, ${mb(run.maxRssKb).toFixed(1)} MB)`)
  }
  log(`${key}: delete: raw best ${rate(best(runs.raw))} items/s, dynx best ${rate(best(runs.dynx))} items/s, ratio ${(best(runs.dynx) / best(runs.raw)).toFixed(2)}`)
  return { engine: key, items: n, runs }
}

// ------------------------------------------------------------------ report

/** The best items/s of some runs. */
function best(runs) {
  return Math.max(...runs.map((r) => r.itemsPerSecond))
}

/** A table under a heading line: the first column left-aligned, the others right-aligned. */
function outTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('   ')}`
  out(line(head))
  for (const r of rows) out(line(r))
}

/**
 * The cells of one engine's interleaved whole-process runs (load, delete): best items/s and range
 * of each side, their ratio, median CPU and peak RSS of each, and dynx's retries per run.
 */
function runCells(r) {
  const range = (rs) => `${rate(Math.min(...rs.map((x) => x.itemsPerSecond)))}-${rate(Math.max(...rs.map((x) => x.itemsPerSecond)))}`
  return [
    r.engine,
    rate(best(r.runs.raw)),
    range(r.runs.raw),
    rate(best(r.runs.dynx)),
    range(r.runs.dynx),
    (best(r.runs.dynx) / best(r.runs.raw)).toFixed(2),
    median(r.runs.raw.map((x) => x.cpuSeconds)).toFixed(1),
    median(r.runs.dynx.map((x) => x.cpuSeconds)).toFixed(1),
    mb(median(r.runs.raw.map((x) => x.maxRssKb))).toFixed(1),
    mb(median(r.runs.dynx.map((x) => x.maxRssKb))).toFixed(1),
    r.runs.dynx.map((x) => x.retries).join('/'),
  ]
}

function report(results) {
  out()
  out('Results')
  if (results.write) {
    const w = results.write
    out(`batch write, ${w.items} items, concurrency ${w.concurrency} (in-process dynalite in memory; best of 2):`)
    out(`  raw SDK ${rate(w.raw)} items/s   dynx ${rate(w.dynx)} items/s   ratio ${(w.dynx / w.raw).toFixed(2)}`)
  }
  for (const s of results.seeding) out(`seeding ${s.engine}: ${s.items} items in ${s.seconds.toFixed(1)} s (${rate(s.items / s.seconds)} items/s, dynx batchWriteItems)`)
  if (results.scan.length) {
    out()
    out(`scan of ${config.items} items to a JSONL file, items/s (best of 2, order raw dynx dynx raw):`)
    const head = ['engine', 'segments', 'raw SDK floor', 'dynx scan jsonl', 'ratio']
    const rows = results.scan.map((r) => [r.engine, String(r.segments), rate(r.raw), rate(r.dynx), (r.dynx / r.raw).toFixed(2)])
    outTable(head, rows)
  }
  if (results.copy.length) {
    out()
    out(`copy of ${config.items} items to a new table, items/s (best of 2, order raw dynx dynx raw; target counted and dropped after each):`)
    const head = ['engine', 'segments', 'raw SDK floor', 'dynx copyTable', 'ratio', 'writers', 'retries']
    const rows = results.copy.map((r) => [r.engine, String(r.segments), rate(r.raw), rate(r.dynx), (r.dynx / r.raw).toFixed(2), String(r.writers), String(r.retries)])
    outTable(head, rows)
  }
  if (results.load.length) {
    out()
    out(
      `load of ${config.items} ${config.loadEncoding} JSON lines into a new table, whole processes timed spawn to exit, items/s (${config.loadRuns} runs each after a warm-up, interleaved; best, then min-max; CPU time of the loader's process tree, median; table counted and dropped after each):`,
    )
    const head = ['engine', 'raw SDK loader', '(min-max)', 'dynx load', '(min-max)', 'ratio', 'raw CPU s', 'dynx CPU s', 'raw MB', 'dynx MB', 'dynx retries']
    const rows = results.load.map(runCells)
    outTable(head, rows)
  }
  if (results.delete.length) {
    out()
    out(
      `delete of all ${config.items} items of a freshly seeded table, whole processes timed spawn to exit, items/s (${config.deleteRuns} runs each${config.deleteWarmup ? ' after a warm-up' : ''}, interleaved; best, then min-max; CPU time of the process tree, median; ${DEFAULT_COPY_SEGMENTS} segments, ${DEFAULT_WRITERS} writers; table counted (0) and dropped after each):`,
    )
    const head = ['engine', 'raw SDK deleter', '(min-max)', 'dynx delete', '(min-max)', 'ratio', 'raw CPU s', 'dynx CPU s', 'raw MB', 'dynx MB', 'dynx retries', 'seed s']
    const rows = results.delete.map((r) => [...runCells(r), median([...r.runs.raw, ...r.runs.dynx].map((x) => x.seedSeconds)).toFixed(1)])
    outTable(head, rows)
  }
  if (results.startup) {
    const s = results.startup
    out()
    out(`start-up, whole processes as a user runs them (node bin/run.js ...; median of ${config.startupRuns}, min-max; peak RSS of the process tree, median):`)
    const line = (r, extra = '') =>
      out(`  ${r.label.padEnd(52)} ${r.seconds.toFixed(3).padStart(7)} s (${r.min.toFixed(3)}-${r.max.toFixed(3)}) ${mb(r.maxRssKb).toFixed(1).padStart(7)} MB${extra}`)
    line(s.raw)
    line(s.version, `   ratio ${(s.version.seconds / s.raw.seconds).toFixed(2)}`)
    line(s.list, `   ratio ${(s.list.seconds / s.raw.seconds).toFixed(2)}`)
  }
  const rssTable = (title, rows, rawLabel, dynxLabel) => {
    if (!rows.length) return
    out()
    out(title)
    const small = rows[0]
    const line = (label, run, extra = '') => out(`  ${label.padEnd(48)} ${mb(run.maxRssKb).toFixed(1).padStart(7)} MB ${`${run.seconds.toFixed(1)} s`.padStart(8)}${extra}`)
    for (const c of rows) {
      line(`${rawLabel}, ${c.items} items`, c.raw, `   ${rate(c.items / c.raw.seconds)} items/s`)
      const growth = c === small ? '' : `, ${(c.dynx.maxRssKb / small.dynx.maxRssKb).toFixed(2)}x the ${small.items}-item run`
      line(
        `${dynxLabel}, ${c.items} items`,
        c.dynx,
        `   ${rate(c.items / c.dynx.seconds)} items/s, ${c.dynx.processes} process(es), RSS ratio ${(c.dynx.maxRssKb / c.raw.maxRssKb).toFixed(2)}, items/s ratio ${(c.raw.seconds / c.dynx.seconds).toFixed(2)}${growth}`,
      )
    }
  }
  rssTable(
    `peak RSS of the whole process tree, scan to a file (${BIG_SEGMENTS} segments, dynalite on disk, each its own process):`,
    results.scanRss,
    'raw SDK floor (counts only)',
    'dynx scan --format jsonl --output FILE',
  )
  rssTable(
    `peak RSS of the whole process tree, copy to a new table (${config.copySegments} segments, dynalite on disk, each its own process):`,
    results.copyRss,
    'raw SDK copy floor',
    'dynx copy --json',
  )
  rssTable(
    `peak RSS of the whole process tree, load of ${config.loadEncoding} JSON lines into a new table (dynalite on disk, each its own process):`,
    results.loadRss,
    `raw SDK loader (${DEFAULT_LOAD_WRITERS} writers)`,
    'dynx load --json',
  )
  out()
  out('Targets')
  const at16 = results.scan.find((r) => r.engine === 'dynalite' && r.segments === 16)
  const few = config.items >= 100_000 ? '' : ` (only ${config.items} items; the target is for 100000)`
  if (at16)
    out(`  dynalite, 16 segments: dynx >= ${TARGET_RATIO}x the raw floor: ${(at16.dynx / at16.raw).toFixed(2)}x ${at16.dynx / at16.raw >= TARGET_RATIO ? 'met' : 'NOT met'}${few}`)
  else out('  dynalite, 16 segments: not measured in this run')
  for (const r of results.load) {
    const ratio = Math.max(...r.runs.dynx.map((x) => x.itemsPerSecond)) / Math.max(...r.runs.raw.map((x) => x.itemsPerSecond))
    out(`  ${r.engine}, load (whole processes): dynx >= ${TARGET_LOAD_RATIO}x the raw loader: ${ratio.toFixed(2)}x ${ratio >= TARGET_LOAD_RATIO ? 'met' : 'NOT met'}${few}`)
  }
  for (const r of results.delete) {
    const ratio = Math.max(...r.runs.dynx.map((x) => x.itemsPerSecond)) / Math.max(...r.runs.raw.map((x) => x.itemsPerSecond))
    out(
      `  ${r.engine}, delete --all (whole processes): dynx >= ${TARGET_DELETE_RATIO}x the raw deleter: ${ratio.toFixed(2)}x ${ratio >= TARGET_DELETE_RATIO ? 'met' : 'NOT met'}${few}`,
    )
  }
  for (const r of results.copy) {
    out(
      `  ${r.engine}, copy at ${r.segments} segments: dynx >= ${TARGET_COPY_RATIO}x the raw floor: ${(r.dynx / r.raw).toFixed(2)}x ${r.dynx / r.raw >= TARGET_COPY_RATIO ? 'met' : 'NOT met'}${few}`,
    )
  }
  if (results.startup) {
    const { raw, version, list } = results.startup
    out(
      `  dynx --version no slower than the raw script: ${(version.seconds / raw.seconds).toFixed(2)}x ${version.seconds <= raw.seconds * TARGET_STARTUP_RATIO ? 'met' : 'NOT met'}`,
    )
    out(
      `  dynx tables list at most ${TARGET_LIST_RATIO}x the raw script: ${(list.seconds / raw.seconds).toFixed(2)}x ${list.seconds <= raw.seconds * TARGET_LIST_RATIO ? 'met' : 'NOT met'}`,
    )
  }
  for (const [what, rows] of [
    ['scan to a file', results.scanRss],
    ['copy', results.copyRss],
    ['load', results.loadRss],
  ]) {
    const [small, big] = rows
    if (!big) {
      out(`  1M-item ${what} peak RSS: skipped (${small ? 'BENCH_SKIP_BIG' : what === 'copy' && config.only.has('disk') ? 'BENCH_RSS_COPY=0' : 'BENCH_ONLY'})`)
      continue
    }
    const peak = mb(big.dynx.maxRssKb)
    const growth = big.dynx.maxRssKb / small.dynx.maxRssKb
    const full = big.items >= 1_000_000 ? '' : ` (only ${big.items} items; the target is for 1000000)`
    // The 250 MB bound is scan's and copy's (issue 16); a load's target is its growth alone (issue 17), shown next to the raw loader's peak.
    if (what === 'load')
      out(`  ${what} of 1M items peak RSS (whole tree, no absolute target): ${peak.toFixed(1)} MB, ${(big.dynx.maxRssKb / big.raw.maxRssKb).toFixed(2)}x the raw loader's${full}`)
    else out(`  ${what} of 1M items peaks at most ${TARGET_RSS_MB} MB RSS (whole tree): ${peak.toFixed(1)} MB ${peak <= TARGET_RSS_MB ? 'met' : 'NOT met'}${full}`)
    out(`  ${what} of 1M items peaks within ${TARGET_RSS_GROWTH}x the ${small.items}-item run: ${growth.toFixed(2)}x ${growth <= TARGET_RSS_GROWTH ? 'met' : 'NOT met'}${full}`)
  }
}

// ------------------------------------------------------------------ main

const itemBytes = Math.round(Array.from({ length: 200 }, (_, i) => JSON.stringify(benchItem(i * 499)).length).reduce((a, b) => a + b) / 200)
out(`dynx bench: node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'})`)
out(`  scan: ${config.items} items of about ${itemBytes} B (DynamoDB JSON) on ${config.engines.join(', ')}; segments ${config.segments.join(', ')}`)
out(`  copy: ${config.items} items to a new table on ${config.engines.join(', ')}; ${config.copySegments} segments; dynx writers ${config.copyWriters ?? 'default'}`)
out(`  start-up: dynx --version and dynx tables list vs a raw SDK script, median of ${config.startupRuns}`)
out(
  `  peak RSS (whole process tree): scan (${BIG_SEGMENTS} segments) and copy (${config.copySegments} segments) of ${config.skipBig ? config.items : `${config.items} and ${config.bigItems}`} items; dynalite on disk`,
)
out(`  batch write: ${config.writeItems} items`)
out(
  `  load: ${config.items} ${config.loadEncoding} JSON lines on ${config.engines.join(', ')}, dynx load vs a raw SDK loader (${DEFAULT_LOAD_WRITERS} writers), ${config.loadRuns} runs each; peak RSS of ${config.skipBig ? config.items : `${config.items} and ${config.bigItems}`} lines on dynalite on disk`,
)
out(
  `  delete: ${config.items} items on ${config.engines.join(', ')}, dynx delete --all vs a raw SDK deleter (${DEFAULT_COPY_SEGMENTS} segments, ${DEFAULT_WRITERS} writers), ${config.deleteRuns} runs each, each on a freshly seeded table`,
)
out(`  parts run: ${[...config.only].join(', ')}`)

const results = { write: undefined, seeding: [], scan: [], copy: [], load: [], delete: [], scanRss: [], copyRss: [], loadRss: [], startup: undefined }
const tmp = await mkdtemp(join(tmpdir(), 'dynx-bench-'))
cleanups.push(() => rm(tmp, { recursive: true, force: true }))
log(`temporary files in ${tmp}`)
try {
  if (config.only.has('write')) results.write = await benchBatchWrite(config.writeItems, log)
  const loadFile = config.only.has('load') ? await writeLoadFile(join(tmp, `load-${config.items}.jsonl`), config.items) : undefined
  if (config.only.has('scan') || config.only.has('load') || config.only.has('delete')) for (const key of config.engines) await benchEngine(key, tmp, results, loadFile)
  if (config.only.has('disk') || config.only.has('load')) {
    const disk = await benchDisk(tmp, loadFile)
    results.seeding.push(...disk.seeding)
    results.scanRss = disk.scan
    results.copyRss = disk.copy
    results.loadRss = disk.load
    results.startup = disk.startup
  }
  report(results)
} catch (err) {
  log(`failed: ${err.stack ?? err}`)
  process.exitCode = 1
} finally {
  await cleanUp()
}
