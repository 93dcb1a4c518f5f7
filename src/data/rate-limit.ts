import { setTimeout as sleep } from 'node:timers/promises'

/**
 * A token bucket in capacity units per second, fed by what DynamoDB reports as consumed
 * (ReturnConsumedCapacity). A request waits while the bucket is in debt; its real cost is
 * charged afterwards, so a 1 MB page (128 RCU) on a 50 RCU budget waits ~2.6 s before the next.
 */
export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => {}),
}

export class TokenBucket {
  private tokens: number
  private last: number

  /** @param perSecond sustained units per second; bursts are capped at one second's worth. */
  constructor(
    readonly perSecond: number,
    private readonly clock: Clock = realClock,
  ) {
    if (!(perSecond > 0)) throw new RangeError(`A rate limit must be above 0, got ${perSecond}`)
    this.tokens = perSecond
    this.last = clock.now()
  }

  private refill(): void {
    const now = this.clock.now()
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond)
    this.last = now
  }

  private turn: Promise<void> = Promise.resolve()

  /**
   * Waits until the bucket holds `units` (capped at one second's worth; 0 means "out of debt"),
   * then takes them. Callers are served one at a time, so sixteen workers waking together do not
   * all pass on the same credit; settle the estimate with `charge(actual - units)` afterwards.
   */
  async acquire(units = 0, signal?: AbortSignal): Promise<void> {
    const mine = this.turn.then(() => this.waitFor(units, signal))
    this.turn = mine.catch(() => {})
    await mine
  }

  private async waitFor(units: number, signal?: AbortSignal): Promise<void> {
    const need = Math.min(units, this.perSecond)
    for (;;) {
      this.refill()
      if (this.tokens >= need && this.tokens > 0) {
        this.tokens -= units
        return
      }
      const waitMs = ((Math.max(need, 1e-3) - this.tokens) / this.perSecond) * 1000
      await this.clock.sleep(Math.max(5, waitMs), signal)
      if (signal?.aborted) return
    }
  }

  /** Charges (or, negative, refunds) units; the bucket may go into debt. */
  charge(units: number): void {
    this.refill()
    this.tokens -= units
  }
}
