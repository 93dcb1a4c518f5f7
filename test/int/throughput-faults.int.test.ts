import { DescribeTableCommand, type TableDescription } from '@aws-sdk/client-dynamodb'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { withThroughput, type ThroughputProgress } from '../../src/throughput/index.js'
import { capacityOf, connect, createBumpTable, tempDir, uniqueName } from '../helpers.js'
import { startFaultProxy, type FaultProxy } from '../setup/fault-proxy.js'

type Conn = ReturnType<typeof connect>

// The proxy draws for every request (DescribeTable polls too), so how many UpdateTable calls meet a
// fault depends on the calls dynx makes; 18 gives about 12 500s and 4 resets after applying.
const SEED = 18
const fast = { baseMs: 20, capMs: 200 }

beforeAll(() => {
  process.env.DYNX_HOME = tempDir('dynx-tp-faults-')
})

// Issue 15: with 30% of UpdateTable calls answered 500, a restore gave up after 3 tries and left
// the table at 50/50. Through the fault proxy on dynalite (real UPDATING after each update), with
// resets after the update was applied too, every run must end with the original capacity.
describe(`bump and restore through a faulty endpoint (dynalite behind the fault proxy, seed ${SEED})`, () => {
  let direct: Conn
  let proxy: FaultProxy
  let conn: Conn
  beforeAll(async () => {
    direct = connect(inject('engines').dynalite)
    proxy = await startFaultProxy({ upstream: inject('engines').dynalite, seed: SEED })
    conn = connect(proxy.url)
  })
  afterAll(async () => {
    conn.destroy()
    direct.destroy()
    await proxy.close()
  })

  it('ten bumps in a row with 30% of UpdateTable answered 500 and some reset after being applied: each restores to the original', async () => {
    // dynalite keeps DynamoDB's decrease quota (4 a day per table), so the runs take turns on five tables.
    const tables = await Promise.all([1, 2, 3, 4, 5].map(() => createBumpTable(direct, uniqueName('tpfault'))))
    const original = { table: [5, 4], byEmail: [3, 2] }
    proxy.set({ operations: ['UpdateTable'], serverError: 0.3, resetAfter: 0.1 })
    const dir = tempDir('dynx-tp-faults-ledgers-')
    let retries = 0
    let sdkRetries = 0
    const stopListening = conn.onRetry(() => sdkRetries++)
    for (let run = 1; run <= 10; run++) {
      const table = tables[run % tables.length]
      const ledger = join(dir, `run-${run}.json`)
      let inside: TableDescription | undefined
      const out = await withThroughput(
        conn,
        [{ table, capacity: { read: 50, write: 50 }, allIndexes: { read: 20, write: 20 } }],
        async () => {
          inside = (await direct.dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table
        },
        { ledger, backoff: fast, onProgress: (p: ThroughputProgress) => p.stage === 'retrying' && retries++ },
      )
      expect(capacityOf(inside!), `run ${run}: raised during the job`).toEqual({ table: [50, 50], byEmail: [20, 20] })
      const after = (await direct.dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table!
      expect(capacityOf(after), `run ${run}: restored after the job (${after.TableStatus}); the restore said ${JSON.stringify(out.restore)}`).toEqual(original)
      expect(out.restore?.restored, `run ${run}`).toHaveLength(4)
      expect((JSON.parse(readFileSync(ledger, 'utf8')) as { status: string }).status, `run ${run}`).toBe('restored')
    }
    stopListening()
    // The faults really happened and were retried: by the connection's retry policy (500s, resets)
    // or by the restore's own loop (a table still UPDATING after an update applied before a reset).
    expect(proxy.injected('serverError', 'UpdateTable')).toBeGreaterThan(5)
    expect(proxy.injected('resetAfter', 'UpdateTable')).toBeGreaterThan(0)
    expect(sdkRetries + retries).toBeGreaterThan(5)
  })
})
