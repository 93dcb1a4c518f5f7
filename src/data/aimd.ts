import pLimit from 'p-limit'

/**
 * Concurrency that eases off a throttled table: additive increase, multiplicative decrease (AIMD,
 * as TCP does). Throttling halves the number of tasks allowed at once (once a second at most: the
 * tasks already running report the same congestion), and every `concurrency` successes in a row
 * raise it by one, back up to `max`. The copy's writers and the segments of a scan share it.
 */
export class AdaptiveConcurrency {
  readonly max: number
  private readonly limit: ReturnType<typeof pLimit>
  private successesSinceChange = 0
  private lastDecrease = Number.NEGATIVE_INFINITY

  constructor(max: number) {
    this.max = Math.max(1, max)
    this.limit = pLimit(this.max)
  }

  /** Tasks allowed at once right now. */
  get concurrency(): number {
    return this.limit.concurrency
  }

  /** Runs `fn` when a slot is free. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.limit(fn)
  }

  throttled(): void {
    const now = performance.now()
    if (now - this.lastDecrease < 1000) return
    this.lastDecrease = now
    this.set(Math.max(1, Math.floor(this.limit.concurrency / 2)))
  }

  succeeded(): void {
    if (this.limit.concurrency >= this.max) return
    if (++this.successesSinceChange >= this.limit.concurrency) this.set(this.limit.concurrency + 1)
  }

  private set(n: number): void {
    this.successesSinceChange = 0
    this.limit.concurrency = n
  }
}
