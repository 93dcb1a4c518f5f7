import { DeleteItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { createTable } from '../../src/tables/create.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { seedScanTable } from '../scan-fixtures.js'

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.dynalite

describe('dynx verify with files, and dynx load --verify (CLI, dynalite)', () => {
  const conn = connect(endpoint)
  const prefix = `${uniqueName('clivf')}_`
  const dir = tempDir('dynx-verify-files-')
  const dump = join(dir, 'src.jsonl')
  const total = 200 + 4

  const cli = (...args: string[]) => runCli([...args, '--endpoint', endpoint, '--prefix', prefix])
  const count = async (table: string) => (await conn.dynamodb.send(new ScanCommand({ TableName: `${prefix}${table}`, Select: 'COUNT' }))).Count

  beforeAll(async () => {
    await seedScanTable(conn, `${prefix}src`, 200)
    const scan = await cli('scan', 'src', '--raw', '--output', dump)
    expect(scan.code, scan.stderr).toBe(0)
  })
  afterAll(() => conn.destroy())

  it('scan --raw, then verify FILE TABLE and TABLE FILE: equal, exit 0', async () => {
    const r = await cli('verify', dump, 'src', '--json')
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout) as { source: { checksum: string }; target: { checksum: string } }
    expect(result).toMatchObject({
      equal: true,
      outcome: 'ok',
      source: { table: dump, items: total },
      target: { table: `${prefix}src`, items: total },
      files: { side: 'source', records: total, notItems: 0, duplicates: 0 },
    })
    expect(result.source.checksum).toBe(result.target.checksum)

    // The CLI runs in the repository, where a folder src/ exists: a bare name is still a table.
    const reversed = await cli('verify', 'src', dump)
    expect(reversed.code, reversed.stderr).toBe(0)
    expect(reversed.stdout).toMatch(new RegExp(`^equal: ${total} items, checksum [0-9a-f]{32}`))
  })

  it('load --verify into a new table: equal, exit 0; then a deleted and a changed item: exit 3 naming both keys', async () => {
    const load = await cli('load', 'copy', dump, '--like', 'src', '--verify', '--json')
    expect(load.code, load.stderr).toBe(0)
    expect(JSON.parse(load.stdout)).toMatchObject({ loaded: total, outcome: 'ok', verify: { equal: true, outcome: 'ok', files: { records: total } } })

    await conn.dynamodb.send(new DeleteItemCommand({ TableName: `${prefix}copy`, Key: { pk: { S: 'item-00007' } } }))
    await conn.dynamodb.send(new PutItemCommand({ TableName: `${prefix}copy`, Item: { pk: { S: 'item-00042' }, n: { N: '43' } } }))

    const r = await cli('verify', dump, 'copy')
    expect(r.code, r.stderr).toBe(3)
    expect(r.stdout).toContain('1 missing from the target, 0 extra in the target, 1 changed')
    expect(r.stdout).toContain(`missing  {"pk":"item-00007"}  (${dump} line `)
    expect(r.stdout).toContain(`changed  {"pk":"item-00042"}  (${dump} line `)

    // The table as SOURCE: the item only the file holds is extra (in the target only).
    const json = await cli('verify', 'copy', dump, '--json')
    expect(json.code).toBe(3)
    expect(JSON.parse(json.stdout)).toMatchObject({
      equal: false,
      outcome: 'drift',
      differences: { missing: 0, extra: 1, changed: 1 },
      diffs: [
        { kind: 'extra', key: { pk: { S: 'item-00007' } }, at: { source: dump } },
        { kind: 'changed', key: { pk: { S: 'item-00042' } }, at: { source: dump } },
      ],
      files: { side: 'target' },
    })
  })

  it('plain JSON lines and CSV with --types; a record that is not an item is counted, a repeated key compared by its last record', async () => {
    await createTable(conn, { name: `${prefix}people`, hashKey: { name: 'id', type: 'S' }, rangeKey: { name: 'n', type: 'N' } }, { wait: true })
    for (const [id, n, age, tags] of [
      ['a', '1', '30', ['x', 'y']],
      ['b', '2', '41', ['z']],
    ] as const)
      await conn.dynamodb.send(
        new PutItemCommand({ TableName: `${prefix}people`, Item: { id: { S: id }, n: { N: n }, age: { N: age }, tags: { SS: [...tags] }, name: { S: `name ${id}` } } }),
      )
    const jsonl = join(dir, 'people.jsonl')
    writeFileSync(
      jsonl,
      [
        '{"id":"b","n":2,"age":40,"tags":["z"],"name":"name b"}',
        'not json',
        '{"id":"a","n":1.0,"age":30,"tags":["y","x"],"name":"name a"}',
        '{"id":"b","n":2,"age":41,"tags":["z"],"name":"name b"}',
        '',
      ].join('\n'),
    )
    // Without --types the plain list is a list (L), not the table's string set: every item differs.
    const untyped = await cli('verify', jsonl, 'people')
    expect(untyped.code).toBe(3)
    expect(untyped.stdout).toContain('0 missing from the target, 0 extra in the target, 2 changed')

    const typed = await cli('verify', jsonl, 'people', '--types', 'tags=SS', '--json')
    expect(typed.code, typed.stdout + typed.stderr).toBe(0)
    const result = JSON.parse(typed.stdout) as { source: { checksum: string }; target: { checksum: string } }
    expect(result).toMatchObject({ equal: true, source: { items: 2 }, target: { items: 2 }, files: { records: 4, notItems: 1, duplicates: 1, problems: [{ line: 2 }] } })
    // The repeated key's earlier record left the checksum: the file's is the table's.
    expect(result.source.checksum).toBe(result.target.checksum)

    const human = await cli('verify', jsonl, 'people', '--types', 'tags=SS')
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`1 record of the files is not an item of the table and could not be compared (first: ${jsonl} line 2: not an item`)
    expect(human.stdout).toContain('1 record repeats a key that a later record holds: only the last record of each key was compared.')

    const csv = join(dir, 'people.csv')
    writeFileSync(csv, ['id,n,age,tags,name', 'a,1,30,"[""x"",""y""]",name a', 'b,2,41,"[""z""]",name b', ''].join('\n'))
    const csvUntyped = await cli('verify', 'people', csv)
    expect(csvUntyped.code).toBe(3)
    expect(csvUntyped.stdout).toContain('2 changed')
    const csvTyped = await cli('verify', 'people', csv, '--types', 'age=N,tags=SS')
    expect(csvTyped.code, csvTyped.stdout + csvTyped.stderr).toBe(0)
    expect(csvTyped.stdout).toMatch(/^equal: 2 items/)
  })

  it('load --verify leaves out the records the load dead-lettered: equal, and exit 1 for the dead letters', async () => {
    const file = join(dir, 'some-bad.jsonl')
    writeFileSync(file, ['{"pk":"one","n":1}', '{"nokey":"x"}', '{"pk":"two","n":2}', ''].join('\n'))
    const r = await cli('load', 'partly', file, '--like', 'src', '--verify', '--dead-letter', join(dir, 'dead.jsonl'), '--json')
    expect(r.code, r.stderr).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ loaded: 2, deadLettered: 1, outcome: 'partial', verify: { equal: true, files: { records: 2, skipped: 1, notItems: 0 } } })
  })

  it('load --verify into a table that holds items: exit 2, nothing written; --transform and stdin are refused too', async () => {
    await createTable(conn, { name: `${prefix}busy`, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
    await conn.dynamodb.send(new PutItemCommand({ TableName: `${prefix}busy`, Item: { pk: { S: 'already-here' } } }))
    const r = await cli('load', 'busy', dump, '--verify', '--yes')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${prefix}busy held items before this load: --verify would report every one the sources lack as extra`)
    expect(await count('busy')).toBe(1)

    const transform = join(dir, 'same.mjs')
    writeFileSync(transform, 'export default (item) => item\n')
    const t = await cli('load', 'fresh', dump, '--like', 'src', '--transform', transform, '--verify')
    expect(t.code).toBe(2)
    expect(t.stderr).toContain('--transform changes the items on purpose')
    // Refused before the table was created.
    const listed = await cli('tables', 'list', '--json')
    expect(listed.stdout).not.toContain(`${prefix}fresh`)

    const stdin = await cli('verify', '-', 'src')
    expect(stdin.code).toBe(2)
    expect(stdin.stderr).toContain('verify cannot read stdin (-)')

    const both = await cli('verify', dump, join(dir, 'people.jsonl'))
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('verify compares files with a table')

    const flags = await cli('verify', 'src', 'copy', '--types', 'n=N')
    expect(flags.code).toBe(2)
    expect(flags.stderr).toContain('neither SOURCE nor TARGET is one')
  })
})
