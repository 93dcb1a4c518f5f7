import { ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import { createConnection, type Connection } from '../../src/connection/clients.js'
import {
  DEFAULT_RESTORE_WINDOW_MS,
  DEFAULT_RETRY_WINDOW_MS,
  TimeBoundRetryStrategy,
  backoffDelay,
  isRetryableError,
  retryKindOf,
  withRetryListener,
  withRetryWindow,
  type RetryEvent,
} from '../../src/connection/retry.js'

/**
 * A DynamoDB endpoint on a bad day, at the HTTP level: each request takes the next step of a
 * script (answer, throttle, 5xx, reset the socket, stay silent). The SDK's own handler,
 * deserializer and retry middleware then build the errors exactly as they do against AWS.
 */
type Step = 'ok' | 'throttle' | '500' | '503' | 'reset' | 'silent' | 'validation' | 'decrease-quota' | 'billing-quota' | 'concurrent-limit'
let script: Step[] = []
let requests = 0
let server: Server
let endpoint = ''
const held: ServerResponse[] = []

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' })
  res.end(JSON.stringify(body))
}

function dynamoError(res: ServerResponse, status: number, type: string, message: string): void {
  answer(res, status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message })
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  req.resume()
  req.on('end', () => {
    requests++
    const step = script.shift() ?? 'ok'
    if (step === 'ok') answer(res, 200, { TableNames: ['t'] })
    else if (step === 'throttle') dynamoError(res, 400, 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.')
    else if (step === '500') dynamoError(res, 500, 'InternalServerError', 'Internal server error')
    else if (step === '503') {
      res.writeHead(503)
      res.end()
    } else if (step === 'reset') req.socket.destroy()
    else if (step === 'silent') held.push(res)
    else if (step === 'validation') dynamoError(res, 400, 'ValidationException', '1 validation error detected')
    else if (step === 'billing-quota') dynamoError(res, 400, 'LimitExceededException', 'Update to PayPerRequest mode are limited to once in 1 day(s).')
    else if (step === 'concurrent-limit')
      dynamoError(res, 400, 'LimitExceededException', 'Subscriber limit exceeded: Only 10 tables can be created, updated, or deleted simultaneously')
    else dynamoError(res, 400, 'LimitExceededException', 'Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day.')
  })
}

beforeAll(async () => {
  server = createServer(handle)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(async () => {
  for (const res of held) res.destroy()
  await new Promise<void>((ok) => server.close(() => ok()))
})

const fast = { baseMs: 1, throttleBaseMs: 1, capMs: 5 }
const connections: Connection[] = []
function connect(retryWindowMs?: number, requestTimeoutMs?: number): Connection {
  const conn = createConnection({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, retry: fast, retryWindowMs, requestTimeoutMs })
  connections.push(conn)
  return conn
}
afterEach(() => {
  for (const c of connections.splice(0)) c.destroy()
  script = []
  requests = 0
})

/** The error the SDK hands back when nothing is retried (window 0): its real shape. */
async function sdkError(step: Step, requestTimeoutMs?: number): Promise<unknown> {
  const conn = connect(0, requestTimeoutMs)
  script = ['ok', step]
  await conn.dynamodb.send(new ListTablesCommand({}))
  return conn.dynamodb.send(new ListTablesCommand({})).then(
    () => {
      throw new Error('expected a failure')
    },
    (err: unknown) => err,
  )
}

describe('retryKindOf classifies the errors the SDK really builds', () => {
  it('a 400 ProvisionedThroughputExceededException is throttling', async () => {
    const err = await sdkError('throttle')
    expect((err as Error).name).toBe('ProvisionedThroughputExceededException')
    expect(retryKindOf(err)).toBe('throttle')
  })

  it('500 InternalServerError and a bare 503 are server errors', async () => {
    expect(retryKindOf(await sdkError('500'))).toBe('server')
    const unavailable = await sdkError('503')
    expect((unavailable as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(503)
    expect(retryKindOf(unavailable)).toBe('server')
  })

  it('a reset socket (ECONNRESET "socket hang up", named TimeoutError by NodeHttpHandler) is a network error', async () => {
    const err = (await sdkError('reset')) as Error & { code?: string }
    expect(err.code).toBe('ECONNRESET')
    expect(err.message).toMatch(/socket hang up/)
    expect(retryKindOf(err)).toBe('network')
  })

  it('a request timeout (TimeoutError from NodeHttpHandler) is a network error', async () => {
    const err = (await sdkError('silent', 200)) as Error & { code?: string }
    expect(err.name).toBe('TimeoutError')
    expect(retryKindOf(err)).toBe('network')
  })

  it('bad input, the decrease quota and aborts are not retryable', async () => {
    expect(isRetryableError(await sdkError('validation'))).toBe(false)
    const quota = await sdkError('decrease-quota')
    expect((quota as Error).name).toBe('LimitExceededException')
    expect(isRetryableError(quota)).toBe(false)
    expect(isRetryableError(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(false)
    expect(isRetryableError(Object.assign(new Error('Too many tables are being created'), { name: 'LimitExceededException' }))).toBe(true)
    expect(isRetryableError('not an error')).toBe(false)
    // What moto answers for an action it lacks: no wait makes it appear.
    expect(
      isRetryableError(Object.assign(new Error('The RestoreTableToPointInTime action has not been implemented'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } })),
    ).toBe(false)
    expect(isRetryableError(Object.assign(new Error('Not Implemented'), { name: 'NotImplemented', $metadata: { httpStatusCode: 501 } }))).toBe(false)
  })
})

describe('a connection retries through its strategy', () => {
  it('rides out throttling, 5xx, resets and timeouts once the endpoint has answered, and tells its listeners', async () => {
    const conn = connect(undefined, 300)
    const heard: RetryEvent[] = []
    conn.onRetry((e) => heard.push(e))
    script = ['ok', 'throttle', 'throttle', '500', '503', 'reset', 'silent', 'ok']
    await conn.dynamodb.send(new ListTablesCommand({}))
    const out = await conn.dynamodb.send(new ListTablesCommand({}))
    expect(out.TableNames).toEqual(['t'])
    expect(out.$metadata.attempts).toBe(7)
    expect(heard.map((e) => e.kind)).toEqual(['throttle', 'throttle', 'server', 'server', 'network', 'network'])
    expect(heard.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6])
    expect(heard[0].error).toBe('ProvisionedThroughputExceededException')
    expect(heard[4].error).toBe('ECONNRESET')
    expect(conn.retryWindowMs).toBe(DEFAULT_RETRY_WINDOW_MS)
  })

  it('does not retry bad input', async () => {
    const conn = connect()
    script = ['validation', 'ok']
    await expect(conn.dynamodb.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'ValidationException' })
    expect(requests).toBe(1)
  })

  it('daily quotas are not retried (billing mode once a day, decreases per UTC day); too many operations at once is', async () => {
    const conn = connect()
    script = ['billing-quota', 'ok']
    await expect(conn.dynamodb.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'LimitExceededException', message: expect.stringMatching(/once in 1 day/) })
    expect(requests).toBe(1)
    script = ['decrease-quota', 'ok']
    await expect(conn.dynamodb.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'LimitExceededException' })
    expect(requests).toBe(2)
    script = ['concurrent-limit', 'ok']
    await expect(conn.dynamodb.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: ['t'] })
    expect(requests).toBe(4)
  })

  it('fails fast on an endpoint that never answered: 3 attempts on a refused connection', async () => {
    const closed = createServer()
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok))
    const port = (closed.address() as { port: number }).port
    await new Promise<void>((ok) => closed.close(() => ok()))
    const conn = createConnection({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, retry: fast })
    connections.push(conn)
    const err = (await conn.dynamodb.send(new ListTablesCommand({})).catch((e: unknown) => e)) as { code?: string; $metadata: { attempts: number } }
    expect(err.code).toBe('ECONNREFUSED')
    expect(err.$metadata.attempts).toBe(3)
  })

  it('fails fast on a silent endpoint that never answered (3 request timeouts)', async () => {
    const conn = connect(undefined, 100)
    script = ['silent', 'silent', 'silent', 'ok']
    const err = (await conn.dynamodb.send(new ListTablesCommand({})).catch((e: unknown) => e)) as { name: string; $metadata: { attempts: number } }
    expect(err.name).toBe('TimeoutError')
    expect(err.$metadata.attempts).toBe(3)
  })

  it('withRetryListener hears the retries of the calls made inside it only', async () => {
    const conn = connect()
    script = ['ok', 'throttle', 'ok', 'throttle', 'ok']
    await conn.dynamodb.send(new ListTablesCommand({}))
    const inside: RetryEvent[] = []
    await withRetryListener(
      (e) => inside.push(e),
      () => conn.dynamodb.send(new ListTablesCommand({})),
    )
    await conn.dynamodb.send(new ListTablesCommand({}))
    expect(requests).toBe(5)
    expect(inside).toHaveLength(1)
    expect(inside[0].kind).toBe('throttle')
  })
})

describe('TimeBoundRetryStrategy', () => {
  const throttle = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } })
  const info = (error: unknown) => ({ error, errorType: 'THROTTLING' as const }) as Parameters<TimeBoundRetryStrategy['refreshRetryTokenForRetry']>[1]
  afterEach(() => {
    vi.useRealTimers()
  })

  it('retries for as long as a call has failed for less than the window, then gives up', async () => {
    vi.useFakeTimers()
    const strategy = new TimeBoundRetryStrategy({ windowMs: 60_000, capMs: 10_000 })
    let token = await strategy.acquireInitialRetryToken('')
    for (let i = 0; i < 20; i++) {
      token = await strategy.refreshRetryTokenForRetry(token, info(throttle))
      expect(token.getRetryDelay()).toBeLessThanOrEqual(10_000)
      vi.advanceTimersByTime(2_900)
    }
    // 58 s failing: the next wait is cut to the window's end.
    expect(token.getRetryCount()).toBe(20)
    token = await strategy.refreshRetryTokenForRetry(token, info(throttle))
    expect(token.getRetryDelay()).toBeLessThanOrEqual(2_000)
    vi.advanceTimersByTime(2_000)
    await expect(strategy.refreshRetryTokenForRetry(token, info(throttle))).rejects.toBe(throttle)
  })

  it('counts the window per call: a new call starts afresh', async () => {
    vi.useFakeTimers()
    const strategy = new TimeBoundRetryStrategy({ windowMs: 1_000 })
    const old = await strategy.acquireInitialRetryToken('')
    vi.advanceTimersByTime(5_000)
    await expect(strategy.refreshRetryTokenForRetry(old, info(throttle))).rejects.toBe(throttle)
    const fresh = await strategy.acquireInitialRetryToken('')
    await expect(strategy.refreshRetryTokenForRetry(fresh, info(throttle))).resolves.toBeDefined()
  })

  it('a window of 0 means no retries', async () => {
    const strategy = new TimeBoundRetryStrategy({ windowMs: 0 })
    await expect(strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(''), info(throttle))).rejects.toBe(throttle)
  })

  it('a refused connection is retried within the window once the endpoint has answered', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', name: 'TimeoutError' })
    const before = new TimeBoundRetryStrategy(fast)
    let token = await before.acquireInitialRetryToken('')
    token = await before.refreshRetryTokenForRetry(token, info(refused))
    token = await before.refreshRetryTokenForRetry(token, info(refused))
    await expect(before.refreshRetryTokenForRetry(token, info(refused))).rejects.toBe(refused)

    const after = new TimeBoundRetryStrategy(fast)
    after.recordSuccess(await after.acquireInitialRetryToken(''))
    token = await after.acquireInitialRetryToken('')
    for (let i = 0; i < 10; i++) token = await after.refreshRetryTokenForRetry(token, info(refused))
    expect(token.getRetryCount()).toBe(10)
  })

  it('listeners hear each retry until they stop listening; the decrease quota is never retried', async () => {
    const strategy = new TimeBoundRetryStrategy(fast)
    const heard: RetryEvent[] = []
    const stop = strategy.onRetry((e) => heard.push(e))
    const token = await strategy.acquireInitialRetryToken('')
    await strategy.refreshRetryTokenForRetry(token, info(throttle))
    stop()
    await strategy.refreshRetryTokenForRetry(token, info(throttle))
    expect(heard).toHaveLength(1)
    expect(heard[0]).toMatchObject({ kind: 'throttle', error: 'ProvisionedThroughputExceededException', attempt: 1 })
    const quota = Object.assign(new Error('Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day.'), {
      name: 'LimitExceededException',
      $metadata: { httpStatusCode: 400 },
    })
    await expect(strategy.refreshRetryTokenForRetry(token, info(quota))).rejects.toBe(quota)
  })

  it('backoff is full jitter under a capped exponential ceiling', () => {
    const spy = vi.spyOn(Math, 'random').mockReturnValue(0.999999)
    expect(backoffDelay(1, { baseMs: 100, capMs: 10_000 })).toBeCloseTo(200, 0)
    expect(backoffDelay(4, { baseMs: 100, capMs: 10_000 })).toBeCloseTo(1_600, 0)
    expect(backoffDelay(40, { baseMs: 100, capMs: 10_000 })).toBeCloseTo(10_000, 0)
    spy.mockReturnValue(0)
    expect(backoffDelay(5)).toBe(0)
    spy.mockRestore()
  })
})

describe('withRetryWindow', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('gives the calls made inside it another window (capacity restores keep trying longer), and keeps the listeners around it', async () => {
    vi.useFakeTimers()
    const strategy = new TimeBoundRetryStrategy({ windowMs: 1_000 })
    const error = Object.assign(new Error('busy'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })
    const info = { error, errorType: 'THROTTLING' } as Parameters<TimeBoundRetryStrategy['refreshRetryTokenForRetry']>[1]
    const heard: RetryEvent[] = []
    const token = await strategy.acquireInitialRetryToken('')
    vi.advanceTimersByTime(10_000)
    await expect(strategy.refreshRetryTokenForRetry(token, info)).rejects.toBe(error)
    const longer = await withRetryListener(
      (e) => heard.push(e),
      () => withRetryWindow(DEFAULT_RESTORE_WINDOW_MS, () => strategy.refreshRetryTokenForRetry(token, info)),
    )
    expect(longer.getRetryCount()).toBe(1)
    expect(heard).toHaveLength(1)
  })
})
