import { existsSync, readdirSync, readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { batchWriteItems } from '../../src/data/batch-write.js'
import { startLocalEngine } from '../../src/local/engine.js'
import { createTable } from '../../src/tables/create.js'
import { describeTableRaw } from '../../src/tables/describe.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { afterTyping, CTRL_C, CTRL_D, runInPty } from '../pty/run-in-pty.js'
import { allItems, byPk, canonical, seedScanTable } from '../scan-fixtures.js'

/**
 * Ctrl-C typed by a person: the byte 0x03 written into a pseudo-terminal that is the command's
 * controlling terminal, not a signal sent by the test. What happens next is up to the terminal
 * (SIGINT to the foreground process group in its normal mode, a plain byte in raw mode) and dynx.
 */
const engines = inject('engines') as EngineEndpoints
const endpoint = engines.dynalite
const BULK = 3000

const itemsIn = (ckpt: string) => (JSON.parse(readFileSync(ckpt, 'utf8')) as { state: { items: number } }).state.items

describe('Ctrl-C typed on a terminal (CLI on a pty, dynalite)', () => {
  const conn = connect(endpoint)
  const source = uniqueName('ctrlc')
  let total = 0
  beforeAll(async () => {
    total = (await seedScanTable(conn, source, BULK)).length
  })
  afterAll(() => conn.destroy())

  it('scan --output --checkpoint: stops, saves the checkpoint, exits 130; the re-run holds every item exactly once', async () => {
    const env = {}
    const dir = tempDir()
    const out = join(dir, 'items.jsonl')
    const ckpt = join(dir, 'scan.ckpt')
    // A read budget keeps the scan going for tens of seconds, so Ctrl-C lands in the middle.
    const args = ['scan', source, '--endpoint', endpoint, '--segments', '2', '--page-size', '50', '--output', out, '--checkpoint', ckpt]
    const r = await runInPty([...args, '--max-rcu', '20'], {
      env,
      // Typed while the spinner draws (after the checkpoint line, which stops it for a moment).
      steps: [{ waitFor: 'segments to scan\\)\\n.*\\d+ items · ' }, { sleepMs: 1000 }, { write: CTRL_C }],
    })
    expect(r.failedStep).toBeNull()
    expect(r.timedOut).toBe(false)
    expect(r.exitCode).toBe(130)
    const after = afterTyping(r)
    expect(after.match(/Interrupted; finishing the page in hand/g)).toHaveLength(1)
    expect(after).toMatch(/Interrupted after \d+ items \(kept in .*items\.jsonl\.partial\)/)
    expect(after).toContain(`Progress is saved in ${ckpt}`)
    // Stopped well before the natural end: the file was never completed and renamed.
    expect(itemsIn(ckpt)).toBeLessThan(total)
    expect(existsSync(out)).toBe(false)

    const again = await runCli(args)
    expect(again.code).toBe(0)
    const keys = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { pk: string }).pk)
    expect(keys).toHaveLength(total)
    expect(new Set(keys).size).toBe(total)
  })

  it('copy: stops, saves the checkpoint, exits 130; the re-run makes the target equal the source', async () => {
    const target = uniqueName('ctrlc_dst')
    const home = tempDir('dynx-home-')
    const env = { DYNX_HOME: home }
    const args = ['copy', source, target, '--endpoint', endpoint, '--segments', '4', '--page-size', '100', '--max-wcu', '300']
    const checkpoints = join(home, 'checkpoints')
    const r = await runInPty(args, { env, steps: [{ waitFor: 'segments to copy\\)\\n.*items · ' }, { sleepMs: 1000 }, { write: CTRL_C }] })
    expect(r.failedStep).toBeNull()
    expect(r.exitCode).toBe(130)
    const after = afterTyping(r)
    expect(after.match(/Interrupted; finishing the page in hand/g)).toHaveLength(1)
    const written = Number(/Interrupted after writing ([\d,]+) items; progress is saved/.exec(after)?.[1]?.replaceAll(',', ''))
    expect(written).toBeGreaterThan(0)
    expect(written).toBeLessThan(total)
    expect(after).toContain('progress is saved: run the same command again to continue.')
    const saved = readdirSync(checkpoints).filter((f) => f.includes(target) && f.endsWith('.json'))
    expect(saved).toHaveLength(1)
    expect((await allItems(conn, target)).length).toBeLessThan(total)

    const again = await runCli(args, { env })
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('resuming')
    const [a, b] = [await allItems(conn, source), await allItems(conn, target)]
    expect(b.sort(byPk).map((i) => canonical(i))).toEqual(a.sort(byPk).map((i) => canonical(i)))
  })

  it('copy --local (into the embedded engine): stops, saves the checkpoint, unlocks the store, exits 130; the re-run completes the copy', async () => {
    const target = uniqueName('ctrlc_local')
    const home = tempDir('dynx-home-')
    const store = join(home, 'local')
    const env = { DYNX_HOME: home, DYNX_LOCAL_PATH: store }
    const args = ['copy', source, target, '--source-endpoint', endpoint, '--local', '--segments', '4', '--page-size', '100', '--max-wcu', '300']
    const r = await runInPty(args, { env, steps: [{ waitFor: 'segments to copy\\)\\n.*items · ' }, { sleepMs: 1000 }, { write: CTRL_C }] })
    expect(r.failedStep).toBeNull()
    expect(r.exitCode).toBe(130)
    const written = Number(/Interrupted after writing ([\d,]+) items; progress is saved/.exec(afterTyping(r))?.[1]?.replaceAll(',', ''))
    expect(written).toBeGreaterThan(0)
    expect(written).toBeLessThan(total)

    const again = await runCli(args, { env })
    expect(again.code).toBe(0)
    expect(again.stderr).toContain('resuming')
    const engine = await startLocalEngine({ path: store })
    const local = connect(engine.endpoint)
    try {
      const [a, b] = [await allItems(conn, source), await allItems(local, target)]
      expect(b.sort(byPk).map((i) => canonical(i))).toEqual(a.sort(byPk).map((i) => canonical(i)))
    } finally {
      local.destroy()
      await engine.close()
    }
  })

  it('load: stops, saves the checkpoint, exits 130; the re-run loads every line exactly once', async () => {
    const dir = tempDir('dynx-load-ctrlc-')
    const file = join(dir, 'items.jsonl')
    const scanned = await runCli(['scan', source, '--raw', '--output', file, '--endpoint', endpoint])
    expect(scanned.code).toBe(0)
    const target = uniqueName('ctrlc_load')
    await createTable(conn, { name: target, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
    const env = { DYNX_HOME: tempDir('dynx-home-') }
    // A write budget keeps the load going for tens of seconds, so Ctrl-C lands in the middle.
    const args = ['load', target, file, '--endpoint', endpoint, '--max-wcu', '300']
    const r = await runInPty(args, { env, steps: [{ waitFor: 'items · ' }, { sleepMs: 1000 }, { write: CTRL_C }] })
    expect(r.failedStep).toBeNull()
    expect(r.exitCode).toBe(130)
    const after = afterTyping(r)
    expect(after.match(/Interrupted; finishing the page in hand/g)).toHaveLength(1)
    expect(after).toMatch(/Progress saved in .*load-.*\.json: run the same command again to continue/)
    const loaded = (await allItems(conn, target)).length
    expect(loaded).toBeGreaterThan(0)
    expect(loaded).toBeLessThan(total)

    const again = await runCli([...args, '--json'], { env })
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ loaded: total, resumed: true })
    const [a, b] = [await allItems(conn, source), await allItems(conn, target)]
    expect(b.sort(byPk).map((i) => canonical(i))).toEqual(a.sort(byPk).map((i) => canonical(i)))
  })

  it('verify: stops and exits 130 before the comparison is done', async () => {
    const copy = uniqueName('ctrlc_same')
    await seedScanTable(conn, copy, BULK)
    const r = await runInPty(['verify', source, copy, '--endpoint', endpoint, '--segments', '2', '--max-rcu', '10'], {
      steps: [{ waitFor: 'source \\d' }, { sleepMs: 500 }, { write: CTRL_C }],
    })
    expect(r.failedStep).toBeNull()
    expect(r.exitCode).toBe(130)
    const after = afterTyping(r)
    expect(after).toContain('Interrupted before the comparison was finished; run it again to verify from the start.')
    expect(after).not.toMatch(/^equal:|items differ/m)
  })

  it('Ctrl-C at the confirmation to overwrite a non-empty target: exit 130, one line, nothing written', async () => {
    const target = uniqueName('ctrlc_full')
    await createTable(conn, { name: target, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
    await batchWriteItems(conn, target, [{ pk: { S: 'already-here' } }])
    const home = tempDir('dynx-home-')
    const r = await runInPty(['copy', source, target, '--endpoint', endpoint], {
      env: { DYNX_HOME: home },
      steps: [{ waitFor: `Type "${target}" to continue: ` }, { write: CTRL_C }],
    })
    expect(r.exitCode).toBe(130)
    const after = afterTyping(r).trim()
    expect(after).toBe('Error: Interrupted at the prompt; nothing was changed.')
    expect(r.text).not.toMatch(/AbortError|at .*\.js:\d+/)
    expect((await allItems(conn, target)).map((i) => i.pk.S)).toEqual(['already-here'])
    expect(existsSync(join(home, 'checkpoints'))).toBe(false)

    // Ctrl-D (end of input) is no answer: not confirmed, exit 2.
    const d = await runInPty(['copy', source, target, '--endpoint', endpoint], { env: { DYNX_HOME: home }, steps: [{ waitFor: 'to continue: ' }, { write: CTRL_D }] })
    expect(d.exitCode).toBe(2)
    expect(afterTyping(d).trim()).toBe('Error: Not confirmed (no answer); nothing was changed.')
  })

  it('Ctrl-C at the table pick list: exit 130 with one line', async () => {
    const r = await runInPty(['scan', '--endpoint', endpoint, '--prefix', source], { steps: [{ waitFor: 'Which table' }, { sleepMs: 300 }, { write: CTRL_C }] })
    expect(r.exitCode).toBe(130)
    expect(afterTyping(r).trim().split('\n').at(-1)).toBe('Error: No table picked.')
  })
})

/**
 * throughput bump against a dynalite whose table updates take seconds, as UpdateTable on AWS does
 * (the shared engine's take 200 ms, too short to type anything while one is in progress).
 */
describe('Ctrl-C typed during throughput bump (CLI on a pty, slow dynalite)', () => {
  let server: Server
  let slow = ''
  beforeAll(async () => {
    const dynalite = createRequire(import.meta.url)('dynalite') as (o: object) => Server
    server = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 2500 })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    slow = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())))

  async function provisioned(base: string) {
    const conn = connect(slow)
    const table = uniqueName(base)
    await createTable(conn, { name: table, hashKey: { name: 'id', type: 'S' }, billing: 'PROVISIONED', read: 5, write: 4 }, { wait: true })
    const capacity = async () => {
      const p = (await describeTableRaw(conn, table)).ProvisionedThroughput
      return [p?.ReadCapacityUnits, p?.WriteCapacityUnits]
    }
    return { table, capacity, done: () => conn.destroy(), env: { DYNX_HOME: tempDir('dynx-home-') } }
  }

  it('-- sleep 30: Ctrl-C while the command runs stops it, restores capacity, exits 130', async () => {
    const t = await provisioned('ctrlc_cmd')
    try {
      const r = await runInPty(['throughput', 'bump', t.table, '--read', '50', '--write', '40', '--endpoint', slow, '--', 'sleep', '30'], {
        env: t.env,
        steps: [{ waitFor: 'Restore with: ' }, { sleepMs: 500 }, { write: CTRL_C }],
      })
      expect(r.exitCode).toBe(130)
      const after = afterTyping(r)
      // The terminal's SIGINT reaches sleep and dynx at once: whether dynx sees it before sleep's exit is a race.
      expect(after).toMatch(/Got SIGINT: (waiting for sleep to exit, then restoring capacity|stopping once capacity is restored)/)
      expect(after).toContain('sleep was killed by SIGINT.')
      expect(after).toMatch(/Restored .*\n {2}\S+: read 50 -> 5/)
      expect(await t.capacity()).toEqual([5, 4])
    } finally {
      t.done()
    }
  })

  it('-- sleep 30: Ctrl-C while capacity is being raised never starts the command, puts capacity back, exits 130', async () => {
    const t = await provisioned('ctrlc_raise')
    try {
      const r = await runInPty(['throughput', 'bump', t.table, '--read', '50', '--write', '40', '--endpoint', slow, '--', 'sleep', '30'], {
        env: t.env,
        steps: [{ waitFor: 'UPDATING' }, { sleepMs: 300 }, { write: CTRL_C }],
      })
      expect(r.exitCode).toBe(130)
      const after = afterTyping(r)
      expect(after).toContain('Got SIGINT: stopping once the update in hand is done and capacity is put back')
      expect(after).not.toContain('sleep was killed')
      expect(after).toMatch(/Restored .*\n {2}\S+: read 50 -> 5/)
      expect(await t.capacity()).toEqual([5, 4])
    } finally {
      t.done()
    }
  })

  it('without a command: Ctrl-C while raising puts capacity back and exits 130; a second Ctrl-C quits at once with the restore command', async () => {
    const t = await provisioned('ctrlc_nocmd')
    try {
      const r = await runInPty(['throughput', 'bump', t.table, '--read', '50', '--write', '40', '--endpoint', slow], {
        env: t.env,
        steps: [{ waitFor: 'UPDATING' }, { sleepMs: 300 }, { write: CTRL_C }],
      })
      expect(r.exitCode).toBe(130)
      expect(afterTyping(r)).toMatch(/Restored .*\n {2}\S+: read 50 -> 5/)
      expect(await t.capacity()).toEqual([5, 4])

      // Twice: the first Ctrl-C waits for the update in hand, the second does not.
      const twice = await runInPty(['throughput', 'bump', t.table, '--read', '60', '--write', '40', '--endpoint', slow], {
        env: t.env,
        steps: [{ waitFor: 'UPDATING' }, { sleepMs: 300 }, { write: CTRL_C }, { waitFor: 'Got SIGINT' }, { sleepMs: 700 }, { write: CTRL_C }],
      })
      expect(twice.exitCode).toBe(130)
      const after = afterTyping(twice, 1)
      expect(after).toContain('Capacity may still be raised. Put it back with:')
      expect(after).not.toContain('Restored')
      const restore = /Put it back with:\n\s+dynx (.+)/.exec(after)?.[1]
      expect(restore).toBeDefined()
      const back = await runCli(restore!.trim().split(/\s+/), { env: t.env })
      expect(back.code).toBe(0)
      expect(await t.capacity()).toEqual([5, 4])
    } finally {
      t.done()
    }
  })
})
