import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, inject, it } from 'vitest'

import { createTable } from '../../src/tables/create.js'
import { describeTableRaw } from '../../src/tables/describe.js'
import type { TableThroughput } from '../../src/throughput/types.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { BIN, connect, REPO, runCli, tempDir, uniqueName } from '../helpers.js'

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.dynalite
const NODE = process.execPath

/** Read/write capacity of the table and each GSI, as DynamoDB reports it. */
type Capacities = Record<string, [number, number]>

/** A marker file the child writes once it runs (with its pid), and a SIGINT handler that exits 0. */
const waitingChild = (marker: string) => [
  NODE,
  '-e',
  `require('fs').writeFileSync(${JSON.stringify(marker)}, String(process.pid)); setInterval(() => {}, 1000); process.on('SIGINT', () => process.exit(0))`,
]

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`${what}: not reached in time`)
    await sleep(50)
  }
}

/** Starts the CLI in the background (to signal or kill it halfway). */
function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(NODE, [BIN, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((ok) => child.on('exit', (code, signal) => ok({ code, signal, stderr })))
  return { child, exited }
}

describe('dynx throughput help', () => {
  it.each(['show', 'bump', 'restore'])('throughput %s has a summary, description and examples', async (verb) => {
    const { code, stdout } = await runCli(['throughput', verb, '--help'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/DESCRIPTION\n {2}\S/)
    expect(stdout).toMatch(/EXAMPLES\n {2}\$ dynx throughput /)
    expect(stdout).toContain('--json')
  })
})

describe('dynx throughput (CLI, dynalite)', () => {
  const conn = connect(endpoint)
  afterAll(() => conn.destroy())

  /** A provisioned table (5/4) with two GSIs (gsi1 2/3, gsi2 2/3) and a fresh DYNX_HOME. */
  async function setup(base: string) {
    const table = uniqueName(base)
    await createTable(
      conn,
      {
        name: table,
        hashKey: { name: 'id', type: 'S' },
        billing: 'PROVISIONED',
        read: 5,
        write: 4,
        indexes: [
          { name: 'gsi1', hashKey: { name: 'a', type: 'S' }, read: 2, write: 3 },
          { name: 'gsi2', hashKey: { name: 'b', type: 'S' }, read: 2, write: 3 },
        ],
      },
      { wait: true },
    )
    const home = tempDir('dynx-home-')
    const env = { DYNX_HOME: home }
    // --endpoint goes before a `--`: everything after it is the command to run.
    const dynx = (...args: string[]) => {
      const at = args.includes('--') ? args.indexOf('--') : args.length
      return runCli([...args.slice(0, at), '--endpoint', endpoint, ...args.slice(at)], { env })
    }
    const ledgers = () => (existsSync(join(home, 'ledgers')) ? readdirSync(join(home, 'ledgers')).filter((f) => f.endsWith('.json')) : [])
    return { table, home, env, dynx, ledgers }
  }

  async function capacities(table: string): Promise<Capacities> {
    const d = await describeTableRaw(conn, table)
    const out: Capacities = { table: [d.ProvisionedThroughput?.ReadCapacityUnits ?? 0, d.ProvisionedThroughput?.WriteCapacityUnits ?? 0] }
    for (const g of d.GlobalSecondaryIndexes ?? []) out[g.IndexName ?? ''] = [g.ProvisionedThroughput?.ReadCapacityUnits ?? 0, g.ProvisionedThroughput?.WriteCapacityUnits ?? 0]
    return out
  }
  const ORIGINAL: Capacities = { table: [5, 4], gsi1: [2, 3], gsi2: [2, 3] }

  it('raises the table and both GSIs while the command runs, and puts the exact values back after', async () => {
    const { table, dynx, ledgers } = await setup('tpbump')
    // The child describes the table itself; its stdout is dynx's stdout (dynx's own messages go to stderr).
    const r = await dynx(
      'throughput',
      'bump',
      table,
      '--read',
      '20',
      '--write',
      '10',
      '--all-indexes',
      '--index-read',
      '8',
      '--index-write',
      '9',
      '--',
      NODE,
      BIN,
      'throughput',
      'show',
      table,
      '--json',
      '--endpoint',
      endpoint,
    )
    expect(r.code).toBe(0)
    const seen = (JSON.parse(r.stdout) as { tables: TableThroughput[] }).tables[0]
    expect([seen.read, seen.write]).toEqual([20, 10])
    expect(seen.indexes.map((i) => [i.index, i.read, i.write])).toEqual([
      ['gsi1', 8, 9],
      ['gsi2', 8, 9],
    ])
    expect(r.stderr).toMatch(/Raised:\n {2}\S+: read 5 -> 20 \(provisioned\)/)
    expect(r.stderr).toMatch(/Restored /)
    expect(await capacities(table)).toEqual(ORIGINAL)
    const ledger = JSON.parse(readFileSync(join(r.stderr.match(/Ledger: (\S+)/)?.[1] ?? ''), 'utf8'))
    expect(ledger).toMatchObject({ status: 'restored', connection: { endpoint }, command: [NODE, BIN, 'throughput', 'show', table, '--json', '--endpoint', endpoint] })
    expect(ledgers()).toHaveLength(1)
  })

  it("exits with the command's exit code, after restoring; --json has bump, command and restore", async () => {
    const { table, dynx } = await setup('tpexit')
    const r = await dynx('throughput', 'bump', table, '--write', '12', '--index', 'gsi2', '--index-read', '7', '--json', '--', NODE, '-e', 'process.exit(7)')
    expect(r.code).toBe(7)
    const out = JSON.parse(r.stdout)
    expect(out.command).toEqual({ exitCode: 7 })
    expect(out.bump.changes).toHaveLength(2)
    expect(out.restore.restored).toHaveLength(2)
    expect(await capacities(table)).toEqual(ORIGINAL)
  })

  it('SIGINT while the command runs: passed on to it, then capacity restored, exit 130', async () => {
    const { table, env } = await setup('tpsigint')
    const marker = join(tempDir(), 'started')
    const run = startCli(['throughput', 'bump', table, '--read', '15', '--endpoint', endpoint, '--', ...waitingChild(marker)], env)
    await waitFor(() => existsSync(marker), 'child started')
    expect((await capacities(table)).table).toEqual([15, 4])
    run.child.kill('SIGINT')
    const { code, stderr } = await run.exited
    expect(code).toBe(130)
    expect(stderr).toContain('Got SIGINT: waiting for node to exit, then restoring capacity.')
    expect(stderr).toMatch(/Restored .*\n {2}\S+: read 15 -> 5/)
    expect(await capacities(table)).toEqual(ORIGINAL)
  })

  it('SIGKILLed mid-command, the ledger restores everything; a second restore is a no-op; restore TABLE picks the newest open ledger', async () => {
    const { table, env, home, dynx, ledgers } = await setup('tpkill')
    const dir = tempDir()
    const marker = join(dir, 'started')
    const ledger = join(dir, 'bump.json')
    const run = startCli(
      ['throughput', 'bump', table, '--read', '11', '--all-indexes', '--index-write', '6', '--ledger', ledger, '--endpoint', endpoint, '--', ...waitingChild(marker)],
      env,
    )
    await waitFor(() => existsSync(marker), 'child started')
    run.child.kill('SIGKILL')
    process.kill(Number(readFileSync(marker, 'utf8')), 'SIGKILL')
    expect((await run.exited).signal).toBe('SIGKILL')
    expect(await capacities(table)).toEqual({ table: [11, 4], gsi1: [2, 6], gsi2: [2, 6] })

    const first = await dynx('throughput', 'restore', '--ledger', ledger)
    expect(first.code).toBe(0)
    expect(first.stdout).toContain(`Restored ${ledger}`)
    expect(await capacities(table)).toEqual(ORIGINAL)
    const second = await dynx('throughput', 'restore', '--ledger', ledger, '--json')
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({ alreadyRestored: true, restored: [], restoredAt: expect.any(String) })
    const text = await dynx('throughput', 'restore', '--ledger', ledger)
    expect(text.stdout).toMatch(/was already restored at \S+; nothing to do/)

    // Two bumps left open: the newest is restored first. No connection flags: the ledger's own are used.
    expect((await dynx('throughput', 'bump', table, '--read', '10')).code).toBe(0)
    expect((await dynx('throughput', 'bump', table, '--read', '20')).code).toBe(0)
    expect(ledgers()).toHaveLength(2)
    const newest = await runCli(['throughput', 'restore', table], { env })
    expect(newest.code).toBe(0)
    expect(newest.stdout).toContain('read 20 -> 10')
    expect((await capacities(table)).table).toEqual([10, 4])
    expect((await runCli(['throughput', 'restore', table], { env })).stdout).toContain('read 10 -> 5')
    expect(await capacities(table)).toEqual(ORIGINAL)
    const none = await runCli(['throughput', 'restore', table], { env })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain(`No open ledger for ${table} in ${join(home, 'ledgers')}`)
  })

  it('bad input exits 2 and changes nothing; a lower value is "nothing to raise" (exit 0, no ledger)', async () => {
    const { table, dynx, ledgers } = await setup('tpbad')
    const cases: Array<[string[], RegExp]> = [
      [[uniqueName('missing'), '--read', '10'], /does not exist/],
      [[table, '--read', '10', '--index', 'nope', '--index-read', '5'], /has no global secondary index "nope" \(it has gsi1, gsi2\)/],
      [[table, '--read', '0'], /greater than or equal to 1/],
      [[table, '--read', '-5'], /greater than or equal to 1/],
      [[table, '--index', 'gsi1', '--index', 'gsi2', '--index-read', '5', '--index-read', '6', '--index-read', '7'], /3 --index-read values for 2 --index names/],
      [[table, '--read', '10', '--', 'no-such-program-here'], /Cannot run no-such-program-here: not found on PATH/],
    ]
    for (const [args, message] of cases) {
      const r = await dynx('throughput', 'bump', ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    const lower = await dynx('throughput', 'bump', table, '--read', '3')
    expect(lower.code).toBe(0)
    expect(lower.stdout).toMatch(/^nothing to raise: \S+: read already 5/)
    const notLedger = join(tempDir(), 'hello.json')
    writeFileSync(notLedger, '{"hello":1}')
    const restore = await dynx('throughput', 'restore', '--ledger', notLedger)
    expect(restore.code).toBe(2)
    expect(restore.stderr).toContain('is not a dynx throughput ledger')
    expect(await capacities(table)).toEqual(ORIGINAL)
    expect(ledgers()).toEqual([])
  })

  it('--plan raises what the file says; --dry-run changes nothing and runs no command', async () => {
    const { table, dynx, ledgers } = await setup('tpplan')
    const plan = join(tempDir(), 'plan.yaml')
    writeFileSync(plan, `${table}:\n  table: { read: 9 }\n  gsi2: { write: 8 }\n`)
    const dry = await dynx('throughput', 'bump', '--plan', plan, '--dry-run', '--', NODE, '-e', 'process.exit(3)')
    expect(dry.code).toBe(0)
    expect(dry.stderr).toMatch(/Would raise \(dry run, nothing changed\):\n {2}\S+: read 5 -> 9 \(provisioned\)\n {2}\S+ index gsi2: write 3 -> 8/)
    expect(await capacities(table)).toEqual(ORIGINAL)
    expect(ledgers()).toEqual([])
    const clash = await dynx('throughput', 'bump', table, '--plan', plan)
    expect(clash.code).toBe(2)
    const r = await dynx('throughput', 'bump', '--plan', plan)
    expect(r.code).toBe(0)
    expect(await capacities(table)).toEqual({ ...ORIGINAL, table: [9, 4], gsi2: [2, 8] })
    expect((await dynx('throughput', 'restore', table)).code).toBe(0)
    expect(await capacities(table)).toEqual(ORIGINAL)
  })

  it('show --json lists the table and its GSIs with capacity and the decrease quota', async () => {
    const { table, dynx } = await setup('tpshow')
    const r = await dynx('throughput', 'show', table, '--json')
    expect(r.code).toBe(0)
    const [t] = (JSON.parse(r.stdout) as { tables: TableThroughput[] }).tables
    expect(t).toMatchObject({
      table,
      billingMode: 'PROVISIONED',
      read: 5,
      write: 4,
      autoScalingAvailable: false,
      decreases: { decreasesToday: 0, anytimeLeft: 4, allowedNow: true },
    })
    expect(t.indexes.map((i) => [i.index, i.read, i.write, i.decreases.allowedNow])).toEqual([
      ['gsi1', 2, 3, true],
      ['gsi2', 2, 3, true],
    ])
    const text = await runCli(['--prefix', table.slice(0, -4), 'throughput', 'show', '--endpoint', endpoint])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(table)
    expect(text.stdout).toMatch(/index gsi2 .*provisioned .*2 .*3 /)
  })
})

describe('dynx throughput with --local', () => {
  it('SIGINT: the embedded engine stays up until capacity is restored; a later restore finds the engine from the ledger', async () => {
    const env = { DYNX_HOME: tempDir('dynx-home-'), DYNX_LOCAL_PATH: tempDir('dynx-local-') }
    const spec = join(tempDir(), 't.yaml')
    writeFileSync(spec, 'hashKey: { name: id, type: S }\nbilling: PROVISIONED\nread: 2\nwrite: 2\n')
    expect((await runCli(['create', 'loc', '--spec', spec, '--local'], { env })).code).toBe(0)
    const marker = join(tempDir(), 'started')
    const run = startCli(['throughput', 'bump', 'loc', '--read', '6', '--local', '--', ...waitingChild(marker)], env)
    await waitFor(() => existsSync(marker), 'child started')
    run.child.kill('SIGINT')
    expect((await run.exited).code).toBe(130)
    const show = async () => (JSON.parse((await runCli(['throughput', 'show', 'loc', '--local', '--json'], { env })).stdout) as { tables: TableThroughput[] }).tables[0]
    expect((await show()).read).toBe(2)

    // Left open on purpose: `restore TABLE` with no connection flags starts the embedded engine.
    expect((await runCli(['throughput', 'bump', 'loc', '--write', '5', '--local'], { env })).code).toBe(0)
    expect((await show()).write).toBe(5)
    const restore = await runCli(['throughput', 'restore', 'loc'], { env })
    expect(restore.code).toBe(0)
    expect((await show()).write).toBe(2)

    // The command under a --local bump reaches the engine dynx holds through AWS_ENDPOINT_URL_DYNAMODB.
    const seen = join(tempDir(), 'seen.json')
    const inside = await runCli(
      [
        'throughput',
        'bump',
        'loc',
        '--read',
        '9',
        '--local',
        '--',
        process.execPath,
        '-e',
        `require('node:child_process').execFileSync(process.execPath, [${JSON.stringify(BIN)}, 'throughput', 'show', 'loc', '--json'], { stdio: ['ignore', require('node:fs').openSync(${JSON.stringify(seen)}, 'w'), 'inherit'] })`,
      ],
      { env },
    )
    expect(inside.code).toBe(0)
    expect((JSON.parse(readFileSync(seen, 'utf8')) as { tables: TableThroughput[] }).tables[0].read).toBe(9)
    expect((await show()).read).toBe(2)
  })
})
