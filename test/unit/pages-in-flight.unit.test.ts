import { setTimeout as sleep } from 'node:timers/promises'

import { describe, expect, it } from 'vitest'

import { runPagesInFlight } from '../../src/data/pages-in-flight.js'

interface Page {
  n: number
  items: number[]
}

/** Pages of the given sizes, read one after another until the signal stops the reader. */
async function* reader(sizes: number[], signal: AbortSignal, read: number[]): AsyncGenerator<Page> {
  for (const [n, size] of sizes.entries()) {
    if (signal.aborted) throw new Error('aborted')
    read.push(n)
    yield { n, items: Array.from({ length: size }, (_, i) => i) }
  }
}

describe('runPagesInFlight', () => {
  it('keeps at most maxItems in flight once minPages are, and returns true when every page is done', async () => {
    const abort = new AbortController()
    let items = 0
    let pages = 0
    const peaks = { items: 0, pages: 0 }
    const done: number[] = []
    const complete = await runPagesInFlight(reader([10, 10, 10, 30, 5, 5, 5, 5], abort.signal, []), abort, {
      maxItems: 20,
      work: async (page) => {
        items += page.items.length
        pages++
        peaks.items = Math.max(peaks.items, items)
        peaks.pages = Math.max(peaks.pages, pages)
        await sleep(5 + (page.n % 3))
        items -= page.items.length
        pages--
        done.push(page.n)
      },
    })
    expect(complete).toBe(true)
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    // A page is handed out while fewer than 20 items are out, or fewer than two pages: the 30-item
    // page goes out beside one 10-item page (40), never beside two (50); unbounded, all 80 would be out.
    expect(peaks.items).toBe(40)
    expect(peaks.pages).toBeLessThanOrEqual(4)
  })

  it('the first failure stops the reader and is thrown only after every page handed out has settled', async () => {
    const abort = new AbortController()
    const read: number[] = []
    const settled: number[] = []
    const run = runPagesInFlight(reader([1, 1, 1, 1, 1, 1], abort.signal, read), abort, {
      maxItems: 0,
      work: async (page) => {
        if (page.n === 1) throw new Error('page 1 failed')
        await sleep(page.n === 0 ? 30 : 1)
        settled.push(page.n)
      },
    })
    await expect(run).rejects.toThrow('page 1 failed')
    expect(settled).toContain(0)
    expect(abort.signal.aborted).toBe(true)
    expect(read.length).toBeLessThan(6)
  })

  it('an abort from outside (Ctrl-C) is no failure: false, after the pages in hand settled', async () => {
    const abort = new AbortController()
    const settled: number[] = []
    const run = runPagesInFlight(reader([1, 1, 1, 1, 1, 1], abort.signal, []), abort, {
      maxItems: 0,
      work: async (page) => {
        if (page.n === 1) abort.abort()
        await sleep(10)
        settled.push(page.n)
      },
    })
    await expect(run).resolves.toBe(false)
    expect(settled.sort()).toEqual([0, 1])
  })
})
