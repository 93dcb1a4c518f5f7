import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types'
import { AsyncLocalStorage } from 'node:async_hooks'

import { errorChain, errorCode, isUnknownOperation } from '../errors.js'

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
/**
 * Attempts allowed for a network error (refused, timeout, reset) before the endpoint ever answered
 * (see isNotReached): a wrong or unreachable --endpoint fails fast, here and in keepTrying.
 */
export const ATTEMPTS_BEFORE_FIRST_ANSWER = 3

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

/**
 * Backoff of what the SDK cannot retry by itself (items returned as UnprocessedItems): its steps,
 * and how long without progress before giving up (default: the connection's retry window).
 */
export interface BackoffOptions {
  baseMs?: number
  capMs?: number
  windowMs?: number
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
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
])
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
])

interface ErrorLike {
  name?: string
  code?: string
  message?: string
  cause?: unknown
  errors?: unknown
  $metadata?: { httpStatusCode?: number }
  $retryable?: { throttling?: boolean }
}

/** The SDK's own classification (RetryErrorInfo.errorType), for shapes the lists above miss. */
const KIND_OF_SDK_TYPE: Record<string, RetryKind | undefined> = { THROTTLING: 'throttle', TRANSIENT: 'network', SERVER_ERROR: 'server' }

/**
 * DynamoDB's decrease quota ("Subscriber limit exceeded: Provisioned throughput decreases are
 * limited within a given UTC day"): a LimitExceededException that no amount of waiting today fixes.
 */
export function isDecreaseQuotaError(err: unknown): boolean {
  const e = err as ErrorLike | undefined
  return e?.name === 'LimitExceededException' && /decrease/i.test(e.message ?? '')
}

/**
 * A LimitExceededException for a daily quota, which no backoff outlasts: the decrease quota, and
 * the like of "Update to PayPerRequest mode are limited to once in 1 day(s)". The other kind,
 * too many table operations at once ("Subscriber limit exceeded: Only 10 tables can be created,
 * updated, or deleted simultaneously"), passes as the others finish, and is retried as throttling.
 */
export function isDailyQuotaError(err: unknown): boolean {
  const e = err as ErrorLike | undefined
  return e?.name === 'LimitExceededException' && (isDecreaseQuotaError(e) || /\bday(\(s\)|s)?\b|\bdaily\b|24 hours/i.test(e.message ?? ''))
}

/**
 * Errors no wait fixes: an abort, a daily quota, and an operation the engine does not
 * implement (moto and DynamoDB Local answer some with a 5xx or 501 "not implemented").
 */
function neverRetried(e: ErrorLike): boolean {
  return e.name === 'AbortError' || isDailyQuotaError(e) || e.$metadata?.httpStatusCode === 501 || isUnknownOperation(e)
}

/** Why a failed call is worth another try, or undefined when it is not (bad input, missing table, credentials...). */
export function retryKindOf(err: unknown): RetryKind | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as ErrorLike
  if (neverRetried(e)) return undefined
  const status = e.$metadata?.httpStatusCode
  if (THROTTLING.has(e.name ?? '') || status === 429 || e.$retryable?.throttling) return 'throttle'
  const code = errorCode(e)
  if (code && NETWORK_CODES.has(code)) return 'network'
  if (TRANSIENT_NAMES.has(e.name ?? '')) return e.name === 'TimeoutError' || e.name?.startsWith('RequestTimeout') ? 'network' : 'server'
  if (status !== undefined && status >= 500 && status <= 599) return 'server'
  if (/socket hang up|ECONNRESET|EPIPE/i.test(e.message ?? '')) return 'network'
  return undefined
}

/** What the calls started inside withRetryListener / withRetryWindow add to their connection's policy. */
interface CallContext {
  listeners: ReadonlyArray<(event: RetryEvent) => void>
  windowMs?: number
}
const callContext = new AsyncLocalStorage<CallContext>()

/**
 * Runs `fn` so that the retries of the AWS calls it starts (and only those) are also told to
 * `listener`: a connection's strategy is shared by all its calls, and a scan or a writer wants to
 * hear its own throttling, not another's.
 */
export function withRetryListener<T>(listener: (event: RetryEvent) => void, fn: () => Promise<T>): Promise<T> {
  const outer = callContext.getStore()
  return callContext.run({ ...outer, listeners: [...(outer?.listeners ?? []), listener] }, fn)
}

/**
 * Runs `fn` with another retry window for the AWS calls it starts, e.g. DEFAULT_RESTORE_WINDOW_MS
 * for putting capacity back, which must keep trying far longer than a data call.
 */
export function withRetryWindow<T>(windowMs: number, fn: () => Promise<T>): Promise<T> {
  return callContext.run({ listeners: callContext.getStore()?.listeners ?? [], windowMs }, fn)
}

/**
 * Whether a failure says the endpoint never answered: a network error (refused, no such host,
 * connect or request timeout, reset) with no HTTP status on it or on anything it wraps. Until an
 * endpoint has answered once, such a failure gets ATTEMPTS_BEFORE_FIRST_ANSWER tries: the one rule
 * of both the SDK strategy (per call) and keepTrying (per step).
 */
export function isNotReached(err: unknown): boolean {
  const chain = errorChain(err)
  return !chain.some((e) => e.$metadata?.httpStatusCode !== undefined) && chain.some((e) => retryKindOf(e) === 'network')
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
  /** Whether the endpoint ever answered; until then a network error is a wrong endpoint, not a blip. */
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
    const kind = retryKindOf(err) ?? (neverRetried(err) ? undefined : KIND_OF_SDK_TYPE[errorInfo.errorType])
    if (!kind) throw err
    const context = callContext.getStore()
    const windowMs = context?.windowMs ?? this.windowMs
    const startedAt = (token as RetryToken).startedAt ?? Date.now()
    const failingForMs = Date.now() - startedAt
    const attempt = token.getRetryCount() + 1
    const code = errorCode(err)
    // Nothing ever answered (refused, no such host, connect or request timeout, reset): a wrong
    // endpoint, not a blip; it fails after a few attempts instead of at the end of the window.
    if (!this.answered && isNotReached(err) && attempt >= ATTEMPTS_BEFORE_FIRST_ANSWER) throw err
    let delayMs = backoffDelay(attempt, { baseMs: kind === 'throttle' ? this.throttleBaseMs : this.baseMs, capMs: this.capMs })
    const hint = errorInfo.retryAfterHint
    if (hint instanceof Date) delayMs = Math.max(delayMs, Math.min(hint.getTime() - Date.now(), this.capMs))
    // Never wait past the window: the last attempt comes at its end, not after it.
    if (failingForMs + delayMs > windowMs) {
      if (failingForMs >= windowMs) throw err
      delayMs = windowMs - failingForMs
    }
    // A reset comes as a TimeoutError whose code says what happened (ECONNRESET): the code tells more.
    const event: RetryEvent = { kind, error: code ?? (err.name || 'Error'), attempt, delayMs, failingForMs }
    for (const listener of this.listeners) listener(event)
    for (const listener of context?.listeners ?? []) listener(event)
    return new RetryToken(startedAt, attempt, delayMs)
  }

  recordSuccess(_token: StandardRetryToken): void {
    this.answered = true
  }
}
