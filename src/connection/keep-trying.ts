import { setTimeout as sleep } from 'node:timers/promises'

import { CapacityNotSetError, errorChain } from '../errors.js'
import { ATTEMPTS_BEFORE_FIRST_ANSWER, backoffDelay, isDailyQuotaError, isNotReached, retryKindOf, withRetryWindow, type RetryKind } from './retry.js'

/**
 * Retries by hand what the SDK retry strategy cannot: a whole step (read, decide, update, wait)
 * that failed because the table is busy (ResourceInUseException while UPDATING), because too many
 * table operations run at once (LimitExceededException that is not a daily quota), or after
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

/**
 * Why a failed capacity step is worth another go, or undefined when it is not: a daily quota
 * (no amount of waiting today helps), bad input, a missing table, credentials...
 */
export function keepTryingKindOf(err: unknown): KeepTryingKind | undefined {
  const chain = errorChain(err)
  if (chain.some((e) => isDailyQuotaError(e))) return undefined
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

function sdkRetryDelay(err: unknown): number {
  for (const e of errorChain(err)) {
    const delay = e.$metadata?.totalRetryDelay
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
      if (!isNotReached(err)) answered = true
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
