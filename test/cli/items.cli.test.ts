import { execFile } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { batchWriteItems } from '../../src/data/batch-write.js'
import { createTable } from '../../src/tables/create.js'
import { describeTableRaw } from '../../src/tables/describe.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { BIN, connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { allItems, DIGITS_38 } from '../scan-fixtures.js'

const endpoint = (inject('engines') as EngineEndpoints).dynalite

describe('dynx get, query, put, truncate (built CLI, dynalite)', () => {
  const conn = connect(endpoint)
  const table = uniqueName('cli_items')
  const home = tempDir('dynx-items-home-')
  const run = (args: string[]) => runCli([...args, '--endpoint', endpoint], { env: { DYNX_HOME: home } })

  beforeAll(async () => {
    await createTable(conn, { name: table, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' } }, { wait: true })
    await batchWriteItems(conn, table, [
      { pk: { S: 'a' }, sk: { N: DIGITS_38 }, big: { N: DIGITS_38 }, b: { B: new Uint8Array([0, 255]) } },
      ...Array.from({ length: 5 }, (_, i) => ({ pk: { S: 'a' }, sk: { N: String(i) } })),
    ])
  })
  afterAll(() => conn.destroy())

  it('get prints the item with every digit; --raw prints DynamoDB JSON', async () => {
    const plain = await run(['get', table, `pk=a,sk=${DIGITS_38}`])
    expect(plain).toMatchObject({ code: 0, stderr: '' })
    expect(plain.stdout).toBe(`{"pk":"a","sk":${DIGITS_38},"big":${DIGITS_38},"b":"AP8="}\n`)
    const raw = await run(['get', table, `{"pk":"a","sk":${DIGITS_38}}`, '--raw', '--attributes', 'big'])
    expect(raw.stdout).toBe(`{"big":{"N":"${DIGITS_38}"}}\n`)
  })

  it('get: no item is exit 3 with nothing on stdout; a key of the wrong shape is exit 2', async () => {
    const none = await run(['get', table, 'pk=a,sk=99'])
    expect(none.code).toBe(3)
    expect(none.stdout).toBe('')
    expect(none.stderr).toContain('No item with key {"pk":"a","sk":99}')
    for (const key of ['pk=a', 'pk=a,sk=x', 'pk=a,sk=1,other=2']) {
      const bad = await run(['get', table, key])
      expect(bad.code, key).toBe(2)
      expect(bad.stdout).toBe('')
      expect(bad.stderr).toContain('pk (S, partition key), sk (N, sort key)')
    }
  })

  it('query writes every item in order, --reverse --limit, --format json; a rejected expression is exit 2 with empty stdout', async () => {
    const all = await run(['query', table, '--key', 'pk = :p', '--values', '{":p":"a"}', '--attributes', 'sk'])
    expect(all.code).toBe(0)
    expect(all.stdout).toBe(`${['0', '1', '2', '3', '4', DIGITS_38].map((n) => `{"sk":${n}}`).join('\n')}\n`)
    const last = await run(['query', table, '--key', 'pk = :p', '--values', '{":p":"a"}', '--attributes', 'sk', '--reverse', '--limit', '2', '--format', 'json'])
    expect(JSON.parse(last.stdout.replace(DIGITS_38, '"big"'))).toEqual([{ sk: 'big' }, { sk: 4 }])
    const rejected = await run(['query', table, '--key', 'pk = :p', '--filter', 'size > :n', '--values', '{":p":"a",":n":1}', '--format', 'json'])
    expect(rejected.code).toBe(2)
    expect(rejected.stdout).toBe('')
    expect(rejected.stderr).toContain('DynamoDB rejected the query')
  })

  it('put --if-not-exists: written once, then left unchanged (exit 0); --dry-run writes nothing', async () => {
    const item = `{"pk":"p","sk":1,"n":${DIGITS_38}}`
    const dry = await run(['put', table, item, '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`"n":{"N":"${DIGITS_38}"}`)
    expect((await run(['get', table, 'pk=p,sk=1'])).code).toBe(3)
    const first = await run(['put', table, item, '--if-not-exists', '--json'])
    expect(JSON.parse(first.stdout)).toMatchObject({ written: true, existed: false })
    const second = await run(['put', table, `{"pk":"p","sk":1,"n":2}`, '--if-not-exists'])
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('Not written')
    expect((await run(['get', table, 'pk=p,sk=1', '--attributes', 'n'])).stdout).toBe(`{"n":${DIGITS_38}}\n`)
  })

  it('truncate --recreate off a terminal without --yes is exit 2 and changes nothing; with --yes it empties the table', async () => {
    const name = uniqueName('cli_trunc')
    await createTable(conn, { name, hashKey: { name: 'pk', type: 'S' }, indexes: [{ name: 'by-x', hashKey: { name: 'x', type: 'S' }, projection: 'KEYS_ONLY' }] }, { wait: true })
    await batchWriteItems(conn, name, [{ pk: { S: '1' }, x: { S: 'y' } }])
    const created = (await describeTableRaw(conn, name)).CreationDateTime
    for (const args of [[], ['--recreate']]) {
      const refused = await run(['truncate', name, ...args])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('Not confirmed')
    }
    expect((await allItems(conn, name)).length).toBe(1)
    expect((await describeTableRaw(conn, name)).CreationDateTime).toEqual(created)
    const dry = await run(['truncate', name, '--recreate', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('GSI by-x: x (KEYS_ONLY)')
    const done = await run(['truncate', name, '--recreate', '--yes', '--json'])
    expect(done.code).toBe(0)
    expect(JSON.parse(done.stdout)).toMatchObject({ mode: 'recreate', outcome: 'ok' })
    expect(await allItems(conn, name)).toEqual([])
    expect((await describeTableRaw(conn, name)).GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['by-x'])
  })
})

describe('a reader that stops early (`| head -n 1`), built CLI, dynalite', () => {
  const conn = connect(endpoint)
  const table = uniqueName('cli_head')
  // About 1.5 MB of output: far past the pipe's buffer, so the CLI is still writing when head exits.
  const pad = 'x'.repeat(500)

  beforeAll(async () => {
    await createTable(conn, { name: table, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' } }, { wait: true })
    await batchWriteItems(
      conn,
      table,
      Array.from({ length: 3000 }, (_, i) => ({ pk: { S: 'a' }, sk: { N: String(i) }, pad: { S: pad } })),
    )
  })
  afterAll(() => conn.destroy())

  /** `dynx ARGS | head -n 1` in bash: head's line, and dynx's own exit code and stderr. */
  const head = (args: string[]) =>
    new Promise<{ line: string; code: number; stderr: string }>((ok) => {
      execFile(
        'bash',
        ['-c', 'node "$0" "$@" | head -n 1; exit "${PIPESTATUS[0]}"', BIN, ...args, '--endpoint', endpoint],
        { env: { PATH: process.env.PATH, HOME: tempDir('dynx-head-home-'), AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' } },
        (err, stdout, stderr) => ok({ line: stdout, code: err ? Number(err.code) : 0, stderr }),
      )
    })

  it.each([
    ['query', ['query', table, '--key', 'pk = :p', '--values', '{":p":"a"}']],
    ['query --format csv', ['query', table, '--key', 'pk = :p', '--values', '{":p":"a"}', '--format', 'csv']],
    ['scan', ['scan', table, '--segments', '1']],
  ])('%s stops quietly: exit 0, nothing on stderr', async (_name, args) => {
    const r = await head(args as string[])
    expect(r.line).toMatch(/^(\{"pk":"a","sk":0,"pad":"x+"\}|pk,sk,pad)\n$/)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })
})
