import { ScanCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, describe, expect, inject, it } from 'vitest'

import type { Connection } from '../../src/connection/clients.js'
import { bootstrapSampleTables, sampleOrderItems, sampleOrders, sampleUserItems, sampleUsers } from '../../src/tables/bootstrap.js'
import { connect, uniqueName } from '../helpers.js'

async function count(conn: Connection, table: string): Promise<number> {
  let n = 0
  let startKey: Record<string, never> | undefined
  do {
    const out = await conn.dynamodb.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: startKey }))
    n += out.Count ?? 0
    startKey = out.LastEvaluatedKey as typeof startKey
  } while (startKey)
  return n
}

describe('bootstrap streams its sample items (dynalite)', () => {
  const conn = connect(inject('engines').dynalite)
  afterAll(() => conn.destroy())

  it('the item generators are lazy and give the same items as the arrays', () => {
    // A billion users would not fit in memory; a generator hands out the first at once.
    expect(sampleUserItems(1_000_000_000).next().value).toEqual(sampleUsers(1)[0])
    expect([...sampleUserItems(50)]).toEqual(sampleUsers(50))
    expect([...sampleOrderItems(50, 50)]).toEqual(sampleOrders(50, 50))
  })

  it('writes in windows as it generates, and every item arrives', async () => {
    const prefix = `${uniqueName('boot')}_`
    const messages: string[] = []
    const result = await bootstrapSampleTables(conn, { prefix, items: 6000, onProgress: (p) => messages.push(p.message) })
    expect(result.tables.map((t) => [t.table, t.items])).toEqual([
      [`${prefix}users`, 6000],
      [`${prefix}orders`, 6000],
    ])
    // Windows of 2500 items: each is written before the next is generated.
    expect(messages.filter((m) => m.startsWith('wrote ') && m.endsWith(`${prefix}users`))).toEqual([
      `wrote 2500 of 6000 items to ${prefix}users`,
      `wrote 5000 of 6000 items to ${prefix}users`,
      `wrote 6000 of 6000 items to ${prefix}users`,
    ])
    expect(await count(conn, `${prefix}users`)).toBe(6000)
    expect(await count(conn, `${prefix}orders`)).toBe(6000)
  })
})
