import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import { DynamoDBClient, ScanCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb'
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { operationOf, seededRandom, startFaultProxy, type FaultProxy } from '../setup/fault-proxy.js'

// The fault proxy's own behaviour, in front of a tiny fake upstream that records what reaches it
// and answers like DynamoDB would (BatchWriteItem: a fixed UnprocessedItems of its own).

interface Seen {
  operation: string
  body: string
}
const seen: Seen[] = []
let upstream: Server
let upstreamUrl = ''
const ENGINE_LEFT = { T: [{ PutRequest: { Item: { pk: { S: 'engine-left' } } } }] }

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const operation = operationOf(req.headers)
      seen.push({ operation, body })
      const answer = operation === 'BatchWriteItem' ? { UnprocessedItems: ENGINE_LEFT } : operation === 'Scan' ? { Items: [], Count: 0, ScannedCount: 0 } : {}
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amz-crc32': '1' })
      res.end(JSON.stringify(answer))
    })
  })
  await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok))
  const address = upstream.address() as { port: number }
  upstreamUrl = `http://127.0.0.1:${address.port}`
})
afterAll(() => new Promise<void>((ok) => upstream.close(() => ok())))

const proxies: FaultProxy[] = []
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()))
  seen.length = 0
})
async function proxy(faults: Parameters<typeof startFaultProxy>[0]['faults'], seed = 1): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: upstreamUrl, seed, faults })
  proxies.push(p)
  return p
}

interface Answer {
  status?: number
  body?: string
  error?: NodeJS.ErrnoException
  reused: boolean
}

/** One raw AWS-JSON POST through a keep-alive agent (so resets hit pooled sockets, as the SDK's would). */
function post(url: string, operation: string, body: object, agent: Agent, target = `DynamoDB_20120810.${operation}`): Promise<Answer> {
  return new Promise((ok) => {
    const headers: IncomingHttpHeaders = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target }
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => ok({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), reused: req.reusedSocket }))
      res.on('error', (error) => ok({ error, reused: req.reusedSocket }))
    })
    req.on('error', (error: NodeJS.ErrnoException) => ok({ error, reused: req.reusedSocket }))
    req.end(JSON.stringify(body))
  })
}

const sdkOptions = (endpoint: string) => ({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 't', secretAccessKey: 't' } })

describe('fault proxy', () => {
  it('reads the operation from X-Amz-Target', () => {
    expect(operationOf({ 'x-amz-target': 'DynamoDB_20120810.BatchWriteItem' })).toBe('BatchWriteItem')
    expect(operationOf({ 'x-amz-target': 'GraniteServiceVersion20100801.GetMetricData' })).toBe('GetMetricData')
    expect(operationOf({})).toBe('unknown')
  })

  it('is reproducible from its seed: the same seed gives the same faults for the same requests', async () => {
    expect(Array.from({ length: 5 }, seededRandom(7))).toEqual(Array.from({ length: 5 }, seededRandom(7)))
    expect(Array.from({ length: 5 }, seededRandom(7))).not.toEqual(Array.from({ length: 5 }, seededRandom(8)))
    const outcomes = async (seed: number) => {
      const p = await proxy({ throttle: 0.5 }, seed)
      const agent = new Agent({ keepAlive: true })
      const statuses: (number | undefined)[] = []
      for (let i = 0; i < 40; i++) statuses.push((await post(p.url, 'GetItem', {}, agent)).status)
      agent.destroy()
      return statuses
    }
    const first = await outcomes(1234)
    expect(first).toEqual(await outcomes(1234))
    expect(first).toContain(400)
    expect(first).toContain(200)
  })

  it('answers throttling as DynamoDB does, and the SDK reads it as a throttling error; nothing reaches the engine', async () => {
    const p = await proxy({ throttle: 1 })
    const client = new DynamoDBClient(sdkOptions(p.url))
    const scan = await client.send(new ScanCommand({ TableName: 'T' })).catch((e: unknown) => e as Error & { $retryable?: { throttling?: boolean } })
    expect(scan).toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } })
    const update = await client.send(new UpdateTableCommand({ TableName: 'T', BillingMode: 'PAY_PER_REQUEST' })).catch((e: unknown) => e as Error)
    expect(update).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })
    const cw = new CloudWatchClient(sdkOptions(p.url))
    const metrics = await cw.send(new GetMetricDataCommand({ StartTime: new Date(0), EndTime: new Date(60_000), MetricDataQueries: [] })).catch((e: unknown) => e as Error)
    expect(metrics).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } })
    client.destroy()
    cw.destroy()
    expect(seen).toEqual([])
    expect(p.injected('throttle', 'Scan')).toBe(1)
    expect(p.injected('throttle', 'UpdateTable')).toBe(1)
    expect(p.injected('throttle')).toBe(3)
  })

  it('answers 500 InternalServerError and 503 ServiceUnavailable', async () => {
    const client = new DynamoDBClient(sdkOptions((await proxy({ serverError: 1 })).url))
    expect(await client.send(new ScanCommand({ TableName: 'T' })).catch((e: unknown) => e)).toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } })
    const unavailable = new DynamoDBClient(sdkOptions((await proxy({ unavailable: 1 })).url))
    expect(await unavailable.send(new ScanCommand({ TableName: 'T' })).catch((e: unknown) => e)).toMatchObject({ $metadata: { httpStatusCode: 503 } })
    client.destroy()
    unavailable.destroy()
    expect(seen).toEqual([])
  })

  it('resets a pooled keep-alive connection before forwarding: the engine never sees the request', async () => {
    const p = await proxy({})
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    expect((await post(p.url, 'PutItem', { n: 1 }, agent)).status).toBe(200)
    p.set({ resetBefore: 1 })
    const answer = await post(p.url, 'PutItem', { n: 2 }, agent)
    agent.destroy()
    expect(answer.reused).toBe(true)
    expect(answer.error?.code).toBe('ECONNRESET')
    expect(seen.map((s) => s.body)).toEqual(['{"n":1}'])
    expect(p.injected('resetBefore', 'PutItem')).toBe(1)
    expect(p.pooledResets.value).toBe(1)
  })

  it('resets after forwarding: the engine applied the request, the caller gets ECONNRESET on its pooled socket', async () => {
    const p = await proxy({})
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    expect((await post(p.url, 'PutItem', { n: 1 }, agent)).status).toBe(200)
    p.set({ resetAfter: 1 })
    const answer = await post(p.url, 'PutItem', { n: 2 }, agent)
    agent.destroy()
    expect(answer.reused).toBe(true)
    expect(answer.error?.code).toBe('ECONNRESET')
    expect(seen.map((s) => s.body)).toEqual(['{"n":1}', '{"n":2}'])
    expect(p.injected('resetAfter')).toBe(1)
    expect(p.pooledResets.value).toBe(1)
  })

  it('partial BatchWriteItem: forwards a subset, returns the rest merged with what the engine left unprocessed', async () => {
    const p = await proxy({ partialBatch: 1 }, 99)
    const agent = new Agent({ keepAlive: true })
    const writes = (table: string) => Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { pk: { S: `${table}-${i}` } } } }))
    const sent = { T: writes('T'), U: writes('U') }
    const answer = await post(p.url, 'BatchWriteItem', { RequestItems: sent, ReturnConsumedCapacity: 'TOTAL' }, agent)
    agent.destroy()
    expect(answer.status).toBe(200)
    const forwarded = JSON.parse(seen[0].body) as { RequestItems: Record<string, unknown[]>; ReturnConsumedCapacity: string }
    expect(forwarded.ReturnConsumedCapacity).toBe('TOTAL')
    const unprocessed = (JSON.parse(answer.body ?? '{}') as { UnprocessedItems: Record<string, unknown[]> }).UnprocessedItems
    const heldT = unprocessed.T.filter((w) => !JSON.stringify(w).includes('engine-left'))
    // Nothing lost, nothing doubled: forwarded + held back = sent, and the engine's own leftovers stay.
    for (const table of ['T', 'U'] as const) {
      const held = table === 'T' ? heldT : unprocessed.U
      const both = [...(forwarded.RequestItems[table] ?? []), ...held].map((w) => JSON.stringify(w)).sort()
      expect(both).toEqual(sent[table].map((w) => JSON.stringify(w)).sort())
    }
    expect(unprocessed.T).toContainEqual(ENGINE_LEFT.T[0])
    const heldCount = heldT.length + unprocessed.U.length
    expect(heldCount).toBeGreaterThan(0)
    expect(heldCount).toBeLessThan(50)
    expect(p.heldBack.value).toBe(heldCount)
    expect(p.injected('partialBatch', 'BatchWriteItem')).toBe(1)
  })

  it('limits faults to the operations named, or uses per-operation rates', async () => {
    const agent = new Agent({ keepAlive: true })
    const only = await proxy({ throttle: 1, operations: ['BatchWriteItem'] })
    expect((await post(only.url, 'Scan', {}, agent)).status).toBe(200)
    expect((await post(only.url, 'BatchWriteItem', { RequestItems: {} }, agent)).status).toBe(400)
    const per = await proxy({ perOperation: { UpdateTable: { serverError: 1 } } })
    expect((await post(per.url, 'Scan', {}, agent)).status).toBe(200)
    expect((await post(per.url, 'UpdateTable', {}, agent)).status).toBe(500)
    agent.destroy()
    expect(only.requests).toEqual({ Scan: 1, BatchWriteItem: 1 })
    expect(only.counts.throttle).toEqual({ BatchWriteItem: 1 })
    expect(per.counts.serverError).toEqual({ UpdateTable: 1 })
  })

  it('injects at most `max` faults per setting, or `maxPerOperation` per operation', async () => {
    const p = await proxy({ throttle: 1, max: 2 })
    const agent = new Agent({ keepAlive: true })
    const statuses: (number | undefined)[] = []
    for (let i = 0; i < 4; i++) statuses.push((await post(p.url, 'CreateBackup', {}, agent)).status)
    p.set({ serverError: 1, max: 1 })
    for (let i = 0; i < 2; i++) statuses.push((await post(p.url, 'CreateBackup', {}, agent)).status)
    expect(statuses).toEqual([400, 400, 200, 200, 500, 200])
    p.set({ throttle: 1, maxPerOperation: 1 })
    const perOp = [await post(p.url, 'Scan', {}, agent), await post(p.url, 'Scan', {}, agent), await post(p.url, 'GetItem', {}, agent)]
    expect(perOp.map((a) => a.status)).toEqual([400, 200, 400])
    agent.destroy()
  })

  it('adds latency and counts it', async () => {
    const p = await proxy({ latency: 1, latencyMs: [20, 20] })
    const agent = new Agent({ keepAlive: true })
    expect((await post(p.url, 'GetItem', {}, agent)).status).toBe(200)
    agent.destroy()
    expect(p.injected('latency', 'GetItem')).toBe(1)
  })

  it('runs scheduled phases one after another; the last stays', async () => {
    const p = await proxy({})
    p.schedule([{ faults: { throttle: 1 }, ms: 300 }, { faults: {} }])
    const agent = new Agent({ keepAlive: true })
    expect((await post(p.url, 'Scan', {}, agent)).status).toBe(400)
    await sleep(400)
    expect((await post(p.url, 'Scan', {}, agent)).status).toBe(200)
    agent.destroy()
    expect(p.injected('throttle')).toBe(1)
    expect(p.summary()).toContain('throttle Scan=1')
  })
})
