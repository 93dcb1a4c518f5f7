import { describe, expect, it } from 'vitest'

import { moveLeadingGlobalFlags } from '../../src/cli/argv.js'

describe('global flags before the command', () => {
  it('moves them after the command so oclif finds the command', () => {
    expect(moveLeadingGlobalFlags(['--prefix', 'staging_', 'tables', 'describe', 'users'])).toEqual(['tables', 'describe', 'users', '--prefix', 'staging_'])
    expect(moveLeadingGlobalFlags(['--local', '--region=eu-west-1', 'tables', 'list'])).toEqual(['tables', 'list', '--local', '--region=eu-west-1'])
  })

  it('leaves other argv alone and keeps pass-through arguments after --', () => {
    expect(moveLeadingGlobalFlags(['tables', 'list', '--local'])).toEqual(['tables', 'list', '--local'])
    expect(moveLeadingGlobalFlags(['--yes', 'run', 'x', '--', 'cmd', '--local'])).toEqual(['run', 'x', '--yes', '--', 'cmd', '--local'])
  })
})
