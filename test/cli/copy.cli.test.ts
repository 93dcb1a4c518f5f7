import { UpdateTableCommand } from '@aws-sdk/client-dynamodb'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { batchWriteItems } from '../../src/data/batch-write.js'
import { createTable } from '../../src/tables/create.js'
import { findTable } from '../../src/tables/describe.js'
import { waitForTableActive } from '../../src/tables/wait.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { BIN, connect, REPO, runCli, tempDir, uniqueName } from '../helpers.js'
import { allItems, seedScanTable } from '../scan-fixtures.js'

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.dynalite
const BULK = 3000

describe('dynx copy (CLI, dynalite)', () => {
  const conn = connect(endpoint)
  const source = uniqueName('clicopy')
  const home = tempDir('dynx-home-')
  const env = { DYNX_HOME: home }
  const copy = (...args: string[]) => runCli(['copy', ...args, '--endpoint', endpoint], { env })
  let total = 0
  beforeAll(async () => {
    total = (await seedScanTable(conn, source, BULK)).length
  })
  afterAll(() => conn.destroy())

  it('killed with SIGKILL halfway, a re-run continues from the default checkpoint and verify then passes', async () => {
    const target = uniqueName('clicopy_dst')
    // A write budget makes the copy slow enough to kill in the middle.
    const args = [BIN, 'copy', source, target, '--endpoint', endpoint, '--segments', '4', '--page-size', '100', '--max-wcu', '600']
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', DYNX_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<NodeJS.Signals | null>((ok) => child.on('exit', (_code, signal) => ok(signal)))
    const checkpoints = join(home, 'checkpoints')
    const saved = () => (existsSync(checkpoints) ? readdirSync(checkpoints).filter((f) => f.includes(target) && f.endsWith('.json')) : [])
    const until = Date.now() + 60_000
    // Wait until a position beyond the start is on disk.
    while (!(saved().length && Object.keys((JSON.parse(readFileSync(join(checkpoints, saved()[0]), 'utf8')) as { next: object }).next).length)) {
      if (Date.now() > until) throw new Error(`no checkpoint in time; stderr: ${stderr}`)
      await sleep(50)
    }
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(stderr).toContain(`checkpoint ${join(checkpoints, saved()[0])}`)
    const partial = (await allItems(conn, target)).length
    expect(partial).toBeLessThan(total)

    const second = await runCli(args.slice(1), { env })
    expect(second.code).toBe(0)
    expect(second.stderr).toContain('resuming')
    expect(second.stdout).toMatch(/copied/)
    expect(saved()).toEqual([]) // a finished copy's checkpoint is removed
    const verify = await runCli(['verify', source, target, '--endpoint', endpoint, '--json'], { env })
    expect(verify.code).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ equal: true, source: { items: total }, target: { items: total } })
  })

  it('--json reports per-table counts; --dry-run prints the plan and writes nothing', async () => {
    const target = uniqueName('clicopy_json')
    const dry = await copy(source, target, '--dry-run')
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`${source}`)
    expect(dry.stdout).toContain('created (clone)')
    expect(await findTable(conn, target)).toBeUndefined()

    const run = await copy(source, target, '--json', '--segments', '2', '--verify')
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout) as { tables: { written: number; status: string; created: boolean; seconds: number }[]; written: number }
    expect(result.written).toBe(total)
    expect(result.tables[0]).toMatchObject({ status: 'copied', created: true, written: total, verify: { equal: true, source: { items: total }, target: { items: total } } })
    expect(result.tables[0].seconds).toBeGreaterThan(0)

    // Now the target holds items: overwriting needs --yes when nobody can type a confirmation.
    const again = await copy(source, target)
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(`${target} already holds items`)
    expect(again.stderr).toContain('--yes')
    expect((await copy(source, target, '--yes')).code).toBe(0)

    // An extra item in the target: --verify after the copy finds it and exits 3, naming the key.
    await batchWriteItems(conn, target, [{ pk: { S: 'only-in-target' } }])
    const drift = await copy(source, target, '--yes', '--verify')
    expect(drift.code).toBe(3)
    expect(drift.stdout).toContain('extra')
    expect(drift.stdout).toContain('{"pk":"only-in-target"}')
  })

  it('exits 1 with the count when items are dead-lettered, and the file holds them', async () => {
    const small = uniqueName('clicopy_bad')
    const target = uniqueName('clicopy_badt')
    await createTable(conn, { name: small, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
    await batchWriteItems(
      conn,
      small,
      Array.from({ length: 20 }, (_, i) => ({ pk: { S: `p${i}` }, v: { N: String(i) } })),
    )
    const fn = join(home, 'fail-some.mjs')
    writeFileSync(fn, `export default (item) => { if (item.v % 5 === 0) throw new Error('v is ' + item.v); return item }`)
    const deadLetter = join(home, 'dead.jsonl')
    const run = await copy(small, target, '--transform', fn, '--dead-letter', deadLetter)
    expect(run.code).toBe(1)
    // Reported once: the summary names the count and the file, stderr only says what to do.
    expect(run.stdout).toContain(`4 items could not be written; they are in ${deadLetter}`)
    expect(`${run.stdout}${run.stderr}`.match(/could not be written/g)).toHaveLength(1)
    expect(run.stderr).toContain('Each line of the dead-letter file above says why')
    expect(run.stderr).not.toContain('Error')
    expect(readFileSync(deadLetter, 'utf8').trim().split('\n')).toHaveLength(4)
    expect((await allItems(conn, target)).length).toBe(16)

    // --json: the same outcome in the result, exit 1, nothing else.
    const again = await copy(small, uniqueName('clicopy_badj'), '--transform', fn, '--dead-letter', join(home, 'dead-json.jsonl'), '--json')
    expect(again.code).toBe(1)
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'partial', deadLettered: 4, written: 16, tables: [{ status: 'copied', deadLettered: 4 }] })
    expect(again.stderr).toBe('')
  })

  it('--json --progress: named stages on stderr as plain lines, only the JSON result on stdout', async () => {
    const target = uniqueName('clicopy_prog')
    const run = await copy(source, target, '--json', '--progress', '--segments', '2', '--verify')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'ok', written: total, tables: [{ status: 'copied', created: true, verify: { equal: true, outcome: 'ok' } }] })
    const lines = run.stderr.trimEnd().split('\n')
    const stages = lines.filter((l) => l.startsWith('[')).map((l) => /^\[(\w+)\]/.exec(l)?.[1])
    expect([...new Set(stages)]).toEqual(['plan', 'create', 'copy', 'verify'])
    expect(lines.find((l) => l.startsWith('[copy] '))).toContain(`${source} -> ${target}`)
    // Nothing but status lines and the checkpoint notice.
    for (const l of lines) expect(l).toMatch(/^\[(plan|create|copy|verify)\] |^\S+ -> \S+: checkpoint /)

    // --json alone: nothing on stderr.
    const quiet = await copy(source, uniqueName('clicopy_quiet'), '--json', '--segments', '2')
    expect(quiet.code).toBe(0)
    expect(JSON.parse(quiet.stdout)).toMatchObject({ outcome: 'ok', written: total })
    expect(quiet.stderr).toBe('')
  })

  it('bad input exits 2 and writes nothing', async () => {
    const fresh = uniqueName('clicopy_none')
    const cases: [string[], RegExp][] = [
      [[source, source], /same table/],
      [[uniqueName('missing'), fresh], /does not exist/],
      [['--from-prefix', uniqueName('noprefix'), '--to-prefix', 'x_'], /No table .* starts with/],
      [[source, fresh, '--transform', join(home, 'nope.mjs')], /transform file .* does not exist/],
      [[source, fresh, '--no-create'], /--no-create/],
      [[source], /Give SOURCE and TARGET/],
      [[source, fresh, '--wcu-percent', '50'], /on-demand|provisioned/],
      // Checked before the target is created.
      [[source, fresh, '--segments', '0'], /--segments must be/],
      [[source, fresh, '--writers', '0'], /--writers must be/],
      // The same table through a second connection made from other flags.
      [[source, source, '--target-endpoint', endpoint], /same table/],
    ]
    const noFn = join(home, 'nofn.mjs')
    writeFileSync(noFn, 'export const x = 1\n')
    cases.push([[source, fresh, '--transform', noFn], /exports no function/])
    for (const [args, message] of cases) {
      const r = await copy(...args)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.stderr).toMatch(message)
    }
    // Key schemas that differ.
    const other = uniqueName('clicopy_keys')
    await createTable(conn, { name: other, hashKey: { name: 'id', type: 'N' } }, { wait: true })
    const mismatch = await copy(source, other, '--yes')
    expect(mismatch.code).toBe(2)
    expect(mismatch.stderr).toContain('key schemas differ')
    expect(await findTable(conn, fresh)).toBeUndefined()
    expect(await allItems(conn, other)).toEqual([])
  })

  it('--bump-read/--bump-write raise source reads and target writes for the copy and put them back', async () => {
    const src = uniqueName('clibump')
    const target = uniqueName('clibump_dst')
    await createTable(
      conn,
      {
        name: src,
        hashKey: { name: 'pk', type: 'S' },
        billing: 'PROVISIONED',
        read: 5,
        write: 4,
        indexes: [{ name: 'by-v', hashKey: { name: 'v', type: 'N' }, read: 3, write: 2 }],
      },
      { wait: true },
    )
    await batchWriteItems(
      conn,
      src,
      Array.from({ length: 50 }, (_, i) => ({ pk: { S: `p${i}` }, v: { N: String(i) } })),
    )
    const run = await copy(src, target, '--bump-read', '40', '--bump-write', '30')
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`${src}: raised read 5 -> 40`)
    expect(run.stderr).toContain(`${target}: raised write 4 -> 30, by-v write 2 -> 30`)
    expect(run.stderr).toContain('dynx throughput restore --ledger')
    expect((await allItems(conn, target)).length).toBe(50)
    for (const table of [src, target]) {
      const d = await findTable(conn, table)
      expect([d?.ProvisionedThroughput?.ReadCapacityUnits, d?.ProvisionedThroughput?.WriteCapacityUnits]).toEqual([5, 4])
      expect(d?.GlobalSecondaryIndexes?.map((g) => [g.ProvisionedThroughput?.ReadCapacityUnits, g.ProvisionedThroughput?.WriteCapacityUnits])).toEqual([[3, 2]])
    }
    const ledgers = readdirSync(join(home, 'ledgers')).map(
      (f) => JSON.parse(readFileSync(join(home, 'ledgers', f), 'utf8')) as { status: string; changes: Array<{ table: string }> },
    )
    expect(ledgers.filter((l) => l.changes.some((c) => c.table === src || c.table === target)).map((l) => l.status)).toEqual(['restored', 'restored'])
  })

  it('--bump-read refuses (exit 2, nothing created) when the restore would hit the decrease quota; dynalite reports the count', async () => {
    const src = uniqueName('clistuck')
    const target = uniqueName('clistuck_dst')
    await createTable(conn, { name: src, hashKey: { name: 'pk', type: 'S' }, billing: 'PROVISIONED', read: 10, write: 1 }, { wait: true })
    // Four decreases today, the last just now: a fifth is refused for an hour.
    for (const read of [9, 8, 7, 6]) {
      await conn.dynamodb.send(new UpdateTableCommand({ TableName: src, ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: 1 } }))
      await waitForTableActive(conn, src)
      // dynalite counts the decrease when the update ends, a moment after ACTIVE is reported.
      await sleep(50)
    }
    const run = await copy(src, target, '--bump-read', '50')
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/DynamoDB would refuse to lower it again before \d{4}-\d\d-\d\dT/)
    expect(run.stderr).toContain('--allow-stuck')
    expect(await findTable(conn, target)).toBeUndefined()
    expect((await findTable(conn, src))?.ProvisionedThroughput?.ReadCapacityUnits).toBe(6)
  })
})
