import { describe, expect, it } from 'vitest'

import { keepHeapSmall } from '../../src/cli/heap.js'

describe('keepHeapSmall (the CLI sets its V8 heap flags in-process)', () => {
  it("leaves a user's own heap flags alone, from argv or NODE_OPTIONS", () => {
    expect(keepHeapSmall(['--max-old-space-size=4096'], {})).toBe(false)
    expect(keepHeapSmall(['--max-semi-space-size=64'], {})).toBe(false)
    expect(keepHeapSmall([], { NODE_OPTIONS: '--heap-growing-percent=50' })).toBe(false)
    expect(keepHeapSmall([], { NODE_OPTIONS: '--semi-space-growth-factor=2' })).toBe(false)
    // V8 reads `_` as `-` in flag names: the underscore spellings are the user's own flags too.
    expect(keepHeapSmall(['--max_old_space_size=4096'], {})).toBe(false)
    expect(keepHeapSmall([], { NODE_OPTIONS: '--max_semi_space_size=64' })).toBe(false)
    expect(keepHeapSmall([], { NODE_OPTIONS: '--heap_growing_percent=50' })).toBe(false)
  })

  it('sets them otherwise (other flags do not count)', () => {
    expect(keepHeapSmall(['--enable-source-maps'], { NODE_OPTIONS: '--import tsx' })).toBe(true)
  })
})
