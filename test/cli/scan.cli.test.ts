import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import type { EngineEndpoints } from '../setup/engines.js'
import { BIN, connect, REPO, runCli, tempDir, uniqueName } from '../helpers.js'
import { seedScanTable } from '../scan-fixtures.js'

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.dynalite
const BULK = 3000

const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' }

/** Starts the CLI as a background process (for killing it halfway). */
function startCli(args: string[], options: { detached?: boolean } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached,
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((ok) => child.on('exit', (code, signal) => ok({ code, signal, stderr })))
  return { child, exited }
}

async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached in time')
    await sleep(50)
  }
}

const itemsIn = (ckpt: string) => {
  try {
    return (JSON.parse(readFileSync(ckpt, 'utf8')) as { state: { items: number } }).state.items
  } catch {
    return 0
  }
}

const keysOf = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { pk: string }).pk)

describe('dynx scan (CLI, dynalite)', () => {
  const conn = connect(endpoint)
  const table = uniqueName('cliscan')
  let total = 0
  beforeAll(async () => {
    total = (await seedScanTable(conn, table, BULK)).length
  })
  afterAll(() => conn.destroy())

  it('killed with SIGKILL halfway, resumes from the checkpoint: every item exactly once', async () => {
    const dir = tempDir()
    const out = join(dir, 'items.jsonl')
    const ckpt = join(dir, 'scan.ckpt')
    // Small pages and a read budget make the scan slow enough to kill in the middle.
    const args = ['scan', table, '--endpoint', endpoint, '--segments', '4', '--page-size', '50', '--output', out, '--checkpoint', ckpt]
    const first = startCli([...args, '--max-rcu', '20'])
    await waitFor(() => itemsIn(ckpt) >= 400)
    first.child.kill('SIGKILL')
    const killed = await first.exited
    expect(killed.signal).toBe('SIGKILL')
    expect(existsSync(out)).toBe(false) // never renamed into place half done
    expect(existsSync(`${out}.partial`)).toBe(true)
    const savedItems = itemsIn(ckpt)
    expect(savedItems).toBeLessThan(total)
    // Nothing of the killed scan goes on writing.
    const saved = readFileSync(ckpt, 'utf8')
    await sleep(1500)
    expect(readFileSync(ckpt, 'utf8')).toBe(saved)

    const second = await runCli(args, { env })
    expect(second.stderr).toBe('')
    expect(second.code).toBe(0)
    expect(second.stdout).toContain(`Wrote ${total} items`)
    const keys = keysOf(out)
    expect(keys).toHaveLength(total)
    expect(new Set(keys).size).toBe(total)
    expect(existsSync(ckpt)).toBe(false) // a finished scan's checkpoint is removed
    expect(existsSync(`${out}.partial`)).toBe(false)
  })

  it('Ctrl-C (SIGINT) flushes, saves the checkpoint and exits 130; the re-run completes exactly once', async () => {
    const dir = tempDir()
    const out = join(dir, 'items.json')
    const ckpt = join(dir, 'scan.ckpt')
    const args = ['scan', table, '--endpoint', endpoint, '--segments', '3', '--page-size', '50', '--format', 'json', '--output', out, '--checkpoint', ckpt]
    const first = startCli([...args, '--max-rcu', '20'])
    await waitFor(() => itemsIn(ckpt) >= 200)
    first.child.kill('SIGINT')
    const stopped = await first.exited
    expect(stopped.code).toBe(130)
    expect(stopped.stderr).toMatch(/Interrupted after \d+ items/)
    expect(stopped.stderr).toContain(ckpt)
    const second = await runCli(args, { env })
    expect(second.code).toBe(0)
    const items = JSON.parse(readFileSync(out, 'utf8')) as { pk: string }[]
    expect(items).toHaveLength(total)
    expect(new Set(items.map((i) => i.pk)).size).toBe(total)
  })

  it('a terminal Ctrl-C (SIGINT to the whole process group) stops it once, gracefully', async () => {
    const dir = tempDir()
    const out = join(dir, 'items.jsonl')
    const ckpt = join(dir, 'scan.ckpt')
    const first = startCli(['scan', table, '--endpoint', endpoint, '--segments', '2', '--page-size', '50', '--output', out, '--checkpoint', ckpt, '--max-rcu', '20'], {
      detached: true,
    })
    await waitFor(() => itemsIn(ckpt) >= 100)
    process.kill(-first.child.pid!, 'SIGINT')
    const stopped = await first.exited
    expect(stopped.code).toBe(130)
    expect(stopped.stderr.match(/Interrupted; finishing/g)).toHaveLength(1)
    expect(stopped.stderr).not.toMatch(/^Interrupted\.$/m) // no second, hard interrupt
  })

  it('streams jsonl to stdout when it is not a terminal, and --json gives a summary', async () => {
    const r = await runCli(['scan', table, '--endpoint', endpoint, '--segments', '2', '--limit', '7'], { env })
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(7)
    expect(JSON.parse(lines[0])).toHaveProperty('pk')

    const dir = tempDir()
    const j = await runCli(['scan', table, '--endpoint', endpoint, '--output', join(dir, 'x.csv'), '--attributes', 'pk,status', '--json'], { env })
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toMatchObject({ table, items: total, format: 'csv', complete: true })
    expect(readFileSync(join(dir, 'x.csv'), 'utf8').split('\n')[0]).toBe('pk,status')
  })

  it('--json --progress: progress lines on stderr, only the summary with its outcome on stdout', async () => {
    const dir = tempDir()
    const r = await runCli(['scan', table, '--endpoint', endpoint, '--segments', '2', '--output', join(dir, 'all.jsonl'), '--json', '--progress'], { env })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'ok', complete: true, items: total })
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines[0]).toBe(`[scan] ${table}`)
    for (const l of lines) expect(l).toMatch(/^\[scan\] /)

    const count = await runCli(['scan', table, '--endpoint', endpoint, '--count', '--json', '--progress'], { env })
    expect(count.code).toBe(0)
    expect(JSON.parse(count.stdout)).toMatchObject({ outcome: 'ok', count: total })
    expect(count.stderr.split('\n')[0]).toBe(`[count] ${table}`)

    const quiet = await runCli(['scan', table, '--endpoint', endpoint, '--output', join(dir, 'quiet.jsonl'), '--json'], { env })
    expect(quiet.code).toBe(0)
    expect(quiet.stderr).toBe('')
  })

  it('--count prints the item count, per segment with --verbose', async () => {
    const r = await runCli(['scan', table, '--endpoint', endpoint, '--segments', '3', '--count', '--verbose'], { env })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`${total} items in ${table}`)
    expect(r.stdout.match(/segment \d: \d+ items/g)).toHaveLength(3)
    const j = await runCli(['scan', table, '--endpoint', endpoint, '--count', '--json', '--filter', 'kind = :k', '--values', '{":k":"special"}'], { env })
    expect(JSON.parse(j.stdout)).toMatchObject({ count: 4, scannedCount: total })
  })

  describe('bad input: exit 2, a message naming the problem and the fix, no output file', () => {
    const cases: [string, string[], RegExp][] = [
      [
        'an invalid filter expression',
        ['--filter', 'kind === :k', '--values', '{":k":"a"}'],
        /DynamoDB rejected the scan: .*(Invalid FilterExpression|Syntax error)[\s\S]*expression syntax/i,
      ],
      ['a reserved word in the filter', ['--filter', 'status = :s', '--values', '{":s":"active"}'], /reserved keyword[\s\S]*--names '\{"#status":"status"\}'/i],
      ['an undefined #name', ['--filter', '#s = :k', '--values', '{":k":"a"}'], /#s[\s\S]*needs an entry in --names/],
      ['--count with --output', ['--count'], /--count prints only counts, so --output would do nothing/],
      ['--segments 0', ['--segments', '0'], /--segments must be a whole number from 1/],
      ['an unknown index', ['--index', 'nope'], /has no index "nope"[\s\S]*Its indexes: by-kind/],
      ['malformed --values JSON', ['--filter', 'n > :n', '--values', '{":n": 1'], /--values is not valid JSON[\s\S]*--values '\{/],
      ['a segment range past --segments', ['--segments', '4', '--segment-range', '2-4'], /Segment 4 is outside 0..3/],
      ['--raw with csv', ['--raw', '--format', 'csv'], /--raw .* cannot be combined with --format csv/],
      ['--checkpoint with --limit', ['--checkpoint', 'c.json', '--limit', '5'], /--limit cannot be combined with --checkpoint/],
      ['--rcu-percent on an on-demand table', ['--rcu-percent', '50'], /on-demand[\s\S]*--max-rcu/],
    ]
    it.each(cases)('%s', async (_what, flags, message) => {
      const dir = tempDir()
      const out = join(dir, 'out.jsonl')
      const r = await runCli(['scan', table, '--endpoint', endpoint, '--output', out, ...flags], { env, cwd: dir })
      expect(r.stderr).toMatch(message)
      expect(r.code).toBe(2)
      expect(readdirSync(dir)).toEqual([])
    })

    it('an --output folder that does not exist', async () => {
      const dir = tempDir()
      const r = await runCli(['scan', table, '--endpoint', endpoint, '--output', join(dir, 'nope', 'o.jsonl')], { env })
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/The folder of --output .* does not exist/)
      expect(readdirSync(dir)).toEqual([])
    })

    it('a missing table', async () => {
      const dir = tempDir()
      const r = await runCli(['scan', 'no_such_table', '--endpoint', endpoint, '--output', join(dir, 'o.jsonl')], { env })
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/Table "no_such_table" does not exist/)
      expect(readdirSync(dir)).toEqual([])
    })

    it('--json without --output', async () => {
      const r = await runCli(['scan', table, '--endpoint', endpoint, '--json'], { env })
      expect(r.code).toBe(2)
      expect(JSON.parse(r.stdout).error.message).toMatch(/items need somewhere else to go/)
    })
  })
})
