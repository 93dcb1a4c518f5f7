/**
 * A fault-injecting HTTP proxy for the AWS JSON protocols (DynamoDB, CloudWatch, Auto Scaling),
 * put between the CLI and a real local engine (dynalite, moto) so tests see what a real endpoint
 * does on a bad day.
 *
 *   const proxy = await startFaultProxy({ upstream: engines.dynalite, seed: 42, faults: { throttle: 0.2 } })
 *   runCli(['copy', 'a', 'b', '--endpoint', proxy.url])
 *   proxy.injected('throttle', 'BatchWriteItem')   // how many it really injected
 *
 * Per request (operation read from X-Amz-Target, e.g. `DynamoDB_20120810.Scan` -> `Scan`), one
 * seeded draw per kind decides, in this order:
 *   resetBefore  destroy the client socket (TCP RST) before anything is forwarded: never applied
 *   throttle     400 ProvisionedThroughputExceededException (data plane) or ThrottlingException
 *   serverError  500 InternalServerError      unavailable  503 ServiceUnavailable
 *   latency      wait latencyMs[0]..latencyMs[1] ms before forwarding
 *   partialBatch BatchWriteItem: forward a random subset of the WriteRequests, answer the rest as
 *                UnprocessedItems (merged with what the engine itself left unprocessed)
 *   resetAfter   forward, let the engine apply it, read its answer, then reset the client socket
 *                instead of answering (the nasty case: the caller cannot know it was applied)
 * Errors and resets before forwarding never reach the engine. `operations` limits all faults to
 * those operation names; `perOperation` overrides the rates of single operations.
 *
 * `max` caps how many faults a setting injects (e.g. one reset after CreateBackup, then none),
 * `maxPerOperation` how many per operation (e.g. the first 4 calls of each fail, then they pass).
 * `set(faults)` changes the faults at run time; `schedule([{ faults, ms }, ...])` runs phases one
 * after another (the last one stays). `counts` holds what was injected per kind and operation, and
 * `requests` every request seen per operation, so a test can assert the faults really happened.
 *
 * Reproducible: every decision comes from one PRNG (mulberry32) seeded with `seed`; print the seed
 * in the test name. The order in which concurrent requests draw still depends on timing, so a seed
 * reproduces the fault mix and rates, not the exact interleaving.
 *
 * Keep-alive: clients keep pooled sockets to the proxy; a reset destroys that very socket with
 * `resetAndDestroy()` (an RST, as a load balancer dropping a connection does), so the SDK sees
 * ECONNRESET on a connection it believed alive. The proxy talks to the engine on its own pool.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

import { THROTTLED_OPERATIONS } from '../../src/metrics/reports.js'
import { listenOnLoopback } from './engines.js'

export const FAULT_KINDS = ['resetBefore', 'throttle', 'serverError', 'unavailable', 'latency', 'partialBatch', 'resetAfter'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** Probabilities (0..1) per kind of fault. */
export type FaultRates = Partial<Record<FaultKind, number>> & {
  /** Added latency range in ms (default 50-300). */
  latencyMs?: [number, number]
}

export interface Faults extends FaultRates {
  /** Only these operations are faulted (all when absent). */
  operations?: string[]
  /** Rates for single operations, replacing the general ones for them. */
  perOperation?: Record<string, FaultRates>
  /** At most this many faults (latency not counted) while these faults are set; then requests pass. */
  max?: number
  /** At most this many faults per operation while these faults are set. */
  maxPerOperation?: number
}

export interface FaultPhase {
  faults: Faults
  /** How long the phase lasts; the last phase lasts until set() or schedule() is called again. */
  ms?: number
}

export interface FaultProxyOptions {
  /** The engine's URL, e.g. http://127.0.0.1:4567. */
  upstream: string
  seed: number
  faults?: Faults
}

export interface FaultProxy {
  readonly url: string
  readonly seed: number
  /** Injected faults: counts[kind][operation]. */
  readonly counts: Record<FaultKind, Record<string, number>>
  /** Requests seen per operation (faulted or not). */
  readonly requests: Record<string, number>
  /** WriteRequests held back as UnprocessedItems by partialBatch. */
  readonly heldBack: { value: number }
  /** Resets of a socket that had already served a request (a pooled keep-alive connection). */
  readonly pooledResets: { value: number }
  /** Requests the proxy could not forward (the engine unreachable): answered 500, not counted as faults. */
  readonly proxyErrors: { value: number }
  set(faults: Faults): void
  schedule(phases: FaultPhase[]): void
  /** Injected faults of a kind, for one operation or all. */
  injected(kind: FaultKind, operation?: string): number
  /** One line per kind for messages: "throttle Scan=12 BatchWriteItem=40". */
  summary(): string
  resetCounts(): void
  close(): Promise<void>
}

/** mulberry32: a small, fast, seedable PRNG with values in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The operation name of an AWS JSON request: what follows the dot of X-Amz-Target. */
export function operationOf(headers: IncomingHttpHeaders): string {
  const target = headers['x-amz-target']
  const value = Array.isArray(target) ? target[0] : target
  if (!value) return 'unknown'
  return value.slice(value.lastIndexOf('.') + 1)
}

function serviceOf(headers: IncomingHttpHeaders): 'dynamodb' | 'cloudwatch' | 'other' {
  const target = String(headers['x-amz-target'] ?? '')
  if (target.startsWith('DynamoDB_')) return 'dynamodb'
  if (target.startsWith('GraniteServiceVersion')) return 'cloudwatch'
  return 'other'
}

// DynamoDB's data plane throttles with ProvisionedThroughputExceededException; its control plane
// (UpdateTable, CreateBackup, ...) and other services with ThrottlingException.
const DATA_PLANE = new Set<string>(THROTTLED_OPERATIONS)

interface ErrorAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

function errorAnswer(kind: 'throttle' | 'serverError' | 'unavailable', operation: string, service: ReturnType<typeof serviceOf>): ErrorAnswer {
  const prefix = service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#' : service === 'cloudwatch' ? 'com.amazonaws.cloudwatch#' : 'com.amazon.coral.availability#'
  let status: number
  let type: string
  let message: string
  if (kind === 'throttle') {
    status = 400
    if (service === 'dynamodb' && DATA_PLANE.has(operation)) {
      type = `${prefix}ProvisionedThroughputExceededException`
      message = 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.'
    } else {
      type = service === 'cloudwatch' ? `${prefix}Throttling` : 'com.amazon.coral.availability#ThrottlingException'
      message = 'Rate exceeded'
    }
  } else if (kind === 'serverError') {
    status = 500
    type = service === 'cloudwatch' ? `${prefix}InternalServiceFault` : `${prefix}InternalServerError`
    message = 'Internal server error'
  } else {
    status = 503
    type = service === 'cloudwatch' ? `${prefix}ServiceUnavailable` : 'com.amazon.coral.availability#ServiceUnavailableException'
    message = 'Service unavailable'
  }
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `fault-${kind}-${Math.random().toString(36).slice(2)}` }
  // CloudWatch speaks JSON 1.0 in AWS-query-compatible mode: its error code comes from this header.
  if (service === 'cloudwatch') headers['x-amzn-query-error'] = `${type.slice(type.indexOf('#') + 1)};${status >= 500 ? 'Receiver' : 'Sender'}`
  return { status, headers, body: JSON.stringify({ __type: type, message }) }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function emptyCounts(): Record<FaultKind, Record<string, number>> {
  return Object.fromEntries(FAULT_KINDS.map((k) => [k, {}])) as Record<FaultKind, Record<string, number>>
}

type WriteRequests = Record<string, unknown[]>

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream)
  const random = seededRandom(options.seed)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  let faults: Faults = options.faults ?? {}
  let timers: NodeJS.Timeout[] = []
  const counts = emptyCounts()
  const requests: Record<string, number> = {}
  const heldBack = { value: 0 }
  const pooledResets = { value: 0 }
  const proxyErrors = { value: 0 }
  const served = new WeakMap<Socket, number>()
  const sockets = new Set<Socket>()

  let faultsSinceSet = 0
  let perOperationSinceSet: Record<string, number> = {}
  const count = (kind: FaultKind, operation: string): void => {
    if (kind !== 'latency') {
      faultsSinceSet++
      perOperationSinceSet[operation] = (perOperationSinceSet[operation] ?? 0) + 1
    }
    counts[kind][operation] = (counts[kind][operation] ?? 0) + 1
  }

  const rateOf = (kind: FaultKind, operation: string): number => {
    if (kind !== 'latency') {
      if (faults.max !== undefined && faultsSinceSet >= faults.max) return 0
      if (faults.maxPerOperation !== undefined && (perOperationSinceSet[operation] ?? 0) >= faults.maxPerOperation) return 0
    }
    if (faults.operations && !faults.operations.includes(operation)) return 0
    const rates = faults.perOperation?.[operation] ?? faults
    return rates[kind] ?? 0
  }
  /** One draw per kind and request, taken whether or not the kind is on, so a seed's sequence does not depend on which faults are set. */
  const draw = (kind: FaultKind, operation: string): boolean => {
    const roll = random()
    return roll < rateOf(kind, operation)
  }

  const reset = (req: IncomingMessage): void => {
    const socket = req.socket
    if ((served.get(socket) ?? 0) > 1) pooledResets.value++
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
    else socket.destroy()
  }

  async function forward(req: IncomingMessage, body: Buffer, attempt = 1): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) }
    try {
      return await new Promise((resolve, reject) => {
        const out = httpRequest({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (res) => {
          readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject)
        })
        out.on('error', (error: Error & { reusedSocket?: boolean }) => reject(Object.assign(error, { reusedSocket: out.reusedSocket })))
        out.end(body)
      })
    } catch (error) {
      // The engine closed an idle pooled socket as the proxy reused it (before reading anything):
      // once more on a fresh one, so the proxy adds no fault of its own.
      if ((error as { reusedSocket?: boolean }).reusedSocket && attempt === 1) return forward(req, body, 2)
      throw error
    }
  }

  /** Splits a BatchWriteItem body into what is forwarded and what is held back (random subset). */
  function splitBatch(body: Buffer): { forwarded: Buffer | undefined; held: WriteRequests; heldCount: number } {
    const parsed = JSON.parse(body.toString('utf8')) as { RequestItems: WriteRequests } & Record<string, unknown>
    const keep: WriteRequests = {}
    const held: WriteRequests = {}
    let kept = 0
    let heldCount = 0
    for (const [table, writes] of Object.entries(parsed.RequestItems)) {
      for (const write of writes) {
        const target = random() < 0.5 ? held : keep
        ;(target[table] ??= []).push(write)
        if (target === held) heldCount++
        else kept++
      }
    }
    const forwarded = kept > 0 ? Buffer.from(JSON.stringify({ ...parsed, RequestItems: keep })) : undefined
    return { forwarded, held, heldCount }
  }

  function mergeUnprocessed(answer: Buffer, held: WriteRequests): Buffer {
    const parsed = JSON.parse(answer.toString('utf8')) as { UnprocessedItems?: WriteRequests } & Record<string, unknown>
    const unprocessed: WriteRequests = { ...(parsed.UnprocessedItems ?? {}) }
    for (const [table, writes] of Object.entries(held)) unprocessed[table] = [...(unprocessed[table] ?? []), ...writes]
    return Buffer.from(JSON.stringify({ ...parsed, UnprocessedItems: unprocessed }))
  }

  function send(res: ServerResponse, status: number, headers: IncomingHttpHeaders | Record<string, string>, body: Buffer | string): void {
    const h: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(headers)) {
      // The body may have been rewritten: its length and checksum are recomputed or dropped.
      if (v === undefined || ['content-length', 'x-amz-crc32', 'transfer-encoding', 'connection'].includes(k.toLowerCase())) continue
      h[k] = v
    }
    h['content-length'] = String(Buffer.byteLength(body))
    res.writeHead(status, h)
    res.end(body)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const operation = operationOf(req.headers)
    const service = serviceOf(req.headers)
    requests[operation] = (requests[operation] ?? 0) + 1
    // Draw every kind now, in a fixed order, so decisions do not depend on how the body arrives.
    const hit = Object.fromEntries(FAULT_KINDS.map((k) => [k, draw(k, operation)])) as Record<FaultKind, boolean>
    const rates = faults.perOperation?.[operation] ?? faults
    const [low, high] = rates.latencyMs ?? faults.latencyMs ?? [50, 300]
    const delay = low + Math.floor(random() * (high - low + 1))

    if (hit.resetBefore) {
      count('resetBefore', operation)
      reset(req)
      return
    }
    const body = await readBody(req)
    for (const kind of ['throttle', 'serverError', 'unavailable'] as const) {
      if (!hit[kind]) continue
      count(kind, operation)
      const answer = errorAnswer(kind, operation, service)
      send(res, answer.status, answer.headers, answer.body)
      return
    }
    if (hit.latency) {
      count('latency', operation)
      await sleep(delay)
    }
    let toForward: Buffer | undefined = body
    let held: WriteRequests | undefined
    if (hit.partialBatch && operation === 'BatchWriteItem' && service === 'dynamodb') {
      const split = splitBatch(body)
      if (split.heldCount > 0) {
        count('partialBatch', operation)
        heldBack.value += split.heldCount
        held = split.held
        toForward = split.forwarded
      }
    }
    let answer: { status: number; headers: IncomingHttpHeaders | Record<string, string>; body: Buffer }
    if (toForward === undefined) {
      // Everything held back: the engine sees nothing, the caller gets it all back.
      answer = { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from(JSON.stringify({ UnprocessedItems: held })) }
    } else {
      answer = await forward(req, toForward)
      if (held && answer.status === 200) answer.body = mergeUnprocessed(answer.body, held)
    }
    if (hit.resetAfter) {
      count('resetAfter', operation)
      reset(req)
      return
    }
    send(res, answer.status, answer.headers, answer.body)
  }

  const server: Server = createServer((req, res) => {
    served.set(req.socket, (served.get(req.socket) ?? 0) + 1)
    handle(req, res).catch((error: unknown) => {
      proxyErrors.value++
      if (res.headersSent || req.socket.destroyed) return
      const text = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: `fault proxy: ${(error as Error).message}` })
      send(res, 500, { 'content-type': 'application/x-amz-json-1.0' }, text)
    })
  })
  server.keepAliveTimeout = 30_000
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    // A reset socket may still report ECONNRESET/EPIPE; that is the point, not a proxy failure.
    socket.on('error', () => undefined)
  })
  const port = await listenOnLoopback(server, 'fault proxy')

  const clearTimers = (): void => {
    for (const t of timers) clearTimeout(t)
    timers = []
  }

  return {
    url: `http://127.0.0.1:${port}`,
    seed: options.seed,
    counts,
    requests,
    heldBack,
    pooledResets,
    proxyErrors,
    set(next) {
      clearTimers()
      faults = next
      faultsSinceSet = 0
      perOperationSinceSet = {}
    },
    schedule(phases) {
      clearTimers()
      let at = 0
      phases.forEach((phase, i) => {
        const start = (): void => {
          faults = phase.faults
          faultsSinceSet = 0
          perOperationSinceSet = {}
        }
        if (i === 0) start()
        else timers.push(setTimeout(start, at).unref())
        at += phase.ms ?? 0
      })
    },
    injected(kind, operation) {
      const byOperation = counts[kind]
      return operation === undefined ? Object.values(byOperation).reduce((a, b) => a + b, 0) : (byOperation[operation] ?? 0)
    },
    summary() {
      const list = (byOperation: Record<string, number>) =>
        Object.entries(byOperation)
          .map(([op, n]) => `${op}=${n}`)
          .join(' ') || '-'
      return `${FAULT_KINDS.map((k) => `${k} ${list(counts[k])}`).join('; ')}; requests ${list(requests)}; pooled resets ${pooledResets.value}; proxy errors ${proxyErrors.value} (seed ${options.seed})`
    },
    resetCounts() {
      for (const k of FAULT_KINDS) counts[k] = {}
      for (const op of Object.keys(requests)) delete requests[op]
      heldBack.value = 0
      pooledResets.value = 0
      proxyErrors.value = 0
    },
    close() {
      clearTimers()
      agent.destroy()
      for (const s of sockets) s.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
