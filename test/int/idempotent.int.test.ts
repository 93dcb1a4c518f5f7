import { afterAll, describe, expect, inject, it } from 'vitest'

import { createBackup, listBackups, restoreBackup } from '../../src/backup/index.js'
import { TableExistsError } from '../../src/errors.js'
import { createTable } from '../../src/tables/create.js'
import { findTable } from '../../src/tables/describe.js'
import type { TableSpec } from '../../src/tables/spec.js'
import { connect, uniqueName } from '../helpers.js'
import { startFaultProxy, type FaultProxy } from '../setup/fault-proxy.js'

type Conn = ReturnType<typeof connect>

// The nasty case of issue 15: the engine applied the call, then the connection was reset before
// the answer came back (the fault proxy's resetAfter). The SDK retries; the retry meets the first
// attempt's effect. Each call must still come out as one success, never as an error or a double.
// (moto accepts enabling TTL twice, and dynalite re-applies a retried UpdateTable, so "TimeToLive is
// already enabled" and "will not change" are covered by unit tests.)
const spec = (name: string): TableSpec => ({ name, hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'N' }, billing: 'PAY_PER_REQUEST' })

describe('calls reset after they were applied, on real engines behind the fault proxy', () => {
  const proxies: FaultProxy[] = []
  const conns: Conn[] = []
  async function behindProxy(engine: 'dynalite' | 'moto', seed: number): Promise<{ proxy: FaultProxy; conn: Conn; direct: Conn }> {
    const proxy = await startFaultProxy({ upstream: inject('engines')[engine], seed })
    const conn = connect(proxy.url)
    const direct = connect(inject('engines')[engine])
    proxies.push(proxy)
    conns.push(conn, direct)
    return { proxy, conn, direct }
  }
  afterAll(async () => {
    for (const c of conns) c.destroy()
    await Promise.all(proxies.map((p) => p.close()))
  })

  it("CreateTable on dynalite: applied, reset, the SDK's retry got ResourceInUseException: created, as ours", async () => {
    const { proxy, conn, direct } = await behindProxy('dynalite', 1)
    const name = uniqueName('idem_create')
    proxy.set({ operations: ['CreateTable'], resetAfter: 1, max: 1 })
    const result = await createTable(conn, spec(name), { wait: true })
    expect(proxy.injected('resetAfter', 'CreateTable')).toBe(1)
    expect(proxy.requests.CreateTable).toBe(2)
    expect(result).toMatchObject({ table: name, created: true, status: 'ACTIVE' })
    expect((await findTable(direct, name))?.TableStatus).toBe('ACTIVE')
    // Someone else's table of that name is still refused.
    proxy.set({})
    await expect(createTable(conn, spec(name))).rejects.toBeInstanceOf(TableExistsError)
  })

  it('CreateBackup on moto: applied, reset: exactly one backup of that name, found instead of made twice', async () => {
    const { proxy, conn } = await behindProxy('moto', 2)
    const table = uniqueName('idem_bk')
    await createTable(conn, spec(table), { wait: true })
    proxy.set({ operations: ['CreateBackup'], resetAfter: 1, max: 1 })
    const result = await createBackup(conn, [table], { name: '{table}-once' })
    expect(proxy.injected('resetAfter', 'CreateBackup')).toBe(1)
    expect(proxy.requests.CreateBackup).toBe(1)
    expect(result.failed).toEqual([])
    expect(result.backups.map((b) => b.name)).toEqual([`${table}-once`])
    const all = await listBackups(conn, { table })
    expect(all.filter((b) => b.name === `${table}-once`)).toHaveLength(1)
  })

  it('CreateBackup on moto: a reset before it was applied: sent again, one backup', async () => {
    const { proxy, conn } = await behindProxy('moto', 3)
    const table = uniqueName('idem_bk2')
    await createTable(conn, spec(table), { wait: true })
    proxy.set({ operations: ['CreateBackup'], resetBefore: 1, max: 1 })
    const result = await createBackup(conn, [table], { name: '{table}-again', checkFirst: { baseMs: 10, capMs: 50 } })
    expect(proxy.requests.CreateBackup).toBe(2)
    expect(result.backups.map((b) => b.name)).toEqual([`${table}-again`])
    expect((await listBackups(conn, { table })).filter((b) => b.name === `${table}-again`)).toHaveLength(1)
  })

  it('RestoreTableFromBackup on moto: applied, reset, the retry got TableAlreadyExistsException: the restore is ours', async () => {
    const { proxy, conn, direct } = await behindProxy('moto', 4)
    const table = uniqueName('idem_rs')
    await createTable(conn, spec(table), { wait: true })
    const { backups } = await createBackup(conn, [table], { name: '{table}-src', wait: true })
    const target = `${table}_restored`
    proxy.set({ operations: ['RestoreTableFromBackup'], resetAfter: 1, max: 1 })
    const result = await restoreBackup(conn, backups[0].arn, target, { reconcile: false })
    expect(proxy.injected('resetAfter', 'RestoreTableFromBackup')).toBe(1)
    expect(proxy.requests.RestoreTableFromBackup).toBe(2)
    expect(result).toMatchObject({ source: table, target })
    expect(await findTable(direct, target)).toBeDefined()
  })
})
