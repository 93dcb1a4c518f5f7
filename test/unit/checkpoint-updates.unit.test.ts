import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import type { Item } from '../../src/data/values.js'
import { ScanCheckpoint } from '../../src/scan/checkpoint.js'
import type { ScanPage } from '../../src/scan/parallel-scan.js'
import { tempDir } from '../helpers.js'

const page = (segment: number, seq: number, last: boolean, items: Item[] = []): ScanPage => ({
  segment,
  seq,
  items,
  count: items.length,
  scannedCount: items.length,
  consumedCapacity: 0,
  ...(last ? {} : { lastEvaluatedKey: { pk: { S: `s${segment}p${seq}` } } }),
})

describe('checkpoint state updates (how copy counts dead letters)', () => {
  it("applies a page's update only when the page's turn comes, in page order", () => {
    const ckpt = ScanCheckpoint.open(join(tempDir(), 'c.json'), 'copy', 1, {}, { dead: 0, order: '' })
    const add = (n: number, tag: string) => (s: { dead: number; order: string }) => ({ dead: s.dead + n, order: s.order + tag })
    // Pages 1 and 2 are acknowledged before page 0: nothing of theirs may count yet.
    expect(ckpt.commit(page(0, 1, false, [{ pk: { S: 'x' } }]), add(2, 'b'))).toBe(false)
    expect(ckpt.commit(page(0, 2, false), add(3, 'c'))).toBe(false)
    expect(ckpt.state).toEqual({ dead: 0, order: '' })
    expect(ckpt.position().next).toEqual({})
    expect(ckpt.commit(page(0, 0, false), add(1, 'a'))).toBe(true)
    expect(ckpt.state).toEqual({ dead: 6, order: 'abc' })
    expect(ckpt.position().next['0']).toEqual({ pk: { S: 's0p2' } })
    expect(ckpt.commit(page(0, 3, true), add(0, 'd'))).toBe(true)
    expect(ckpt.position().finished).toEqual([0])
  })

  it('a resumed checkpoint starts from the saved state', () => {
    const file = join(tempDir(), 'c.json')
    const first = ScanCheckpoint.open(file, 'copy', 2, { t: 1 }, { dead: 0 })
    first.commit(page(1, 0, false), (s) => ({ dead: s.dead + 4 }))
    first.save()
    const again = ScanCheckpoint.open(file, 'copy', 2, { t: 1 }, { dead: 0 })
    expect(again.resumed).toBe(true)
    expect(again.state).toEqual({ dead: 4 })
  })
})
