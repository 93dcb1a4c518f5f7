import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { copyTables } from '../../src/copy/copy-tables.js'
import { planCopy } from '../../src/copy/plan.js'
import { batchWriteItems } from '../../src/data/batch-write.js'
import { createTable } from '../../src/tables/create.js'
import { describeTableRaw } from '../../src/tables/describe.js'
import { findOpenLedgers, readLedger } from '../../src/throughput/ledger.js'
import type { BumpResult } from '../../src/throughput/bump.js'
import { engineList } from '../setup/engines.js'
import { connect, tempDir, uniqueName } from '../helpers.js'

const endpoint = engineList().find(([name]) => name === 'dynalite')![1]

const capacities = async (conn: ReturnType<typeof connect>, table: string) => {
  const d = await describeTableRaw(conn, table)
  return {
    status: d.TableStatus,
    read: d.ProvisionedThroughput?.ReadCapacityUnits,
    write: d.ProvisionedThroughput?.WriteCapacityUnits,
    indexes: (d.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, g.IndexStatus, g.ProvisionedThroughput?.ReadCapacityUnits, g.ProvisionedThroughput?.WriteCapacityUnits]),
  }
}

// dynalite holds UpdateTable in UPDATING for 200 ms, as DynamoDB does for longer.
describe('copy --bump-read/--bump-write on dynalite', () => {
  const conn = connect(endpoint)
  const source = uniqueName('bumpsrc')
  let home: string
  let savedHome: string | undefined

  beforeAll(async () => {
    savedHome = process.env.DYNX_HOME
    home = tempDir('dynx-bump-home-')
    process.env.DYNX_HOME = home
    await createTable(
      conn,
      {
        name: source,
        hashKey: { name: 'pk', type: 'S' },
        billing: 'PROVISIONED',
        read: 5,
        write: 4,
        indexes: [{ name: 'by-status', hashKey: { name: 'status', type: 'S' }, projection: 'ALL', read: 3, write: 2 }],
      },
      { wait: true },
    )
    const items = Array.from({ length: 300 }, (_, i) => ({ pk: { S: `k${i}` }, status: { S: i % 2 ? 'odd' : 'even' } }))
    const result = await batchWriteItems(conn, source, items, { concurrency: 4 })
    expect(result.failed).toEqual([])
  })
  afterAll(() => {
    process.env.DYNX_HOME = savedHome
    conn.destroy()
  })

  it('raises source reads and target writes (table and GSI) during the copy and restores both exactly', async () => {
    const target = uniqueName('bumpdst')
    const plan = await planCopy(conn, conn, { tables: [{ source, target }] }, {})
    const bumps: Array<[string, BumpResult]> = []
    let during: { source: Awaited<ReturnType<typeof capacities>>; target: Awaited<ReturnType<typeof capacities>> } | undefined
    let seen: Promise<void> | undefined
    const result = await copyTables(conn, conn, plan, {
      segments: 2,
      checkpoint: false,
      bump: { read: 50, write: 40, onBump: (_e, side, b) => bumps.push([side, b]) },
      onProgress: () => {
        seen ??= (async () => {
          during = { source: await capacities(conn, source), target: await capacities(conn, target) }
        })()
      },
    })
    await seen
    expect(result).toMatchObject({ complete: true, written: 300, failedTables: 0 })
    expect(during?.source).toMatchObject({ status: 'ACTIVE', read: 50, write: 4, indexes: [['by-status', 'ACTIVE', 3, 2]] })
    expect(during?.target).toMatchObject({ status: 'ACTIVE', read: 5, write: 40, indexes: [['by-status', 'ACTIVE', 3, 40]] })
    expect(await capacities(conn, source)).toMatchObject({ read: 5, write: 4, indexes: [['by-status', 'ACTIVE', 3, 2]] })
    expect(await capacities(conn, target)).toMatchObject({ read: 5, write: 4, indexes: [['by-status', 'ACTIVE', 3, 2]] })
    expect(bumps.map(([side]) => side)).toEqual(['source', 'target'])
    for (const [, b] of bumps) expect((await readLedger(b.ledger!)).status).toBe('restored')
    expect(await findOpenLedgers()).toEqual([])
  })

  it('restores capacity when the copy fails part way', async () => {
    const target = uniqueName('bumpfail')
    const plan = await planCopy(conn, conn, { tables: [{ source, target }] }, {})
    // A transform that throws fails the table after the bump.
    const result = await copyTables(conn, conn, plan, {
      segments: 1,
      checkpoint: false,
      bump: { read: 60 },
      transform: async () => {
        throw new Error('transform broke')
      },
    })
    expect(result.failedTables + result.deadLettered).toBeGreaterThan(0)
    expect(await capacities(conn, source)).toMatchObject({ read: 5, write: 4 })
    expect(await findOpenLedgers()).toEqual([])
  })
})
