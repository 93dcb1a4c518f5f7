import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { batchWriteItems } from '../../src/data/batch-write.js'
import { rawItemJson, type Item } from '../../src/data/values.js'
import { createTable } from '../../src/tables/create.js'
import { findTable } from '../../src/tables/describe.js'
import { BIN, connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { allItems, bulkItem, byPk, canonical, seedScanTable, specialItems } from '../scan-fixtures.js'
import { engineList } from '../setup/engines.js'

// `dynx load` as a user runs it (the built CLI), on dynalite and DynamoDB Local: what `scan` writes
// comes back item for item, in every format, from gzip, stdin and an S3 export folder; bad records
// are dead-lettered with their line; bad input exits 2 with nothing written; a kill -9 resumes.

const ENGINES = engineList().filter(([name]) => name === 'dynalite' || name === 'dynamodb-local')
const BULK = 1500
const LONG = 240_000

const sameItems = async (conn: ReturnType<typeof connect>, a: string, b: string, byValue = false) => {
  const [x, y] = await Promise.all([allItems(conn, a), allItems(conn, b)])
  expect(y.length).toBe(x.length)
  expect(y.sort(byPk).map((i) => canonical(i, byValue))).toEqual(x.sort(byPk).map((i) => canonical(i, byValue)))
}

const count = async (conn: ReturnType<typeof connect>, table: string) => (await allItems(conn, table)).length

describe.each(ENGINES)('dynx load on %s', (engine, endpoint) => {
  const conn = connect(endpoint)
  const dir = tempDir('dynx-load-')
  const home = join(dir, 'home')
  const source = uniqueName('loadsrc')
  const cli = (args: string[], timeoutMs = LONG) => runCli([...args, '--endpoint', endpoint], { env: { DYNX_HOME: home }, timeoutMs, cwd: dir })

  beforeAll(async () => {
    await seedScanTable(conn, source, BULK)
  }, LONG)
  afterAll(() => conn.destroy())

  it('scan --raw -> load: every item back exactly (38 digits, sets, binary, nesting), into a table created --like the source', { timeout: LONG }, async () => {
    expect((await cli(['scan', source, '--raw', '--output', 'raw.jsonl'])).code).toBe(0)
    const target = uniqueName('loadraw')
    const r = await cli(['load', target, 'raw.jsonl', '--like', source, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ loaded: BULK + 4, deadLettered: 0, outcome: 'ok', sources: [{ format: 'jsonl', encoding: 'raw', complete: true }] })
    await sameItems(conn, source, target)
  })

  it('plain scan (jsonl and json) -> load --types: the same items, sets and binary typed by --types', { timeout: LONG }, async () => {
    // Plain JSON cannot tell a set from a list or binary from text at any depth (README, "Loading
    // data"): a table of top-level sets and binary, typed back with --types, round-trips exactly.
    const plainSource = uniqueName('loadplainsrc')
    await createTable(conn, { name: plainSource, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
    const items: Item[] = [
      ...Array.from({ length: 300 }, (_, i) => bulkItem(i)),
      { ...specialItems()[0] },
      {
        pk: { S: 'sets' },
        ss: { SS: ['x', 'ünï'] },
        bs: { BS: [new Uint8Array([0]), new Uint8Array([255, 1])] },
        bin: { B: new Uint8Array([0, 13, 10, 255]) },
        map: { M: { l: { L: [{ S: 'a' }, { N: '1.50' }] } } },
      },
    ]
    expect((await batchWriteItems(conn, plainSource, items)).failed).toEqual([])
    for (const format of ['jsonl', 'json'] as const) {
      const file = `plain.${format}`
      expect((await cli(['scan', plainSource, '--format', format, '--output', file])).code).toBe(0)
      const target = uniqueName(`loadplain${format}`)
      const r = await cli(['load', target, file, '--like', plainSource, '--types', 'ss=SS,bs=BS,bin=B,ns=NS', '--json'])
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ loaded: items.length, sources: [{ format, encoding: 'plain' }] })
      await sameItems(conn, plainSource, target)
    }
  })

  it('scan --format csv -> load --types: the same items', { timeout: LONG }, async () => {
    expect((await cli(['scan', source, '--format', 'csv', '--attributes', 'pk,kind,n,status,price,payload', '--output', 'bulk.csv'])).code).toBe(0)
    const target = uniqueName('loadcsv')
    const r = await cli(['load', target, 'bulk.csv', '--like', source, '--types', 'n=N,price=N', '--json'])
    expect(r.code, r.stderr).toBe(0)
    // The special items hold attributes outside these columns; the bulk ones hold exactly these.
    expect(JSON.parse(r.stdout)).toMatchObject({ loaded: BULK + 4, deadLettered: 0 })
    const bulk = (await allItems(conn, source)).filter((i) => i.pk.S!.startsWith('item-'))
    const loaded = (await allItems(conn, target)).filter((i) => i.pk.S!.startsWith('item-'))
    expect(loaded.sort(byPk).map((i) => canonical(i))).toEqual(bulk.sort(byPk).map((i) => canonical(i)))
  })

  it('an S3 export folder (manifest-files.json, data/*.json.gz of {"Item": ...} lines), a gzip file and stdin', { timeout: LONG }, async () => {
    const items = (await allItems(conn, source)).sort(byPk)
    const exportDir = join(dir, 'exports', 'AWSDynamoDB', '01700000000000-abcdef12')
    mkdirSync(join(exportDir, 'data'), { recursive: true })
    const halves = [items.slice(0, 700), items.slice(700)]
    const manifest = halves.map((half, i) => {
      const name = `file${i}abcdefghij.json.gz`
      writeFileSync(join(exportDir, 'data', name), gzipSync(half.map((item) => `{"Item":${rawItemJson(item)}}\n`).join('')))
      return JSON.stringify({ itemCount: half.length, md5Checksum: 'x', etag: 'y', dataFileS3Key: `exports/AWSDynamoDB/01700000000000-abcdef12/data/${name}` })
    })
    writeFileSync(join(exportDir, 'manifest-files.json'), `${manifest.join('\n')}\n`)
    writeFileSync(
      join(exportDir, 'manifest-summary.json'),
      JSON.stringify({ version: '2020-06-30', exportType: 'FULL_EXPORT', outputFormat: 'DYNAMODB_JSON', itemCount: items.length }),
    )
    const fromExport = uniqueName('loadexport')
    const r = await cli(['load', fromExport, exportDir, '--like', source, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ loaded: items.length, sources: [{ expectedItems: 700, loaded: 700 }, { loaded: items.length - 700 }] })
    await sameItems(conn, source, fromExport)

    writeFileSync(join(dir, 'raw.jsonl.gz'), gzipSync(items.map((i) => `${rawItemJson(i)}\n`).join('')))
    const fromGzip = uniqueName('loadgz')
    expect((await cli(['load', fromGzip, 'raw.jsonl.gz', '--like', source])).code).toBe(0)
    await sameItems(conn, source, fromGzip)

    const fromStdin = uniqueName('loadstdin')
    expect((await cli(['create', fromStdin, '--from', source, '--wait'])).code).toBe(0)
    const child = spawn(process.execPath, [BIN, 'load', fromStdin, '-', '--endpoint', endpoint, '--json'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', DYNX_HOME: home },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stdin.end(readFileSync(join(dir, 'raw.jsonl')))
    const code = await new Promise<number | null>((ok) => child.on('close', ok))
    expect(code).toBe(0)
    expect(JSON.parse(out)).toMatchObject({ loaded: items.length, sources: [{ source: 'stdin', encoding: 'raw' }] })
    await sameItems(conn, source, fromStdin)
  })
})

describe('dynx load: bad records, bad input, kill -9 (dynalite)', () => {
  const [, endpoint] = engineList().find(([name]) => name === 'dynalite')!
  const conn = connect(endpoint)
  const dir = tempDir('dynx-load-bad-')
  const home = join(dir, 'home')
  const cli = (args: string[], timeoutMs = LONG) => runCli([...args, '--endpoint', endpoint], { env: { DYNX_HOME: home }, timeoutMs, cwd: dir })
  const newTable = async (name = uniqueName('loadbad')) => {
    await createTable(conn, { name, hashKey: { name: 'id', type: 'S' }, rangeKey: { name: 'n', type: 'N' } }, { wait: true })
    return name
  }
  const line = (i: number) => JSON.stringify({ id: `id-${String(i).padStart(5, '0')}`, n: i, text: 'x'.repeat(50) })
  afterAll(() => conn.destroy())

  it('10,000 lines with 5 bad ones: 9,995 loaded, 5 dead-lettered with their line and reason, exit 1', { timeout: LONG }, async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => line(i))
    const bad: Record<number, string> = {
      1234: '{"id": "broken", "n": ',
      2345: JSON.stringify({ n: 2345, text: 'no id' }),
      3456: JSON.stringify({ id: 'wrong-type', n: 'not a number' }),
      4567: JSON.stringify({ id: 'too-big', n: 4567, blob: 'y'.repeat(410 * 1024) }),
      // The line before's key again, in the same batch of 25.
      5679: lines[5677],
    }
    for (const [at, text] of Object.entries(bad)) lines[Number(at) - 1] = text
    writeFileSync(join(dir, 'ten.jsonl'), `${lines.join('\n')}\n`)
    const table = await newTable()
    const r = await cli(['load', table, 'ten.jsonl', '--dead-letter', 'dead.jsonl', '--json'])
    expect(r.code, r.stderr).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ loaded: 9_995, deadLettered: 5, outcome: 'partial', deadLetterFile: join(dir, 'dead.jsonl') })
    expect(await count(conn, table)).toBe(9_995)
    const dead = readFileSync(join(dir, 'dead.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string; source: string })
    expect(dead.map((d) => d.line).sort()).toEqual([1234, 2345, 3456, 4567, 5679])
    const reason = (n: number) => dead.find((d) => d.line === n)!.reason
    expect(reason(1234)).toMatch(/not an item/)
    expect(reason(2345)).toMatch(/"id" is missing/)
    expect(reason(3456)).toMatch(/"n" is S, but the table's is N/)
    expect(reason(4567)).toMatch(/400 KB/)
    expect(reason(5679)).toMatch(/same key as line 5678/)
    expect(new Set(dead.map((d) => d.source))).toEqual(new Set(['ten.jsonl']))
  })

  it('bad input exits 2 and writes nothing', { timeout: LONG }, async () => {
    writeFileSync(join(dir, 'ok.jsonl'), `${line(1)}\n${line(2)}\n`)
    writeFileSync(join(dir, 'otherkey.jsonl'), `${JSON.stringify({ userId: 'a', n: 1 })}\n${JSON.stringify({ userId: 'b', n: 2 })}\n`)
    writeFileSync(join(dir, 'data.txt'), 'id\tn\n')
    const table = await newTable()
    const cases: [string[], RegExp][] = [
      [['load', table, 'missing.jsonl'], /missing\.jsonl: no such file/],
      [['load', table, 'nothing-*.jsonl'], /matches no file/],
      [['load', table, 'data.txt'], /Cannot tell the format/],
      [['load', table, 'ok.jsonl', '--format', 'xml'], /Expected --format=xml to be one of/],
      [['load', table, 'ok.jsonl', '--types', 'n=INT'], /unknown type "INT"/],
      [['load', table, 'otherkey.jsonl'], /does not fit the table's key \(id \(S\), n \(N\)\): in its first 2 items the key attribute "id" is missing/],
      [['load', uniqueName('nosuchtable'), 'ok.jsonl'], /does not exist.*\n.*--spec FILE or --like TABLE/],
    ]
    for (const [args, message] of cases) {
      const r = await cli(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(message)
    }
    expect(await count(conn, table)).toBe(0)
    expect(await findTable(conn, cases[6][0][1])).toBeUndefined()
  })

  it('--dry-run reads and checks every record, prints counts and problems, writes nothing', { timeout: LONG }, async () => {
    writeFileSync(join(dir, 'dry.jsonl'), `${line(1)}\nnot json\n${line(3)}\n`)
    const table = await newTable()
    const r = await cli(['load', table, 'dry.jsonl', '--dry-run'])
    // Exit 1: a record would be dead-lettered (a dry run in CI fails on a file that would not load cleanly).
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/dry\.jsonl:2: not an item/)
    expect(r.stdout).toMatch(/Dry run: 2 items would be loaded into .*, 1 records have problems; nothing was written/)
    expect(await count(conn, table)).toBe(0)
  })

  it('kill -9 in the middle of a load, then the same command: the table holds every line once and the counts are right', { timeout: LONG }, async () => {
    const N = 40_000
    writeFileSync(join(dir, 'big.jsonl'), `${Array.from({ length: N }, (_, i) => line(i)).join('\n')}\n`)
    const table = await newTable()
    const args = ['load', table, 'big.jsonl', '--writers', '2', '--endpoint', endpoint, '--json']
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', DYNX_HOME: home }
    const checkpoints = join(home, 'checkpoints')
    const loadedInCheckpoint = () => {
      try {
        const file = readdirSync(checkpoints).find((n) => n.startsWith(`load-${table}-`) && n.endsWith('.json'))
        return file ? (JSON.parse(readFileSync(join(checkpoints, file), 'utf8')) as { parts: { loaded: number }[] }).parts[0].loaded : 0
      } catch {
        return 0 // between write and rename
      }
    }
    for (let kill = 0; kill < 2; kill++) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env })
      const exited = new Promise<number | null>((ok) => child.on('close', ok))
      // Until the checkpoint has recorded some thousands more items than the last run left.
      for (let i = 0; i < 1200 && loadedInCheckpoint() < (kill + 1) * 8000; i++) await sleep(25)
      child.kill('SIGKILL')
      await exited
    }
    expect(await count(conn, table)).toBeLessThan(N)
    const r = await runCli(args, { env: { DYNX_HOME: home }, cwd: dir, timeoutMs: LONG })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ loaded: N, deadLettered: 0, resumed: true, outcome: 'ok' })
    expect(await count(conn, table)).toBe(N)
  })
})
