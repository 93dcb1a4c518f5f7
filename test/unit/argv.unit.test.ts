import { describe, expect, it } from 'vitest'

import { GLOBAL_BOOLEAN, GLOBAL_WITH_VALUE, moveLeadingGlobalFlags } from '../../src/cli/argv.js'
import { DynxCommand } from '../../src/cli/base.js'
import { ALL_GLOBAL_FLAGS, GLOBAL_FLAGS } from '../../src/cli/global-flags.js'

describe('global flags before the command', () => {
  it('moves them after the command so oclif finds the command', () => {
    expect(moveLeadingGlobalFlags(['--prefix', 'staging_', 'tables', 'describe', 'users'])).toEqual(['tables', 'describe', 'users', '--prefix', 'staging_'])
    expect(moveLeadingGlobalFlags(['--local', '--region=eu-west-1', 'tables', 'list'])).toEqual(['tables', 'list', '--local', '--region=eu-west-1'])
  })

  it('moves --env, --config and --confirm-env, with a separate value or after "="', () => {
    expect(moveLeadingGlobalFlags(['--env', 'staging', 'scan', 'users'])).toEqual(['scan', 'users', '--env', 'staging'])
    expect(moveLeadingGlobalFlags(['--env=staging', 'scan', 'users'])).toEqual(['scan', 'users', '--env=staging'])
    expect(moveLeadingGlobalFlags(['--config', 'dynx.config.yaml', 'config', 'show'])).toEqual(['config', 'show', '--config', 'dynx.config.yaml'])
    expect(moveLeadingGlobalFlags(['--confirm-env=prod', '-y', '--timeout', '5', 'copy', 'a', 'b'])).toEqual(['copy', 'a', 'b', '--confirm-env=prod', '-y', '--timeout', '5'])
  })

  it('takes the value after a flag that has one even when it looks like a command', () => {
    expect(moveLeadingGlobalFlags(['--profile', 'scan', 'scan', 'users'])).toEqual(['scan', 'users', '--profile', 'scan'])
  })

  it('leaves other argv alone and keeps pass-through arguments after --', () => {
    expect(moveLeadingGlobalFlags(['tables', 'list', '--local'])).toEqual(['tables', 'list', '--local'])
    expect(moveLeadingGlobalFlags(['--yes', 'run', 'x', '--', 'cmd', '--local'])).toEqual(['run', 'x', '--yes', '--', 'cmd', '--local'])
    expect(moveLeadingGlobalFlags(['--segments', '4', 'scan', 'users'])).toEqual(['--segments', '4', 'scan', 'users'])
    // A flag with a missing value, or no command at all: left for oclif to report.
    expect(moveLeadingGlobalFlags(['--env'])).toEqual(['--env'])
    expect(moveLeadingGlobalFlags(['--verbose'])).toEqual(['--verbose'])
  })

  it('knows every flag of the base command, and --json, from the one declaration', () => {
    const base = DynxCommand.baseFlags as Record<string, { type: string; char?: string }>
    expect(Object.keys(base).sort()).toEqual(Object.keys(GLOBAL_FLAGS).sort())
    const expectBoolean = new Set([
      'json',
      ...Object.entries(base)
        .filter(([, f]) => f.type === 'boolean')
        .map(([n]) => n),
    ])
    for (const name of Object.keys(ALL_GLOBAL_FLAGS)) {
      const set = expectBoolean.has(name) ? GLOBAL_BOOLEAN : GLOBAL_WITH_VALUE
      expect(set.has(`--${name}`), name).toBe(true)
      const char = base[name]?.char
      if (char) expect(set.has(`-${char}`), `-${char}`).toBe(true)
    }
    expect(GLOBAL_BOOLEAN.size + GLOBAL_WITH_VALUE.size).toBe(Object.keys(ALL_GLOBAL_FLAGS).length + Object.values(base).filter((f) => f.char).length)
  })
})

describe('--retry-for', () => {
  it('defaults to the retry policy window in seconds', async () => {
    const { GLOBAL_FLAGS } = await import('../../src/cli/global-flags.js')
    const { DEFAULT_RETRY_WINDOW_MS } = await import('../../src/connection/retry.js')
    expect(GLOBAL_FLAGS['retry-for'].default).toBe(DEFAULT_RETRY_WINDOW_MS / 1000)
  })
})
