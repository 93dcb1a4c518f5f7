import { UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'

import { batchWriteItems } from '../../src/data/batch-write.js'
import type { Item } from '../../src/data/values.js'
import { createTable } from '../../src/tables/create.js'
import { BIN, connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { allItems, canonical } from '../scan-fixtures.js'
import { engineList } from '../setup/engines.js'

// dynx delete and dynx update as a user runs them (the built CLI), on dynalite and DynamoDB Local:
// exactly the matching items change, a concurrent writer's writes are never lost, kill -9 then
// the same command finishes correctly, and rejected expressions change nothing (exit 2).

const ENGINES = engineList().filter(([name]) => name === 'dynalite' || name === 'dynamodb-local')
const LONG = 240_000
const N = 1200

/** pk + sk; n counts from 0; grp a|b|c; a nested map and a list, so "unchanged" compares them leaf by leaf. */
const item = (i: number): Item => ({
  pk: { S: `p${String(i).padStart(5, '0')}` },
  sk: { N: String(i % 7) },
  n: { N: String(i) },
  grp: { S: ['a', 'b', 'c'][i % 3] },
  name: { S: `name-${i}` },
  meta: { M: { tags: { L: [{ S: 'x' }, { N: '1.50' }] }, deep: { M: { ok: { BOOL: true }, none: { NULL: true } } } } },
  set: { SS: ['s1', 's2'] },
})

const byKey = (i: Item) => `${i.pk.S}|${i.sk.N}`

/**
 * Runs the built CLI twice and kills each run with SIGKILL once its checkpoint (a file named
 * PREFIX*.json under HOME/checkpoints) exists, plus `delays[k]` ms: a crash in the middle of a job.
 */
async function killTwice(args: string[], cwd: string, home: string, prefix: string, delays: number[]): Promise<void> {
  const checkpoints = join(home, 'checkpoints')
  const saved = () => {
    try {
      return readdirSync(checkpoints).some((f) => f.startsWith(prefix) && f.endsWith('.json'))
    } catch {
      return false
    }
  }
  for (const delay of delays) {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', DYNX_HOME: home },
    })
    const exited = new Promise((ok) => child.on('close', ok))
    for (let i = 0; i < 600 && !saved(); i++) await sleep(25)
    await sleep(delay)
    expect(child.exitCode, 'the run ended before it was killed').toBeNull()
    child.kill('SIGKILL')
    await exited
  }
}

describe.each(ENGINES)('dynx delete and update on %s', (engine, endpoint) => {
  const conn = connect(endpoint)
  const dir = tempDir('dynx-bulk-')
  const home = join(dir, 'home')
  const env = { DYNX_HOME: home }
  const cli = (args: string[]) => runCli([...args, '--endpoint', endpoint], { env, timeoutMs: LONG, cwd: dir })
  afterAll(() => conn.destroy())

  const newTable = async (count = N) => {
    const table = uniqueName('bulk')
    await createTable(conn, { name: table, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' } }, { wait: true })
    expect(
      (
        await batchWriteItems(
          conn,
          table,
          Array.from({ length: count }, (_, i) => item(i)),
          { concurrency: 8 },
        )
      ).failed,
    ).toEqual([])
    return table
  }
  const contents = async (table: string) => new Map((await allItems(conn, table)).map((i) => [byKey(i), JSON.stringify(canonical(i))]))

  it('delete --filter removes exactly the matching items; every other item is unchanged; --dry-run counts them first', { timeout: LONG }, async () => {
    const table = await newTable()
    const before = await contents(table)
    const filter = ['delete', table, '--filter', 'grp = :g AND n >= :min', '--values', '{":g":"b",":min":300}']
    const dry = await cli([...filter, '--dry-run', '--json'])
    expect(dry.code, dry.stderr).toBe(0)
    const expected = [...Array(N).keys()].filter((i) => i % 3 === 1 && i >= 300)
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, matched: expected.length, scanned: N })
    expect((await contents(table)).size).toBe(N)
    const r = await cli([...filter, '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ deleted: expected.length, deadLettered: 0, outcome: 'ok' })
    const after = await contents(table)
    const gone = new Set(expected.map((i) => byKey(item(i))))
    expect([...after.keys()].sort()).toEqual([...before.keys()].filter((k) => !gone.has(k)).sort())
    for (const [k, v] of after) expect(v).toBe(before.get(k))
  })

  it('delete --keys FILE removes those keys; --all without --yes off a terminal exits 2 and deletes nothing', { timeout: LONG }, async () => {
    const table = await newTable(300)
    writeFileSync(join(dir, 'keys.jsonl'), [5, 6, 7].map((i) => JSON.stringify({ pk: `p0000${i}`, sk: i % 7, ignored: true })).join('\n'))
    const r = await cli(['delete', table, '--keys', 'keys.jsonl', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ loaded: 3, outcome: 'ok' })
    expect((await contents(table)).size).toBe(297)
    const all = await cli(['delete', table, '--all'])
    expect(all.code).toBe(2)
    expect(all.stderr).toMatch(/Not confirmed: stdin is not a terminal/)
    expect((await contents(table)).size).toBe(297)
  })

  it('delete --filter killed -9 twice, then the same command: exactly the matching items are gone', { timeout: LONG }, async () => {
    const table = await newTable()
    const before = await contents(table)
    const args = ['delete', table, '--filter', 'grp <> :g', '--values', '{":g":"c"}', '--max-wcu', '100', '--writers', '2', '--yes', '--json', '--endpoint', endpoint]
    await killTwice(args, dir, home, `delete-${table}-`, [300, 300])
    expect((await contents(table)).size).toBeGreaterThan(N / 3)
    const r = await runCli(args, { env, cwd: dir, timeoutMs: LONG })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ resumed: true, outcome: 'ok' })
    const after = await contents(table)
    const kept = [...before.keys()].filter((k) => (JSON.parse(before.get(k)!) as { grp: { S: string } }).grp.S === 'c')
    expect([...after.keys()].sort()).toEqual(kept.sort())
    for (const [k, v] of after) expect(v).toBe(before.get(k))
  })

  it('exit 2 with nothing changed: a filter or an update expression DynamoDB rejects', { timeout: LONG }, async () => {
    const table = await newTable(100)
    const before = await contents(table)
    for (const args of [
      ['delete', table, '--filter', 'grp = ', '--yes'],
      ['delete', table, '--filter', 'grp = :nope', '--yes'],
      ['update', table, '--all', '--set', 'n = n +', '--yes'],
      ['update', table, '--all', '--set', '#x = :v', '--values', '{":v":1}', '--yes'],
      ['update', table, '--filter', 'grp = (', '--set', 'n = :v', '--values', '{":v":1}', '--yes'],
    ]) {
      const r = await cli(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(/DynamoDB rejects the (filter|update)|rejected the request/)
    }
    expect(await contents(table)).toEqual(before)
  })

  it('update --transform while another process rewrites the same items: none of its writes is lost', { timeout: LONG }, async () => {
    const table = await newTable(400)
    writeFileSync(join(dir, 'upper.mjs'), 'export default (item) => ({ ...item, name: item.name.toUpperCase(), seen: true })\n')
    // The application: rewrites names of random items while the update runs, remembering its last write.
    const last = new Map<string, string>()
    let stop = false
    const writer = (async () => {
      for (let w = 0; !stop; w++) {
        const i = (w * 37) % 400
        const value = `app-${w}`
        await conn.dynamodb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: item(i).pk, sk: item(i).sk },
            UpdateExpression: 'SET #n = :v',
            ExpressionAttributeNames: { '#n': 'name' },
            ExpressionAttributeValues: { ':v': { S: value } },
          }),
        )
        last.set(byKey(item(i)), value)
        await sleep(2)
      }
    })()
    const r = await cli(['update', table, '--all', '--transform', 'upper.mjs', '--writers', '4', '--yes', '--json'])
    stop = true
    await writer
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as { updated: number; conflicts: number }
    expect(result.updated).toBe(400)
    for (const i of await allItems(conn, table)) {
      const app = last.get(byKey(i))
      const name = i.name.S!
      // Either the update ran after the app's last write (its value, upper-cased), or the app wrote after the update (its value as is).
      if (app) expect([app, app.toUpperCase()], `${byKey(i)}: ${name}`).toContain(name)
      else expect(name).toMatch(/^NAME-\d+$/)
    }
    expect(last.size).toBeGreaterThan(0)
  })

  it.each([
    ['a transform n + 1', ['--transform', 'inc.mjs']],
    ['--set n = n + :one', ['--set', 'n = n + :one', '--values', '{":one":1}']],
  ])('update with %s, killed -9 twice, then the same command: no item is updated twice', { timeout: LONG }, async (what, how) => {
    const table = await newTable()
    writeFileSync(join(dir, 'inc.mjs'), 'export default (item) => ({ ...item, n: item.n + 1 })\n')
    // A write budget keeps the run going for some seconds, so the kills land in the middle.
    const args = ['update', table, '--all', ...how, '--max-wcu', '150', '--yes', '--json', '--endpoint', endpoint]
    await killTwice(args, dir, home, `update-${table}-`, [300, 600])
    const r = await runCli(args, { env, cwd: dir, timeoutMs: LONG })
    const result = JSON.parse(r.stdout) as { resumed: boolean; deadLettered: number; deadLetterFile?: string }
    expect(result.resumed).toBe(true)
    const items = await allItems(conn, table)
    expect(items).toHaveLength(N)
    // Every item incremented exactly once: by a killed run or by the last one.
    const wrong = items.filter((i) => Number(i.n.N) !== Number(i.pk.S!.slice(1)) + 1).map((i) => `${byKey(i)}: ${i.n.N}`)
    expect(wrong).toEqual([])
    if (what.startsWith('a transform')) {
      // The journal knows what a transform makes: an update in flight at the kill is recognised as done.
      expect(r.code, r.stderr).toBe(0)
      expect(result.deadLettered).toBe(0)
    } else {
      // What `n + :one` makes is DynamoDB's to know: an update in flight at a kill whose item changed is reported, not applied again.
      expect([0, 1]).toContain(r.code)
      expect(result.deadLettered).toBeLessThanOrEqual(2 * 16)
      if (result.deadLettered) expect(readFileSync(result.deadLetterFile!, 'utf8')).toMatch(/in flight when an earlier run stopped/)
    }
  })

  it('update --dry-run shows before and after and writes nothing; --filter with shared --values', { timeout: LONG }, async () => {
    const table = await newTable(60)
    const before = await contents(table)
    const r = await cli([
      'update',
      table,
      '--filter',
      'grp = :g',
      '--set',
      '#s = :s',
      '--names',
      '{"#s":"status"}',
      '--values',
      '{":g":"a",":s":"archived"}',
      '--dry-run',
      '--sample',
      '1',
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^before: .*"grp":"a"/m)
    expect(r.stdout).toMatch(/^after: {2}.*"status":"archived"/m)
    expect(r.stdout).toMatch(/Dry run: 20 of 20 matching items would be updated/)
    expect(await contents(table)).toEqual(before)
    const run = await cli(['update', table, '--filter', 'grp = :g', '--set', '#s = :s', '--names', '{"#s":"status"}', '--values', '{":g":"a",":s":"archived"}', '--yes', '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ updated: 20, unchanged: 0, outcome: 'ok' })
    const after = await allItems(conn, table)
    expect(
      after
        .filter((i) => i.status?.S === 'archived')
        .map(byKey)
        .sort(),
    ).toEqual(
      after
        .filter((i) => i.grp.S === 'a')
        .map(byKey)
        .sort(),
    )
  })
})
