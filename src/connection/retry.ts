import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types'

/**
 * One retry policy for every AWS call dynx makes (DynamoDB, CloudWatch, Application Auto Scaling).
 *
 * The SDK's standard strategy gives up after 3 attempts and shares a retry quota that a long run
 * of throttling drains for every later call. A ten-hour copy has to ride out throttling, 5xx and
 * connection resets instead, so a call is retried with capped exponential backoff and full jitter
 * for as long as it has been failing for less than `windowMs` (time without progress), however
 * many attempts that takes. The SDK's own error classification decides what is retryable.
 */

/** How long one call keeps retrying throttling, 5xx and network errors by default. */
export const DEFAULT_RETRY_WINDOW_MS = 5 * 60_000
/** How long putting capacity back keeps trying by default: raised capacity is money. */
export const DEFAULT_RESTORE_WINDOW_MS = 15 * 60_000
/** Attempts allowed for a refused connection before the endpoint ever answered (a wrong --endpoint fails fast). */
const ATTEMPTS_BEFORE_FIRST_ANSWER = 3

export type RetryKind = 'throttle' | 'server' | 'network'

export interface RetryEvent {
  kind: RetryKind
  /** The error's name or code, e.g. ProvisionedThroughputExceededException, ECONNRESET. */
  error: string
  /** Retries of this call so far, this one included. */
  attempt: number
  /** Wait before the next attempt. */
  delayMs: number
  /** How long this call has been failing. */
  failingForMs: number
}

export interface RetryPolicyOptions {
  /** Give up once a call has been failing this long (default DEFAULT_RETRY_WINDOW_MS). */
  windowMs?: number
  /** First backoff step for 5xx and network errors. */
  baseMs?: number
  /** First backoff step for throttling. */
  throttleBaseMs?: number
  /** Longest single wait. */
  capMs?: number
  /** Told about every retry (progress displays, scan slow-down). */
  onRetry?: (event: RetryEvent) => void
}

/** Exponential backoff with full jitter (AWS architecture blog), capped. */
export function backoffDelay(attempt: number, { baseMs = 50, capMs = 5_000 }: { baseMs?: number; capMs?: number } = {}): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30))
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
])
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalServerError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException'])
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_SOCKET_CONNECTION_TIMEOUT'])
/** Codes that mean nothing answered at all: a wrong endpoint until the endpoint was once reached. */
const NOT_REACHED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

interface ErrorLike {
  name?: string
  code?: string
  message?: string
  cause?: unknown
  $metadata?: { httpStatusCode?: number }
  $retryable?: { throttling?: boolean }
}

function errorCodeOf(err: ErrorLike, depth = 0): string | undefined {
  if (err.code) return err.code
  if (depth < 5 && err.cause && typeof err.cause === 'object') return errorCodeOf(err.cause as ErrorLike, depth + 1)
  return undefined
}

/**
 * DynamoDB's decrease quota ("Subscriber limit exceeded: Provisioned throughput decreases are
 * limited within a given UTC day"): a LimitExceededException that no amount of waiting today fixes.
 */
export function isDecreaseQuotaError(err: unknown): boolean {
  const e = err as ErrorLike | undefined
  return e?.name === 'LimitExceededException' && /decrease/i.test(e.message ?? '')
}

/** Why a failed call is worth another try, or undefined when it is not (bad input, missing table, credentials...). */
export function retryKindOf(err: unknown): RetryKind | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as ErrorLike
  if (e.name === 'AbortError') return undefined
  if (isDecreaseQuotaError(err)) return undefined
  const status = e.$metadata?.httpStatusCode
  if (THROTTLING.has(e.name ?? '') || status === 429 || e.$retryable?.throttling) return 'throttle'
  const code = errorCodeOf(e)
  if (code && NETWORK_CODES.has(code)) return 'network'
  if (TRANSIENT_NAMES.has(e.name ?? '')) return e.name === 'TimeoutError' || e.name?.startsWith('RequestTimeout') ? 'network' : 'server'
  if (status !== undefined && status >= 500 && status <= 599) return 'server'
  if (/socket hang up|ECONNRESET|EPIPE/i.test(e.message ?? '')) return 'network'
  return undefined
}

export function isRetryableError(err: unknown): boolean {
  return retryKindOf(err) !== undefined
}

class RetryToken implements StandardRetryToken {
  constructor(
    readonly startedAt: number,
    private readonly count: number,
    private readonly delay: number,
  ) {}
  getRetryCount(): number {
    return this.count
  }
  getRetryDelay(): number {
    return this.delay
  }
  getRetryCost(): number | undefined {
    return undefined
  }
}

/**
 * The SDK retry strategy (RetryStrategyV2, plugged in as the clients' `retryStrategy`) behind
 * every dynx connection. Listeners added with `onRetry` hear every retry of any call.
 */
export class TimeBoundRetryStrategy implements RetryStrategyV2 {
  readonly windowMs: number
  private readonly baseMs: number
  private readonly throttleBaseMs: number
  private readonly capMs: number
  private readonly listeners = new Set<(event: RetryEvent) => void>()
  /** Whether the endpoint ever answered; until then a refused connection is a wrong endpoint, not a blip. */
  private answered = false

  constructor(options: RetryPolicyOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_RETRY_WINDOW_MS
    this.baseMs = options.baseMs ?? 50
    this.throttleBaseMs = options.throttleBaseMs ?? 100
    this.capMs = options.capMs ?? 10_000
    if (options.onRetry) this.listeners.add(options.onRetry)
  }

  /** Hear every retry; returns a function that stops listening. */
  onRetry(listener: (event: RetryEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async acquireInitialRetryToken(_scope: string): Promise<StandardRetryToken> {
    return new RetryToken(Date.now(), 0, 0)
  }

  async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    const err = errorInfo.error as ErrorLike
    if (err.$metadata?.httpStatusCode !== undefined) this.answered = true
    const kind = retryKindOf(err)
    if (!kind) throw err
    const startedAt = (token as RetryToken).startedAt ?? Date.now()
    const failingForMs = Date.now() - startedAt
    const attempt = token.getRetryCount() + 1
    const code = errorCodeOf(err)
    if (!this.answered && code && NOT_REACHED_CODES.has(code) && attempt >= ATTEMPTS_BEFORE_FIRST_ANSWER) throw err
    let delayMs = backoffDelay(attempt, { baseMs: kind === 'throttle' ? this.throttleBaseMs : this.baseMs, capMs: this.capMs })
    const hint = errorInfo.retryAfterHint
    if (hint instanceof Date) delayMs = Math.max(delayMs, Math.min(hint.getTime() - Date.now(), this.capMs))
    // Never wait past the window: the last attempt comes at its end, not after it.
    if (failingForMs + delayMs > this.windowMs) {
      if (failingForMs >= this.windowMs) throw err
      delayMs = this.windowMs - failingForMs
    }
    const event: RetryEvent = { kind, error: err.name && err.name !== 'Error' ? err.name : (code ?? 'Error'), attempt, delayMs, failingForMs }
    for (const listener of this.listeners) listener(event)
    return new RetryToken(startedAt, attempt, delayMs)
  }

  recordSuccess(_token: StandardRetryToken): void {
    this.answered = true
  }
}
