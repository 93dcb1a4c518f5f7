export interface PagesInFlightOptions<P> {
  /** Starts the page's writes; resolves when every item of it is acknowledged or dead-lettered. */
  work: (page: P) => Promise<void>
  /** Items in flight past which no more pages are handed out (once `minPages` are). */
  maxItems: number
  /** Pages always allowed in flight, whatever their size (default 2: the writers never wait for the tail of one page). */
  minPages?: number
  /** After each page is handed out (progress). */
  handedOut?: () => void
}

/**
 * Hands each page read to `work` as it arrives, with a bounded number of its items between hand-out
 * and acknowledgement. The first failure aborts `abort` (stopping the reader) and is thrown once
 * every page in hand has settled. Returns true when every page was done, false when `abort` was
 * aborted from outside (Ctrl-C), whose abort error from the reader is not a failure. Never returns
 * or throws before every page handed out has settled, so a caller's checkpoint is final.
 */
export async function runPagesInFlight<P extends { items: readonly unknown[] }>(
  pages: AsyncIterable<P>,
  abort: AbortController,
  options: PagesInFlightOptions<P>,
): Promise<boolean> {
  const minPages = options.minPages ?? 2
  const inFlight = new Set<Promise<void>>()
  let items = 0
  let failure: unknown
  try {
    for await (const page of pages) {
      if (failure) break
      const n = page.items.length
      items += n
      const p: Promise<void> = options.work(page).then(
        () => {
          items -= n
          inFlight.delete(p)
        },
        (err: unknown) => {
          items -= n
          inFlight.delete(p)
          if (!abort.signal.aborted) failure ??= err
          abort.abort()
        },
      )
      inFlight.add(p)
      options.handedOut?.()
      while (items >= options.maxItems && inFlight.size >= minPages && !failure) await Promise.race(inFlight)
    }
    await Promise.allSettled(inFlight)
    if (failure) throw failure
    return !abort.signal.aborted
  } catch (err) {
    // Interrupted reads surface as abort errors; anything else is a real failure.
    if (!abort.signal.aborted || failure) throw failure ?? err
    return false
  } finally {
    abort.abort()
    await Promise.allSettled(inFlight)
  }
}
