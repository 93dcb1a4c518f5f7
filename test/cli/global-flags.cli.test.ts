import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import { ALL_GLOBAL_FLAGS } from '../../src/cli/global-flags.js'
import { runCli, tempDir } from '../helpers.js'

// README: "Global flags may come before the command (`dynx --local tables list`) or after it."
// Each run below puts global flags before the command; together they use every global flag in
// both spellings (`--flag value` and `--flag=value`), and the last test checks that none is missed.

const CONFIG = `defaults:
  region: eu-west-1
environments:
  staging:
    prefix: stg_
    profile: stgprofile
  dev:
    local: true
    prefix: dev_
    protected: true
`

function setup() {
  const dir = tempDir('dynx-global-flags-')
  const config = join(dir, 'team.config.yaml') // not a name dynx finds by itself: only --config reaches it
  writeFileSync(config, CONFIG)
  const env = { DYNX_HOME: join(dir, 'home'), DYNX_LOCAL_PATH: join(dir, 'local') }
  return { dir, config, env }
}

/** The global flags a run used, by name (`-y` is `yes`). */
function flagsUsed(args: string[]): string[] {
  const chars = new Map(
    Object.entries(ALL_GLOBAL_FLAGS)
      .filter(([, s]) => s.char)
      .map(([n, s]) => [`-${s.char}`, n]),
  )
  return args.flatMap((a) => (a.startsWith('--') ? [a.slice(2).split('=')[0]] : chars.has(a) ? [chars.get(a) as string] : [])).filter((n) => n in ALL_GLOBAL_FLAGS)
}

type Report = { config: string; environment: string; settings: Record<string, { value: unknown; from: string }> }

const used = new Set<string>()

describe('global flags before the command', () => {
  const connectionRun = (config: string, eq: boolean) => {
    const pairs: Array<[string, string]> = [
      ['config', config],
      ['env', 'staging'],
      ['region', 'us-west-2'],
      ['profile', 'p1'],
      ['endpoint', 'http://127.0.0.1:9'],
      ['prefix', 'p_'],
      ['timeout', '5'],
      ['retry-for', '30'],
    ]
    return [...pairs.flatMap(([n, v]) => (eq ? [`--${n}=${v}`] : [`--${n}`, v])), '--verbose', '--json', 'config', 'show']
  }

  for (const eq of [false, true]) {
    it(`config show: --config, --env, --region, --profile, --endpoint, --prefix, --timeout, --retry-for, --verbose, --json (${eq ? '--flag=value' : '--flag value'})`, async () => {
      const { dir, config, env } = setup()
      const args = connectionRun(config, eq)
      for (const n of flagsUsed(args)) used.add(n)
      const r = await runCli(args, { env, cwd: dir })
      expect(r.stderr).not.toContain('not found')
      expect(r.code).toBe(0)
      const report = JSON.parse(r.stdout) as Report
      expect(report.config).toBe(config)
      expect(report.environment).toBe('staging')
      expect(report.settings.region).toEqual({ value: 'us-west-2', from: 'flag' })
      expect(report.settings.profile).toEqual({ value: 'p1', from: 'flag' })
      expect(report.settings.endpoint).toEqual({ value: 'http://127.0.0.1:9', from: 'flag' })
      expect(report.settings.prefix).toEqual({ value: 'p_', from: 'flag' })
    })
  }

  it('bootstrap into a protected environment: --local, --yes/-y, --confirm-env in both spellings; another --confirm-env is exit 2', { timeout: 120_000 }, async () => {
    const { dir, config, env } = setup()
    const refused = await runCli(['--config', config, '--env', 'dev', '--yes', '--confirm-env', 'prod', 'bootstrap', '--items', '2'], { env, cwd: dir })
    expect(refused.stderr).toContain('--confirm-env prod does not match')
    expect(refused.code).toBe(2)
    for (const args of [
      ['--config', config, '--env', 'dev', '--local', '--yes', '--confirm-env', 'dev', '--json', 'bootstrap', '--items', '2'],
      [`--config=${config}`, '--env=dev', '-y', '--confirm-env=dev', '--local', '--json', 'bootstrap', '--items', '2'],
    ]) {
      for (const n of flagsUsed(args)) used.add(n)
      const r = await runCli(args, { env, cwd: dir })
      expect(r.stderr).not.toContain('not found')
      expect(r.code, r.stderr).toBe(0)
      const result = JSON.parse(r.stdout) as { tables: { table: string; items: number }[] }
      expect(result.tables.map((t) => t.table).sort()).toEqual(['dev_orders', 'dev_users'])
    }
  })

  it('the runs above used every global flag (a new one needs a run here)', () => {
    expect([...used].sort()).toEqual(Object.keys(ALL_GLOBAL_FLAGS).sort())
  })
})
