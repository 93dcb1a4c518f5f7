import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import type { EngineEndpoints } from '../setup/engines.js'
import { startFaultProxy, type FaultProxy } from '../setup/fault-proxy.js'
import { connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { seedScanTable } from '../scan-fixtures.js'

const SEED = 1515
const engines = inject('engines') as EngineEndpoints
const endpoint = engines.dynalite
const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' }

describe(`--retry-for through the fault proxy (dynalite, seed ${SEED})`, () => {
  const conn = connect(endpoint)
  const source = uniqueName('retryclisrc')
  let proxy: FaultProxy
  let count = 0

  beforeAll(async () => {
    count = (await seedScanTable(conn, source, 400)).length
    proxy = await startFaultProxy({ upstream: endpoint, seed: SEED })
  })
  afterAll(async () => {
    conn.destroy()
    await proxy.close()
  })

  it('a Scan throttled for good is tried once with --retry-for 0, again and again within --retry-for 1, then exit 1 naming the throttling', async () => {
    proxy.set({ throttle: 1, operations: ['Scan'] })
    proxy.resetCounts()
    const once = await runCli(['scan', source, '--count', '--segments', '1', '--endpoint', proxy.url, '--retry-for', '0', '--json'], { env })
    expect(once.code).toBe(1)
    expect(proxy.injected('throttle', 'Scan')).toBe(1)
    expect((JSON.parse(once.stdout) as { error: { message: string } }).error.message).toMatch(/ProvisionedThroughputExceededException/)

    proxy.resetCounts()
    // As a leading global flag too.
    const retried = await runCli(['--retry-for', '1', 'scan', source, '--count', '--segments', '1', '--endpoint', proxy.url], { env })
    expect(retried.code).toBe(1)
    expect(retried.stderr).toMatch(/ProvisionedThroughputExceededException/)
    expect(proxy.injected('throttle', 'Scan')).toBeGreaterThan(1)
    proxy.set({})
  })

  it('copy rides out a burst of throttling on the source and the target: exit 0, every item written, the retries counted in --json', async () => {
    const target = uniqueName('retryclidst')
    proxy.resetCounts()
    // A burst: 90% of reads and writes throttled until 16 throttles were answered (counted, not timed).
    proxy.set({ throttle: 0.9, operations: ['Scan', 'BatchWriteItem'], max: 16 })
    const home = tempDir('dynx-retry-home-')
    const r = await runCli(['copy', source, target, '--endpoint', proxy.url, '--segments', '2', '--page-size', '50', '--json', '--yes'], {
      env: { ...env, DYNX_HOME: home },
      timeoutMs: 120_000,
    })
    expect(r.code, `${r.stderr}\n${proxy.summary()}`).toBe(0)
    const out = JSON.parse(r.stdout) as { tables: Array<{ status: string; read: number; written: number; readRetries: number; readThrottles: number; throttles: number }> }
    expect(out.tables[0]).toMatchObject({ status: 'copied', read: count, written: count })
    expect(out.tables[0].readThrottles).toBe(proxy.injected('throttle', 'Scan'))
    expect(out.tables[0].throttles).toBeGreaterThanOrEqual(proxy.injected('throttle', 'BatchWriteItem'))
    expect(proxy.injected('throttle', 'Scan') + proxy.injected('throttle', 'BatchWriteItem')).toBe(16)
    proxy.set({})
  })
})
