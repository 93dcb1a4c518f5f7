import { DescribeTableCommand, UpdateTableCommand, type TableDescription, type UpdateTableCommandInput } from '@aws-sdk/client-dynamodb'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { withThroughput, type ThroughputProgress } from '../../src/throughput/index.js'
import { capacityOf, connect, createBumpTable, tempDir, uniqueName } from '../helpers.js'
import { startDynalite, type Engine } from '../setup/engines.js'

type Conn = ReturnType<typeof connect>

// Issue 15, seen in throughput-faults.int.test.ts under load: the raise's UpdateTable was applied,
// its answer lost to a reset, and the SDK's retry landed while the table was still UPDATING, so
// dynalite applied it a second time. The second update's end (ACTIVE at the raised values) came
// after the restore's UpdateTable: the restore's wait saw ACTIVE, took the table as restored and
// closed the ledger while the table read 50/50. dynalite runs here with a slow update (1 s) so the
// interleaving is the same on every run: raise at t0 (ends t0+1000), its late retry at t0+300
// (ends t0+1300), the restore right after the raise is seen ACTIVE (about t0+1000, ends about t0+2000).
describe('a late retry of the raise ends after the restore started (dynalite, updates take 1 s)', () => {
  let engine: Engine
  let direct: Conn
  beforeAll(async () => {
    process.env.DYNX_HOME = tempDir('dynx-tp-late-')
    engine = await startDynalite({ updateTableMs: 1000 })
    direct = connect(engine.endpoint)
  })
  afterAll(async () => {
    direct.destroy()
    await engine.stop()
  })

  it('the restore does not report success while the table is back at the raised values: it puts them back again', async () => {
    const table = await createBumpTable(direct, uniqueName('tplate'))
    const conn = connect(engine.endpoint)
    // The SDK's retry of the raise (its first answer lost after dynalite applied it), sent again 300 ms later.
    let lateRetry: Promise<unknown> | undefined
    conn.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args)
        if (context.commandName === 'UpdateTableCommand' && !lateRetry) {
          const input = args.input as UpdateTableCommandInput
          lateRetry = sleep(300).then(() => direct.dynamodb.send(new UpdateTableCommand(input)))
        }
        return out
      },
      { step: 'initialize', name: 'lateRetryOfTheRaise' },
    )
    const ledger = join(tempDir('dynx-tp-late-ledgers-'), 'l.json')
    const retries: ThroughputProgress[] = []
    try {
      const out = await withThroughput(
        conn,
        [{ table, capacity: { read: 50, write: 50 }, allIndexes: { read: 20, write: 20 } }],
        async () => {
          // The late retry was accepted: dynalite still showed 5/4 when it came.
          expect(((await lateRetry) as { TableDescription?: TableDescription }).TableDescription?.TableStatus).toBe('UPDATING')
          return capacityOf((await direct.dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table!)
        },
        { ledger, backoff: { baseMs: 20, capMs: 200 }, onProgress: (p) => p.stage === 'retrying' && retries.push(p) },
      )
      expect(out.result).toEqual({ table: [50, 50], byEmail: [20, 20] })
      const after = (await direct.dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table!
      expect(capacityOf(after), `restored after the job; the restore said ${JSON.stringify(out.restore)}`).toEqual({ table: [5, 4], byEmail: [3, 2] })
      expect(after.TableStatus).toBe('ACTIVE')
      expect(out.restore?.restored).toHaveLength(4)
      expect((JSON.parse(readFileSync(ledger, 'utf8')) as { status: string }).status).toBe('restored')
      // The restore saw the raised values come back after its update and sent it again.
      expect(retries.map((p) => [p.retry?.during, p.retry?.error])).toContainEqual(['restoring', 'CapacityNotSetError'])
    } finally {
      conn.destroy()
    }
  })
})
