import { afterEach, describe, expect, it, vi } from 'vitest'

import { Interrupts, type InterruptHooks } from '../../src/cli/interrupts.js'

/**
 * A --local store whose close never settles (a flush stuck on a full disk or a hung worker): exiting
 * at once must not wait on it forever. process.exit is stubbed; the signals are emitted in-process.
 */
const hooks = (store?: { close(): Promise<void> }): InterruptHooks => ({
  stopProgress: () => {},
  message: () => 'stopping',
  passOn: () => false,
  beforeForcedExit: () => {},
  openStore: () => store,
})
const stuckStore = () => ({ close: vi.fn(() => new Promise<void>(() => {})) })

let interrupts: Interrupts | undefined
afterEach(() => {
  interrupts?.uninstall()
  interrupts = undefined
  vi.useRealTimers()
  vi.restoreAllMocks()
})

function setUp(store?: { close(): Promise<void> }) {
  // Fake timers: the forced-exit timer must not outlive the test (and the stubbed exit).
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never)
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  interrupts = new Interrupts(hooks(store))
  interrupts.install()
  return exit
}

describe('Interrupts: exiting at once with an open --local store', () => {
  it('closes the store, then exits 130 (without waiting for the timer)', async () => {
    const store = { close: vi.fn(async () => {}) }
    const exit = setUp(store)
    process.emit('SIGTERM', 'SIGTERM')
    await new Promise((resolve) => setImmediate(resolve))
    expect(exit).toHaveBeenCalledWith(130)
    expect(store.close).toHaveBeenCalledTimes(1)
  })

  it("a store whose close never settles: a second signal exits 130 at once (a wrapper's copy of the first does not)", () => {
    const store = stuckStore()
    const exit = setUp(store)
    const now = vi.spyOn(performance, 'now').mockReturnValue(1_000)
    process.emit('SIGTERM', 'SIGTERM')
    expect(store.close).toHaveBeenCalledTimes(1)
    // `npx dynx` passes the same Ctrl-C on a moment later: still closing the store.
    now.mockReturnValue(1_100)
    process.emit('SIGTERM', 'SIGTERM')
    expect(exit).not.toHaveBeenCalled()
    now.mockReturnValue(2_000)
    process.emit('SIGTERM', 'SIGTERM')
    expect(exit).toHaveBeenCalledWith(130)
    expect(store.close).toHaveBeenCalledTimes(1)
  })

  it('a store whose close never settles: exits 130 after two seconds without another signal', () => {
    const store = stuckStore()
    const exit = setUp(store)
    process.emit('SIGTERM', 'SIGTERM')
    vi.advanceTimersByTime(1_999)
    expect(exit).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(exit).toHaveBeenCalledWith(130)
  })

  it('after the command asked for a stop signal: the first signal aborts it, a later one exits even with the store stuck', () => {
    const store = stuckStore()
    const exit = setUp(store)
    const stop = interrupts!.signal()
    const now = vi.spyOn(performance, 'now')
    now.mockReturnValue(1_000)
    process.emit('SIGTERM', 'SIGTERM')
    expect(stop.aborted).toBe(true)
    expect(exit).not.toHaveBeenCalled()
    // Later than a wrapper's copy of the same signal: a second Ctrl-C, exit at once (closing the store).
    now.mockReturnValue(2_000)
    process.emit('SIGTERM', 'SIGTERM')
    expect(store.close).toHaveBeenCalledTimes(1)
    now.mockReturnValue(3_000)
    process.emit('SIGTERM', 'SIGTERM')
    expect(exit).toHaveBeenCalledWith(130)
  })
})
