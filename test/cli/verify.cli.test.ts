import { BatchWriteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import type { Item } from '../../src/data/values.js'
import { createTable } from '../../src/tables/create.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { connect, runCli, uniqueName } from '../helpers.js'
import { allItems, seedScanTable } from '../scan-fixtures.js'

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.dynalite

describe('dynx verify (CLI, dynalite)', () => {
  const conn = connect(endpoint)
  const prefix = `${uniqueName('cliv')}_`
  const [source, same, changed] = ['src', 'same', 'changed']
  const total = 1000 + 4

  beforeAll(async () => {
    await seedScanTable(conn, `${prefix}${source}`, 1000)
    const items = await allItems(conn, `${prefix}${source}`)
    for (const name of [same, changed]) {
      await createTable(conn, { name: `${prefix}${name}`, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
      for (let i = 0; i < items.length; i += 25) {
        const out = await conn.dynamodb.send(
          new BatchWriteItemCommand({ RequestItems: { [`${prefix}${name}`]: items.slice(i, i + 25).map((Item: Item) => ({ PutRequest: { Item } })) } }),
        )
        expect(Object.keys(out.UnprocessedItems ?? {})).toEqual([])
      }
    }
    await conn.dynamodb.send(new PutItemCommand({ TableName: `${prefix}${changed}`, Item: { pk: { S: 'item-00042' }, n: { N: '43' } } }))
  })
  afterAll(() => conn.destroy())

  const verify = (...args: string[]) => runCli(['verify', ...args, '--endpoint', endpoint, '--prefix', prefix])

  it('exits 0 on equal tables; --json prints the whole result', async () => {
    const r = await verify(source, same, '--json')
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout) as Record<string, unknown>
    expect(result).toMatchObject({
      equal: true,
      complete: true,
      source: { table: `${prefix}${source}`, items: total },
      target: { table: `${prefix}${same}`, items: total },
      diffs: [],
      differences: { missing: 0, extra: 0, changed: 0 },
    })
    expect((result.source as { checksum: string }).checksum).toBe((result.target as { checksum: string }).checksum)

    const human = await verify(source, same, '--segments', '2')
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(new RegExp(`^equal: ${total.toLocaleString('en-US')} items, checksum [0-9a-f]{32} \\(2 segments`))
  })

  it('exits 3 on different tables and prints the changed key (human and --json)', async () => {
    const r = await verify(source, changed)
    expect(r.code).toBe(3)
    expect(r.stdout).toContain('0 missing from the target, 0 extra in the target, 1 changed')
    expect(r.stdout).toContain('changed  {"pk":"item-00042"}')

    const json = await verify(source, changed, '--json')
    expect(json.code).toBe(3)
    expect(JSON.parse(json.stdout)).toMatchObject({
      equal: false,
      complete: true,
      differences: { missing: 0, extra: 0, changed: 1 },
      diffs: [{ kind: 'changed', key: { pk: { S: 'item-00042' } } }],
      truncated: false,
    })
  })

  it('--json --progress: stage lines on stderr, the result with its outcome on stdout', async () => {
    const equal = await verify(source, same, '--json', '--progress')
    expect(equal.code).toBe(0)
    expect(JSON.parse(equal.stdout)).toMatchObject({ outcome: 'ok', equal: true })
    const lines = equal.stderr.trimEnd().split('\n')
    expect(lines[0]).toBe(`[verify] ${prefix}${source} -> ${prefix}${same}`)
    for (const l of lines) expect(l).toMatch(/^\[verify\] /)

    const different = await verify(source, changed, '--json', '--progress')
    expect(different.code).toBe(3)
    expect(JSON.parse(different.stdout)).toMatchObject({ outcome: 'drift', equal: false })
    // The second pass, which finds the differing keys, is a stage of its own.
    expect(different.stderr).toMatch(/^\[diff\] finding differing keys/m)

    const quiet = await verify(source, changed, '--json')
    expect(quiet.code).toBe(3)
    expect(quiet.stderr).toBe('')
  })

  it('exits 2 for a missing table and for the same table twice', async () => {
    const missing = await verify(source, 'nope')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`"${prefix}nope" does not exist`)

    const twice = await verify(source, source, '--json')
    expect(twice.code).toBe(2)
    expect(JSON.parse(twice.stdout)).toMatchObject({ error: { name: 'UserInputError', exitCode: 2 } })
    expect(twice.stdout).toContain('the same table')

    // The same endpoint given again as --target-endpoint is a second connection to the same table.
    const alias = await verify(source, source, '--target-endpoint', engines.dynalite)
    expect(alias.code).toBe(2)
    expect(alias.stderr).toContain('the same table')

    // The same name on another engine (--target-endpoint) is another table: here one that does not exist.
    const elsewhere = await verify(source, source, '--target-endpoint', engines.dynamodbLocal)
    expect(elsewhere.code).toBe(2)
    expect(elsewhere.stderr).toContain(`"${prefix}${source}" does not exist on`)
    expect(elsewhere.stderr).toContain(new URL(engines.dynamodbLocal).port)
  })
})
