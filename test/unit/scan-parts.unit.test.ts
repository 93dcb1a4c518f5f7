import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import { scanProgressText } from '../../src/cli/render.js'
import { TokenBucket } from '../../src/data/rate-limit.js'
import { UserInputError } from '../../src/errors.js'
import { ScanCheckpoint } from '../../src/scan/checkpoint.js'
import { parseSegmentRange } from '../../src/scan/export.js'
import { buildProjection } from '../../src/scan/expressions.js'
import { csvField } from '../../src/scan/output.js'
import { defaultSegmentCount, validateScanOptions, type ScanPage } from '../../src/scan/parallel-scan.js'
import { tempDir } from '../helpers.js'

describe('projection from --attributes', () => {
  it('escapes every name, so reserved words and odd names just work', () => {
    const p = buildProjection(['name', 'status', 'size', 'address.city', 'tags[0]', 'name'])
    expect(p.expression).toBe('#dynx0, #dynx1, #dynx2, #dynx3.#dynx4, #dynx5[0], #dynx0')
    expect(p.names).toEqual({ '#dynx0': 'name', '#dynx1': 'status', '#dynx2': 'size', '#dynx3': 'address', '#dynx4': 'city', '#dynx5': 'tags' })
    expect(p.columns).toEqual(['name', 'status', 'size', 'address', 'tags'])
  })

  it('rejects an empty list or a broken path', () => {
    expect(() => buildProjection([' ', ''])).toThrow(UserInputError)
    expect(() => buildProjection(['a[x]'])).toThrow(/not an attribute path/)
  })
})

describe('segments', () => {
  it('defaults to one segment per 2 GB, at least one', () => {
    expect(defaultSegmentCount(undefined)).toBe(1)
    expect(defaultSegmentCount(0)).toBe(1)
    expect(defaultSegmentCount(2 * 1024 ** 3)).toBe(1)
    expect(defaultSegmentCount(2 * 1024 ** 3 + 1)).toBe(2)
    expect(defaultSegmentCount(100 * 1024 ** 3)).toBe(50)
  })

  it('rejects 0, too many, and ranges outside the total', () => {
    expect(() => validateScanOptions({ segments: 0 })).toThrow(/--segments must be a whole number from 1/)
    expect(() => validateScanOptions({ segments: 1_000_001 })).toThrow(UserInputError)
    expect(() => validateScanOptions({ segments: 8, segmentList: [7, 8] })).toThrow(/Segment 8 is outside 0..7/)
    expect(() => validateScanOptions({ segments: 8, concurrency: 0 })).toThrow(/--concurrency/)
  })

  it('parses --segment-range', () => {
    expect(parseSegmentRange('0-3')).toEqual([0, 3])
    expect(parseSegmentRange('5')).toEqual([5, 5])
    expect(() => parseSegmentRange('3-1')).toThrow(/not a range/)
    expect(() => parseSegmentRange('a-b')).toThrow(UserInputError)
  })
})

describe('CSV fields', () => {
  it('quotes only what needs it and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField(' padded')).toBe('" padded"')
  })
})

const page = (segment: number, seq: number, key?: string): ScanPage => ({
  segment,
  seq,
  items: [],
  count: 0,
  scannedCount: 0,
  consumedCapacity: 0,
  lastEvaluatedKey: key ? { id: { S: key } } : undefined,
})

describe('scan checkpoint', () => {
  it('applies commits in page order per segment, so a saved position never skips an unwritten page', () => {
    const file = join(tempDir(), 'c.json')
    const c = ScanCheckpoint.open(file, 'scan', 2, { table: 't' }, { n: 0 })
    expect(c.commit(page(0, 1, 'k2'), { n: 1 })).toBe(false) // page 1 before page 0: held back
    expect(c.position().next['0']).toBeUndefined()
    expect(c.commit(page(0, 0, 'k1'), { n: 2 })).toBe(true) // now both apply
    expect(c.position().next['0']).toEqual({ id: { S: 'k2' } })
    c.commit(page(1, 0))
    expect(c.position().finished).toEqual([1])
    c.save()
    const again = ScanCheckpoint.open(file, 'scan', 2, { table: 't' }, { n: 0 })
    expect(again.resumed).toBe(true)
    expect(again.state).toEqual({ n: 2 })
    expect(again.position()).toEqual({ segments: 2, finished: [1], next: { '0': { id: { S: 'k2' } } } })
  })

  it('keeps the state of a page held back for order until that page is applied', () => {
    const file = join(tempDir(), 'c.json')
    const c = ScanCheckpoint.open(file, 'scan', 1, {}, { n: 0 })
    c.commit(page(0, 1, 'k2'), { n: 1 }) // written first, out of order: its bytes must not be recorded yet
    c.save()
    expect(ScanCheckpoint.open(file, 'scan', 1, {}, { n: 0 }).state).toEqual({ n: 0 })
    c.commit(page(0, 0, 'k1'), { n: 2 }) // both pages written now
    c.save()
    expect(ScanCheckpoint.open(file, 'scan', 1, {}, { n: 0 }).state).toEqual({ n: 2 })
    expect(ScanCheckpoint.savedSegments(file)).toBe(1)
  })

  it('refuses a checkpoint made for another scan, saying what differs', () => {
    const file = join(tempDir(), 'c.json')
    ScanCheckpoint.open(file, 'scan', 4, { table: 'a', filter: null }, {}).save()
    expect(() => ScanCheckpoint.open(file, 'scan', 4, { table: 'b', filter: null }, {})).toThrow(/table "a" vs "b"/)
    expect(() => ScanCheckpoint.open(file, 'scan', 8, { table: 'a', filter: null }, {})).toThrow(/segments 4 vs 8/)
    writeFileSync(file, '{not json')
    expect(() => ScanCheckpoint.open(file, 'scan', 4, { table: 'a' }, {})).toThrow(/cannot be read/)
  })

  it('saves by rename (no temp file left) and removes itself', () => {
    const dir = tempDir()
    const file = join(dir, 'sub', 'c.json')
    const c = ScanCheckpoint.open(file, 'scan', 1, {}, {})
    c.save()
    expect(JSON.parse(readFileSync(file, 'utf8')).kind).toBe('scan')
    expect(existsSync(`${file}.tmp`)).toBe(false)
    c.remove()
    expect(existsSync(file)).toBe(false)
  })
})

describe('token bucket', () => {
  it('lets a request through while in credit and holds the next one until the debt is paid', async () => {
    let now = 0
    const slept: number[] = []
    const clock = { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)) }
    const bucket = new TokenBucket(100, clock)
    await bucket.acquire()
    expect(slept).toEqual([])
    bucket.charge(300) // a big page: 200 units of debt = 2 s at 100/s
    await bucket.acquire()
    expect(now).toBeGreaterThanOrEqual(2000)
    expect(now).toBeLessThan(2100)
    now += 10_000 // idle for long: credit is capped at one second's worth
    await bucket.acquire(500)
    bucket.charge(100)
    const before = now
    await bucket.acquire(100)
    expect(now - before).toBeGreaterThanOrEqual(1000)
  })

  it('serves concurrent requests one at a time, each taking its estimate, so they cannot all spend the same credit', async () => {
    let now = 0
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) }
    const bucket = new TokenBucket(50, clock)
    const done: number[] = []
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        await bucket.acquire(50)
        done[i] = now
      }),
    )
    // 150 units at 50/s with 50 of credit: the last one waits about 2 s (all three passed at t=0 before).
    expect(Math.max(...done)).toBeGreaterThanOrEqual(1990)
  })

  it('rejects a rate of 0', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError)
  })
})

describe('scan progress line', () => {
  it('shows rate, percent of the estimate, ETA and segments', () => {
    expect(scanProgressText({ items: 5000, scanned: 5000, segmentsDone: 3, segmentsTotal: 8 }, 2, 20000)).toBe('5,000 items · 2,500/s · 25% of ~20,000 · ETA 0:06 · segments 3/8')
    expect(scanProgressText({ items: 10, scanned: 10, segmentsDone: 0, segmentsTotal: 1 }, 1, 0)).toBe('10 items · 10/s · segments 0/1')
  })
})
