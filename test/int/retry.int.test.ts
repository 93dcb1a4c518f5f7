import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createConnection, type Connection } from '../../src/connection/clients.js'
import { copyTable, type CopyProgress } from '../../src/copy/copy-table.js'
import type { Item } from '../../src/data/values.js'
import { parallelScan, type ScanProgress } from '../../src/scan/parallel-scan.js'
import { createTable } from '../../src/tables/create.js'
import { verifyTables, type VerifyProgress } from '../../src/verify/verify.js'
import { engineList } from '../setup/engines.js'
import { startFaultProxy, type FaultProxy } from '../setup/fault-proxy.js'
import { connect, tempDir, uniqueName } from '../helpers.js'
import { seedScanTable } from '../scan-fixtures.js'

const SEED = 15
const [, endpoint] = engineList().find(([name]) => name === 'dynalite')!

describe(`riding out a faulty endpoint (fault proxy in front of dynalite, seed ${SEED})`, () => {
  const direct = connect(endpoint)
  const source = uniqueName('retrysrc')
  const dir = tempDir('dynx-retry-')
  let proxy: FaultProxy
  let seeded: Item[] = []
  const opened: Connection[] = []
  // The retry policy as the CLI builds it, with shorter backoff steps so a burst costs seconds.
  const viaProxy = () => {
    const conn = createConnection({
      endpoint: proxy.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestTimeoutMs: 10_000,
      retryWindowMs: 60_000,
      retry: { baseMs: 5, throttleBaseMs: 20, capMs: 400 },
    })
    opened.push(conn)
    return conn
  }

  beforeAll(async () => {
    seeded = await seedScanTable(direct, source, 1500)
    proxy = await startFaultProxy({ upstream: endpoint, seed: SEED })
  })
  afterAll(async () => {
    for (const c of opened) c.destroy()
    direct.destroy()
    await proxy.close()
  })

  it('a scan rides out a burst of throttling (95% of Scans for 1.5 s): every item read, segments slowed down while throttled', async () => {
    proxy.resetCounts()
    proxy.schedule([{ faults: { throttle: 0.95, operations: ['Scan'] }, ms: 1500 }, { faults: {} }])
    const seen: ScanProgress[] = []
    let items = 0
    for await (const page of parallelScan(viaProxy(), { table: source, segments: 4, pageLimit: 100, onProgress: (p) => seen.push(p) })) items += page.items.length
    expect(items).toBe(seeded.length)
    const throttled = proxy.injected('throttle', 'Scan')
    expect(throttled, proxy.summary()).toBeGreaterThan(3)
    // Every throttled Scan was retried (and shown), none failed the scan.
    expect(seen.at(-1)).toMatchObject({ throttles: throttled, retries: throttled })
    expect(Math.min(...seen.map((p) => p.readers))).toBeLessThan(4)
  })

  it('a copy rides out throttled reads and writes, 1% resets before and after the engine applied a call, and partial batches; verify rides out throttling too', async () => {
    const target = uniqueName('retrydst')
    await createTable(direct, { name: target, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
    proxy.resetCounts()
    proxy.schedule([
      { faults: { throttle: 0.9, resetBefore: 0.01, resetAfter: 0.01, partialBatch: 0.3, operations: ['Scan', 'BatchWriteItem'] }, ms: 1500 },
      // Throttling goes on after the burst, so the writes meet it even when the burst held every read back.
      { faults: { throttle: 0.3, resetBefore: 0.01, resetAfter: 0.01, partialBatch: 0.2, operations: ['Scan', 'BatchWriteItem'] } },
    ])
    const conn = viaProxy()
    const progress: CopyProgress[] = []
    const result = await copyTable(conn, source, conn, target, {
      segments: 4,
      pageLimit: 100,
      writeConcurrency: 8,
      checkpoint: join(dir, 'copy.json'),
      backoff: { baseMs: 5, capMs: 200 },
      onProgress: (p) => progress.push(p),
    })
    const summary = proxy.summary()
    expect(result, summary).toMatchObject({ complete: true, read: seeded.length, written: seeded.length, deadLettered: 0 })
    expect(proxy.injected('throttle', 'Scan'), summary).toBeGreaterThan(0)
    expect(proxy.injected('throttle', 'BatchWriteItem'), summary).toBeGreaterThan(0)
    // Each throttled Scan is one read retry; each throttled or partly unprocessed write at least one throttle.
    expect(result.readThrottles).toBe(proxy.injected('throttle', 'Scan'))
    expect(result.throttles).toBeGreaterThanOrEqual(proxy.injected('throttle', 'BatchWriteItem'))
    expect(progress.some((p) => p.readThrottles > 0 && p.read < seeded.length)).toBe(true)

    proxy.resetCounts()
    proxy.schedule([{ faults: { throttle: 0.9, operations: ['Scan'] }, ms: 1000 }, { faults: {} }])
    const seen: VerifyProgress[] = []
    const verify = await verifyTables(conn, source, conn, target, { segments: 4, onProgress: (p) => seen.push(p) })
    expect(verify).toMatchObject({ equal: true, complete: true })
    const last = seen.at(-1)!
    expect(last.source.throttles + last.target.throttles).toBe(proxy.injected('throttle', 'Scan'))
    expect(proxy.injected('throttle', 'Scan')).toBeGreaterThan(0)
  })
})
