import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { findTable, listTableNames } from '../../src/tables/describe.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { BIN, connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { allItems } from '../scan-fixtures.js'

// Two "environments" on two real engines: staging on dynalite, prod and qa on DynamoDB Local.
const engines = inject('engines') as EngineEndpoints
const ITEMS = 40
const SCRIPT = '/usr/bin/script'

const stg = `${uniqueName('stg')}_`
const prd = `${uniqueName('prd')}_`
const qa = `${uniqueName('qa')}_`

const environments = `environments:
  staging:
    endpoint: ${engines.dynalite}
    prefix: ${stg}
  prod:
    endpoint: ${engines.dynamodbLocal}
    prefix: ${prd}
    protected: true
  qa:
    endpoint: ${engines.dynamodbLocal}
    prefix: ${qa}
`

/** The environment every CLI run gets (as runCli gives it), for the PTY runs too. */
function cliEnv(home: string): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', DYNX_HOME: home, TERM: 'xterm' }
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

interface PtyRun {
  /** Everything the terminal showed (stdout and stderr of the CLI, merged as on a screen). */
  output: () => string
  /** Resolves once `check` holds for what the terminal showed; fails if the CLI exits first or time runs out. */
  waitFor: (check: (screen: string) => boolean, what: string, timeoutMs?: number) => Promise<void>
  write: (text: string) => void
  exited: Promise<number | null>
}

/** Runs the built CLI on a real pseudo-terminal (util-linux `script`), so stdin and stderr are TTYs. */
function runOnPty(args: string[], options: { cwd: string; env: Record<string, string | undefined> }): PtyRun {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ')
  const child = spawn(SCRIPT, ['-qfec', command, '/dev/null'], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] })
  let screen = ''
  const listeners = new Set<() => void>()
  const onData = (d: Buffer) => {
    screen += d.toString()
    for (const l of listeners) l()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const killer = setTimeout(() => child.kill('SIGKILL'), 45_000)
  const exited = new Promise<number | null>((ok) =>
    child.on('close', (code) => {
      clearTimeout(killer)
      for (const l of listeners) l()
      ok(code)
    }),
  )
  return {
    output: () => screen,
    write: (text) => child.stdin.write(text),
    exited,
    waitFor: (check, what, timeoutMs = 30_000) =>
      new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => {
          listeners.delete(test)
          fail(new Error(`timed out waiting for ${what}; the terminal showed:\n${screen}`))
        }, timeoutMs)
        const test = () => {
          if (check(screen)) {
            clearTimeout(timer)
            listeners.delete(test)
            ok()
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer)
            listeners.delete(test)
            fail(new Error(`the CLI exited while waiting for ${what}; the terminal showed:\n${screen}`))
          }
        }
        listeners.add(test)
        test()
      }),
  }
}

/** What the pick list shows now: the text after the last time the question was drawn. */
const lastFrame = (screen: string) => screen.slice(screen.lastIndexOf('Which table?'))

describe('environments of dynx.config (CLI, staging on dynalite, prod and qa on DynamoDB Local)', () => {
  const dynalite = connect(engines.dynalite)
  const ddbLocal = connect(engines.dynamodbLocal)
  const dir = tempDir('dynx-envs-')
  const sub = join(dir, 'sub', 'deeper')
  const home = tempDir('dynx-envs-home-')
  const dynx = (args: string[], cwd = dir) => runCli(args, { cwd, env: { DYNX_HOME: home } })
  const count = async (table: string) => (await allItems(ddbLocal, table)).length

  beforeAll(async () => {
    writeFileSync(join(dir, 'dynx.config.yaml'), environments)
    mkdirSync(sub, { recursive: true })
    const seeded = await dynx(['bootstrap', '--env', 'staging', '--items', String(ITEMS)])
    expect(seeded.stderr).toBe('')
    expect(seeded.code).toBe(0)
    expect(seeded.stdout).toContain(`Created ${stg}users: ${ITEMS} items`)
    expect(seeded.stdout).toContain(`Created ${stg}orders: ${ITEMS} items`)
  })
  afterAll(() => {
    dynalite.destroy()
    ddbLocal.destroy()
  })

  it('bootstrap --env staging made the tables on dynalite only, with the staging prefix', async () => {
    expect(await listTableNames(dynalite, stg)).toEqual([`${stg}orders`, `${stg}users`])
    expect(await listTableNames(ddbLocal, stg)).toEqual([])
  })

  it('copy/verify a named table --from-env staging --to-env qa, then every table of staging', async () => {
    const copied = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'qa'])
    expect(copied.code).toBe(0)
    expect(copied.stdout).toContain(`${stg}users`)
    expect(copied.stdout).toContain(`${qa}users (created)`)
    // Created on DynamoDB Local (qa's endpoint), not on dynalite.
    expect(await findTable(ddbLocal, `${qa}users`)).toBeDefined()
    expect(await findTable(dynalite, `${qa}users`)).toBeUndefined()
    expect(await count(`${qa}users`)).toBe(ITEMS)
    expect(await listTableNames(ddbLocal, qa)).toEqual([`${qa}users`])

    const verified = await dynx(['verify', 'users', '--from-env', 'staging', '--to-env', 'qa'])
    expect(verified.code).toBe(0)
    expect(verified.stdout).toMatch(new RegExp(`^equal: ${ITEMS} items`))
    const verifiedJson = await dynx(['verify', 'users', '--from-env', 'staging', '--to-env', 'qa', '--json'])
    expect(verifiedJson.code).toBe(0)
    expect(JSON.parse(verifiedJson.stdout)).toMatchObject({ equal: true, source: { items: ITEMS }, target: { items: ITEMS } })

    // No names: every table of staging (users now holds items, so overwriting needs --yes).
    const all = await dynx(['copy', '--from-env', 'staging', '--to-env', 'qa', '--yes'])
    expect(all.code).toBe(0)
    expect(all.stdout).toContain(`${qa}orders (created)`)
    expect(all.stdout).toContain(`${qa}users`)
    expect(await listTableNames(ddbLocal, qa)).toEqual([`${qa}orders`, `${qa}users`])
    expect(await count(`${qa}orders`)).toBe(ITEMS)
    expect(await count(`${qa}users`)).toBe(ITEMS)
    const orders = await dynx(['verify', 'orders', '--from-env', 'staging', '--to-env', 'qa'])
    expect(orders.code).toBe(0)
    expect(orders.stdout).toMatch(new RegExp(`^equal: ${ITEMS} items`))
  })

  it('scan users --env staging prints the staging items, also from a sub-folder (config found in a parent)', async () => {
    for (const cwd of [dir, sub]) {
      const scan = await dynx(['scan', 'users', '--env', 'staging', '--format', 'jsonl'], cwd)
      expect({ cwd, code: scan.code, stderr: scan.stderr }).toEqual({ cwd, code: 0, stderr: '' })
      const lines = scan.stdout.trim().split('\n')
      expect(lines).toHaveLength(ITEMS)
      const ids = lines.map((l) => (JSON.parse(l) as { userId: string }).userId).sort()
      expect(ids[0]).toBe('user-000001')
      expect(new Set(ids).size).toBe(ITEMS)
    }
  })

  it('a protected environment is refused without confirmation, and written with --yes --confirm-env prod', async () => {
    const nothingInProd = async () => expect(await listTableNames(ddbLocal, prd)).toEqual([])

    const refused = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'prod'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('"prod" is a protected environment')
    expect(refused.stderr).toContain('--confirm-env prod')
    await nothingInProd()

    // --yes alone is not enough: CI must name the environment.
    const yesOnly = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'prod', '--yes'])
    expect(yesOnly.code).toBe(2)
    expect(yesOnly.stderr).toContain('--confirm-env prod')
    await nothingInProd()

    const wrongName = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'prod', '--yes', '--confirm-env', 'qa'])
    expect(wrongName.code).toBe(2)
    expect(wrongName.stderr).toContain('--confirm-env qa does not match')
    expect(wrongName.stderr).toContain('(prod)')
    await nothingInProd()

    // A command writing through its main connection is guarded the same way.
    const bootstrap = await dynx(['bootstrap', '--env', 'prod', '--items', '1'])
    expect(bootstrap.code).toBe(2)
    expect(bootstrap.stderr).toContain('"prod" is a protected environment')
    await nothingInProd()

    // A dry run writes nothing and needs no confirmation.
    const dry = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'prod', '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`${prd}users`)
    expect(dry.stdout).toContain('created (clone)')
    await nothingInProd()

    const confirmed = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'prod', '--yes', '--confirm-env', 'prod'])
    expect(confirmed.code).toBe(0)
    expect(confirmed.stdout).toContain(`${prd}users (created)`)
    expect(await listTableNames(ddbLocal, prd)).toEqual([`${prd}users`])
    expect(await count(`${prd}users`)).toBe(ITEMS)

    // Reading prod needs no confirmation.
    const scan = await dynx(['scan', 'users', '--env', 'prod', '--format', 'jsonl'])
    expect(scan.code).toBe(0)
    expect(scan.stdout.trim().split('\n')).toHaveLength(ITEMS)
    const verify = await dynx(['verify', 'users', '--from-env', 'staging', '--to-env', 'prod'])
    expect(verify.code).toBe(0)
    expect(verify.stdout).toMatch(/^equal/)

    // Out of prod with --bump-read raises (and later lowers) prod's capacity: that needs the confirmation too.
    const bumpOut = await dynx(['copy', 'users', '--from-env', 'prod', '--to-env', 'qa', '--bump-read', '50', '--yes'])
    expect(bumpOut.code).toBe(2)
    expect(bumpOut.stderr).toContain('"prod" is a protected environment and this command writes into it (capacity of the source)')
    expect(bumpOut.stdout).toBe('')
    const plainOut = await dynx(['copy', 'users', '--from-env', 'prod', '--to-env', 'qa', '--dry-run'])
    expect(plainOut.code, plainOut.stderr).toBe(0)
  })

  it('a prefix from the config\'s defaults never stands for "every table": a bare pitr enable is bad input', async () => {
    const folder = tempDir('dynx-envs-defaults-')
    writeFileSync(join(folder, 'dynx.config.yaml'), `defaults:\n  endpoint: ${engines.dynalite}\n  prefix: ${stg}\n${environments}`)
    const bare = await dynx(['pitr', 'enable', '--yes'], folder)
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('Name the tables, or give --prefix')
  })

  it('bad input exits 2: unknown environment, --confirm-env naming another environment, invalid config, missing --config file', async () => {
    const unknown = await dynx(['scan', 'users', '--env', 'nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('--env nope')
    expect(unknown.stderr).toContain('Known environments: staging, prod, qa.')

    const mismatch = await dynx(['scan', 'users', '--env', 'staging', '--confirm-env', 'prod'])
    expect(mismatch.code).toBe(2)
    expect(mismatch.stderr).toContain('--confirm-env prod does not match')

    const unknownSide = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'nope', '--dry-run'])
    expect(unknownSide.code).toBe(2)
    expect(unknownSide.stderr).toContain('"nope"')
    expect(unknownSide.stderr).toContain('Known environments: staging, prod, qa.')

    const invalid = tempDir('dynx-envs-bad-')
    const file = join(invalid, 'dynx.config.yaml')
    writeFileSync(file, 'environments:\n  prod:\n    regoin: x\n')
    for (const args of [
      ['scan', 'users', '--env', 'prod'],
      ['config', 'show'],
    ]) {
      const bad = await dynx(args, invalid)
      expect({ args, code: bad.code }).toEqual({ args, code: 2 })
      expect(bad.stderr).toContain(file)
      expect(bad.stderr).toContain('environments.prod.regoin')
    }

    const missing = await dynx(['scan', 'users', '--env', 'staging', '--config', 'missing.yaml'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(join(dir, 'missing.yaml'))
    expect(missing.stderr).toContain('does not exist')
  })

  it('an unknown --from-env/--to-env is named by the flag that was given', async () => {
    const to = await dynx(['copy', 'users', '--from-env', 'staging', '--to-env', 'nope', '--dry-run'])
    expect(to.code).toBe(2)
    expect(to.stderr).toContain('--to-env nope')
    const from = await dynx(['verify', 'users', '--from-env', 'nope', '--to-env', 'qa'])
    expect(from.code).toBe(2)
    expect(from.stderr).toContain('--from-env nope')
  })

  it('DYNX_CONFIG names the config from an unrelated folder', async () => {
    const elsewhere = tempDir('dynx-envs-elsewhere-')
    const shown = await runCli(['config', 'show', '--env', 'staging', '--json'], { cwd: elsewhere, env: { DYNX_HOME: home, DYNX_CONFIG: join(dir, 'dynx.config.yaml') } })
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout)).toMatchObject({ config: join(dir, 'dynx.config.yaml'), environment: 'staging', settings: { prefix: { value: stg, from: 'env staging' } } })
  })

  it('a missing TABLE: exit 2 with no terminal; defaults.table fills it in', async () => {
    const none = await dynx(['scan', '--env', 'staging'])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('needs a TABLE')
    expect(none.stderr).toContain('defaults.table')
    const noneDescribe = await dynx(['tables', 'describe', '--env', 'staging'])
    expect(noneDescribe.code).toBe(2)
    expect(noneDescribe.stderr).toContain('`dynx tables describe` needs a TABLE')

    const withDefault = tempDir('dynx-envs-default-')
    writeFileSync(join(withDefault, 'dynx.config.yaml'), `defaults:\n  table: users\n${environments}`)
    const scan = await dynx(['scan', '--env', 'staging', '--format', 'jsonl'], withDefault)
    expect(scan.code).toBe(0)
    const lines = scan.stdout.trim().split('\n')
    expect(lines).toHaveLength(ITEMS)
    expect(lines.every((l) => (JSON.parse(l) as { userId?: string }).userId?.startsWith('user-'))).toBe(true)
    const described = await dynx(['tables', 'describe', '--env', 'staging', '--json'], withDefault)
    expect(described.code).toBe(0)
    expect(JSON.parse(described.stdout)).toMatchObject({ name: `${stg}users` })
  })

  it.skipIf(!existsSync(SCRIPT))("on a terminal, tables describe with no TABLE offers a pick list of the environment's tables", async () => {
    const pty = runOnPty(['tables', 'describe', '--env', 'staging'], { cwd: dir, env: cliEnv(home) })
    await pty.waitFor((s) => lastFrame(s).includes(`${stg}users`) && lastFrame(s).includes(`${stg}orders`), 'the pick list')
    pty.write('ord')
    // Enter only once the list is filtered down to orders.
    await pty.waitFor((s) => lastFrame(s).includes(`${stg}orders`) && !lastFrame(s).includes(`${stg}users`), 'the filtered list')
    pty.write('\r')
    expect(await pty.exited).toBe(0)
    const out = pty.output()
    expect(out).toContain(`arn:aws:dynamodb:us-east-1:000000000000:table/${stg}orders`)
    expect(out).toMatch(new RegExp(`Table\\s+${stg}orders`))
    expect(out).toMatch(/Partition key\s+customerId \(S\)/)
    expect(out).toMatch(/Sort key\s+orderId \(S\)/)
  })

  it.skipIf(!existsSync(SCRIPT))('on a terminal, writing into prod wants "prod" typed: a wrong answer writes nothing, the name goes ahead', async () => {
    const wrong = runOnPty(['copy', 'orders', '--from-env', 'staging', '--to-env', 'prod'], { cwd: dir, env: cliEnv(home) })
    await wrong.waitFor((s) => s.includes('Type "prod" to continue'), 'the confirmation question')
    wrong.write('qa\r')
    expect(await wrong.exited).toBe(2)
    expect(wrong.output()).toContain('Not confirmed')
    expect(await findTable(ddbLocal, `${prd}orders`)).toBeUndefined()

    const right = runOnPty(['copy', 'orders', '--from-env', 'staging', '--to-env', 'prod'], { cwd: dir, env: cliEnv(home) })
    await right.waitFor((s) => s.includes('Type "prod" to continue'), 'the confirmation question')
    right.write('prod\r')
    expect(await right.exited).toBe(0)
    expect(right.output()).toContain(`${prd}orders (created)`)
    expect(await count(`${prd}orders`)).toBe(ITEMS)
  })

  it('config show: --env prod --region us-west-2 --json says where each setting came from; no --env lists the environments', async () => {
    const shown = await dynx(['config', 'show', '--env', 'prod', '--region', 'us-west-2', '--json'])
    expect(shown.code).toBe(0)
    const report = JSON.parse(shown.stdout) as {
      config: string
      environment: string
      protected: boolean
      settings: Record<string, { value: unknown; from: string }>
      environments: { name: string; prefix?: string; protected: boolean }[]
    }
    expect(report.config).toBe(join(dir, 'dynx.config.yaml'))
    expect(report.environment).toBe('prod')
    expect(report.protected).toBe(true)
    expect(report.settings.region).toEqual({ value: 'us-west-2', from: 'flag' })
    expect(report.settings.prefix).toEqual({ value: prd, from: 'env prod' })
    expect(report.settings.endpoint).toEqual({ value: engines.dynamodbLocal, from: 'env prod' })
    expect(report.environments).toEqual([
      { name: 'staging', prefix: stg, protected: false },
      { name: 'prod', prefix: prd, protected: true },
      { name: 'qa', prefix: qa, protected: false },
    ])
    // A flag wins over the environment for the prefix too.
    const flagged = await dynx(['config', 'show', '--env', 'prod', '--prefix', 'x_', '--json'])
    expect((JSON.parse(flagged.stdout) as typeof report).settings.prefix).toEqual({ value: 'x_', from: 'flag' })

    const plain = await dynx(['config', 'show'], sub)
    expect(plain.code).toBe(0)
    expect(plain.stdout).toContain(`Config:      ${join(dir, 'dynx.config.yaml')}`)
    expect(plain.stdout).toContain('Environment: none')
    expect(plain.stdout).toContain(`Environments: staging (${stg}*), prod (${prd}*) [protected], qa (${qa}*)`)
  })

  it('tables describe --env staging: no console URL for a local endpoint, and the text says so', async () => {
    const json = await dynx(['tables', 'describe', 'users', '--env', 'staging', '--json'])
    expect(json.code).toBe(0)
    const info = JSON.parse(json.stdout) as { name: string; consoleUrl?: string }
    expect(info.name).toBe(`${stg}users`)
    expect('consoleUrl' in info).toBe(false)

    const text = await dynx(['tables', 'describe', 'users', '--env', 'staging'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/Console\s+none \(not an AWS endpoint\)/)
    expect(text.stdout).toMatch(new RegExp(`Table\\s+${stg}users`))
  })
})
