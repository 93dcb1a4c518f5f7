import { Config } from '@oclif/core/config'
import { normalizeArgv } from '@oclif/core/help'
import { describe, expect, it } from 'vitest'

import { findCommandId } from '../../src/cli/fast-run.js'
import { REPO } from '../helpers.js'

// bin/run.js finds the command itself to skip oclif's main.js; it must find the same command and
// argv as oclif's normalizeArgv, which main.js uses.
describe('findCommandId', () => {
  const argvs = [
    ['tables', 'list', '--endpoint', 'http://localhost:8000'],
    ['tables', 'describe', 'users', '--json'],
    ['tables', 'list', 'extra'],
    ['tables'],
    ['tables', 'nosuch'],
    ['tables:list', '--json'],
    ['copy', 'staging_users', 'users'],
    ['copy', '--from-prefix=staging_', '--to-prefix', 'prod_'],
    ['throughput', 'bump', 'users', '--read', '100', '--', 'npm', 'run', 'job'],
    ['backup', 'restore', 'arn', 'users'],
    ['scan', 'users', '--segments', '8'],
    ['report', 'capacity', 'users'],
    ['local', 'serve'],
    ['config', 'show'],
    ['nosuch', 'tables', 'list'],
    ['bootstrap'],
  ]
  it.each(argvs.map((argv) => [argv.join(' '), argv]))('%s: as oclif normalizes it', async (_, argv) => {
    const config = await Config.load(REPO)
    const [id, ...rest] = normalizeArgv(config, [...argv])
    expect(findCommandId(argv, config)).toEqual({ id, argv: rest })
  })

  it('no argv: no command', async () => {
    expect(findCommandId([], await Config.load(REPO))).toBeUndefined()
  })
})
