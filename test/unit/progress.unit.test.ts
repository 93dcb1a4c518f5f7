import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'

import { DynxCommand } from '../../src/cli/base.js'
import { createProgress, HEARTBEAT_MS, LINE_INTERVAL_MS, progressMode } from '../../src/cli/progress.js'
import { ExitCode } from '../../src/errors.js'
import { OUTCOME_EXIT_CODES, worstOutcome, type Outcome } from '../../src/outcome.js'
import { REPO } from '../helpers.js'

/** stderr when it is a pipe or a file (CI), or a terminal of some width. */
function fakeStderr(tty = false) {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  }) as unknown as NodeJS.WriteStream
  Object.assign(stream, { isTTY: tty, columns: tty ? 100 : undefined })
  return { stream, lines }
}

function clock() {
  let t = 0
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('progress display', () => {
  it('picks one mode from --json, --progress, --verbose and whether stderr is a terminal', () => {
    const pipe = fakeStderr().stream
    const tty = fakeStderr(true).stream
    expect(progressMode({ quiet: true, stream: pipe })).toBe('off')
    expect(progressMode({ quiet: true, verbose: true, stream: pipe })).toBe('off')
    expect(progressMode({ quiet: true, forced: true, stream: pipe })).toBe('lines')
    expect(progressMode({ quiet: false, forced: true, stream: pipe })).toBe('lines')
    expect(progressMode({ quiet: false, verbose: true, stream: pipe })).toBe('lines')
    expect(progressMode({ quiet: false, stream: pipe })).toBe('heartbeat')
    expect(progressMode({ quiet: false, stream: tty })).toBe('spinner')
    expect(progressMode({ quiet: true, forced: true, stream: tty })).toBe('spinner')
    expect(progressMode({ quiet: true, stream: tty })).toBe('off')
  })

  it('--progress without a terminal: a line at each stage change at once, status lines at most once a second', () => {
    const { stream, lines } = fakeStderr()
    const c = clock()
    const p = createProgress({ quiet: true, forced: true, stream, now: c.now })
    p.stage('plan', 'users -> users_v2')
    p.stage('copy', 'users: 0 items')
    for (let i = 1; i <= 25; i++) {
      c.advance(100)
      p.update(`users: ${i * 100} items`)
    }
    p.stage('verify', 'users -> users_v2')
    expect(lines).toEqual(['[plan] users -> users_v2', '[copy] users: 0 items', '[copy] users: 1000 items', '[copy] users: 2000 items', '[verify] users -> users_v2'])
  })

  it('shows the parts of a job (tables copied at once) side by side, each with its stage', () => {
    const { stream, lines } = fakeStderr()
    const c = clock()
    const p = createProgress({ quiet: false, forced: true, stream, now: c.now })
    p.stage('copy', 'users: 10 items', 'users')
    p.stage('create', 'orders_v2: CREATING', 'orders')
    c.advance(LINE_INTERVAL_MS)
    p.update('users: 20 items', 'users')
    expect(lines.at(-1)).toBe('[copy] users: 20 items | [create] orders_v2: CREATING')
    p.stop()
    p.update('after a prompt')
    c.advance(LINE_INTERVAL_MS)
    p.update('after a prompt, later')
    expect(lines.at(-1)).toBe('after a prompt, later') // stop() forgot the old parts
  })

  it('without a terminal or --progress: messages at once, the status line only as a heartbeat every 30 s', () => {
    const { stream, lines } = fakeStderr()
    const c = clock()
    const p = createProgress({ quiet: false, stream, now: c.now })
    p.stage('copy', 'users: 0 items')
    p.info('users -> users_v2: checkpoint /tmp/x.json')
    c.advance(HEARTBEAT_MS - 1)
    p.update('users: 500 items')
    expect(lines).toEqual(['users -> users_v2: checkpoint /tmp/x.json'])
    c.advance(1)
    p.update('users: 600 items')
    expect(lines.at(-1)).toBe('[copy] users: 600 items')
    p.warn('throttled')
    expect(lines.at(-1)).toBe('warning: throttled')
  })

  it('under --json without --progress: nothing at all', () => {
    const { stream, lines } = fakeStderr()
    const c = clock()
    const p = createProgress({ quiet: true, verbose: true, stream, now: c.now })
    p.stage('copy', 'x')
    p.start('starting')
    p.info('info')
    c.advance(HEARTBEAT_MS * 2)
    p.update('y')
    p.succeed('done')
    expect(lines).toEqual([])
  })
})

describe('outcomes', () => {
  it('map to the documented exit codes', () => {
    expect(OUTCOME_EXIT_CODES).toEqual({ ok: ExitCode.ok, partial: ExitCode.failure, drift: ExitCode.drift, interrupted: ExitCode.interrupted })
    expect([OUTCOME_EXIT_CODES.ok, OUTCOME_EXIT_CODES.partial, OUTCOME_EXIT_CODES.drift, OUTCOME_EXIT_CODES.interrupted]).toEqual([0, 1, 3, 130])
  })

  it('of a job made of parts: an interruption, then failures, then differences', () => {
    expect(worstOutcome()).toBe('ok')
    expect(worstOutcome('ok', undefined, 'drift')).toBe('drift')
    expect(worstOutcome('drift', 'partial')).toBe('partial')
    expect(worstOutcome('partial', 'interrupted', 'drift')).toBe('interrupted')
  })

  describe('the base command turns a result into the exit code', () => {
    const before = process.exitCode
    afterEach(() => {
      process.exitCode = before
    })
    const commandReturning = (result: unknown) =>
      class extends DynxCommand<typeof DynxCommand> {
        async run() {
          return result
        }
      }

    it.each([
      ['ok', 0],
      ['partial', 1],
      ['drift', 3],
      ['interrupted', 130],
    ] as Array<[Outcome, number]>)('outcome %s -> exit %i', async (outcome, code) => {
      process.exitCode = undefined
      await commandReturning({ outcome }).run([], REPO)
      expect(process.exitCode).toBe(code)
    })

    it('a command it ran passes its exit code on; an interruption still wins; no outcome leaves it alone', async () => {
      process.exitCode = undefined
      await commandReturning({ outcome: 'ok', exitCode: 7 }).run([], REPO)
      expect(process.exitCode).toBe(7)
      await commandReturning({ outcome: 'interrupted', exitCode: 7 }).run([], REPO)
      expect(process.exitCode).toBe(130)
      process.exitCode = undefined
      await commandReturning({ tables: [] }).run([], REPO)
      expect(process.exitCode).toBeUndefined()
    })
  })
})
