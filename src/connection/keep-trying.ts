import { setTimeout as sleep } from 'node:timers/promises'

import { CapacityNotSetError } from '../errors.js'
import { backoffDelay, isDecreaseQuotaError, retryKindOf, withRetryWindow, type RetryKind } from './retry.js'

/**
 * Retries by hand what the SDK retry strategy cannot: a whole step (read, decide, update, wait)
 * that failed because the table is busy (ResourceInUseException while UPDATING), because too many
 * table operations run at once (LimitExceededException that is not the decrease quota), or after
 * the SDK gave up on throttling, 5xx or a reset. The step is run again from the start, so it must
 * read what it needs each time (a step that reads the current values is safe to repeat).
 */

export type KeepTryingKind = RetryKind | 'busy'

export interface KeepTryingEvent {
  kind: KeepTryingKind
  /** The error's name or code. */
  error: string
  /** Retries so far, this one included. */
  attempt: number
  delayMs: number
  /** How long this step has been failing. */
  failingForMs: number
  windowMs: number
}

export interface KeepTryingOptions {
  /** Give up once the step has been failing this long. */
  windowMs: number
  /** First backoff step (default 500 ms); the waits grow to capMs (default 15 s) with full jitter. */
  baseMs?: number
  capMs?: number
  /** The endpoint already answered this run: a refused connection is then a blip, not a wrong --endpoint. */
  reached?: boolean
  onRetry?: (event: KeepTryingEvent) => void
}

interface ErrorLike {
  name?: string
  code?: string
  message?: string
  cause?: unknown
  $metadata?: { httpStatusCode?: number }
}

/** The error and the errors it wraps (dynx wraps SDK errors in typed ones, keeping them as `cause`). */
export function errorChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = []
  let e: unknown = err
  while (e && typeof e === 'object' && chain.length < 6) {
    chain.push(e as ErrorLike)
    e = (e as ErrorLike).cause
  }
  return chain
}

/** Codes meaning the endpoint was never reached: a wrong --endpoint, not a blip, until it once answered. */
const NOT_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
const ATTEMPTS_BEFORE_FIRST_ANSWER = 3

/**
 * Why a failed capacity step is worth another go, or undefined when it is not: the decrease quota
 * (no amount of waiting today helps), bad input, a missing table, credentials...
 */
export function keepTryingKindOf(err: unknown): KeepTryingKind | undefined {
  const chain = errorChain(err)
  if (chain.some((e) => isDecreaseQuotaError(e))) return undefined
  // "Attempt to change a resource which is still in use": the table is UPDATING or CREATING.
  if (chain.some((e) => e.name === 'ResourceInUseException')) return 'busy'
  // An update finished but the table reads other values (a later-ending update put them back).
  if (chain.some((e) => e instanceof CapacityNotSetError)) return 'busy'
  for (const e of chain) {
    const kind = retryKindOf(e)
    if (kind) return kind
  }
  return undefined
}

function notReached(err: unknown): boolean {
  const chain = errorChain(err)
  return !chain.some((e) => e.$metadata?.httpStatusCode !== undefined) && chain.some((e) => e.code !== undefined && NOT_REACHED.has(e.code))
}

function sdkRetryDelay(err: unknown): number {
  for (const e of errorChain(err)) {
    const delay = (e.$metadata as { totalRetryDelay?: number } | undefined)?.totalRetryDelay
    if (typeof delay === 'number') return delay
  }
  return 0
}

function errorName(err: unknown): string {
  for (const e of errorChain(err)) {
    if (e.code) return e.code
    if (e.name && e.name !== 'Error' && e.name !== 'DynxError' && e.name !== 'EndpointUnreachableError') return e.name
  }
  return (err as Error)?.name ?? 'Error'
}

/**
 * Runs `step` until it succeeds, a failure is not worth retrying, or it has been failing for
 * `windowMs`; then the last error is thrown. An endpoint that never answered gets three tries.
 */
export async function keepTrying<T>(step: (attempt: number) => Promise<T>, options: KeepTryingOptions): Promise<T> {
  let firstFailure: number | undefined
  let attempt = 0
  let answered = options.reached ?? false
  for (;;) {
    try {
      // The SDK's own retries inside the step count against this window, not on top of it.
      const left = firstFailure === undefined ? options.windowMs : Math.max(0, options.windowMs - (Date.now() - firstFailure))
      return await withRetryWindow(left, () => step(attempt))
    } catch (err) {
      const kind = keepTryingKindOf(err)
      if (!kind) throw err
      if (!notReached(err)) answered = true
      // The step may have been failing inside the SDK for a while already (its retries' total wait).
      firstFailure ??= Date.now() - sdkRetryDelay(err)
      attempt++
      if (!answered && attempt >= ATTEMPTS_BEFORE_FIRST_ANSWER) throw err
      const failingForMs = Date.now() - firstFailure
      if (failingForMs >= options.windowMs) throw err
      const delayMs = Math.min(backoffDelay(attempt, { baseMs: options.baseMs ?? 500, capMs: options.capMs ?? 15_000 }), options.windowMs - failingForMs)
      options.onRetry?.({ kind, error: errorName(err), attempt, delayMs, failingForMs, windowMs: options.windowMs })
      await sleep(delayMs)
    }
  }
}
