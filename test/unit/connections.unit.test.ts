import { describe, expect, it } from 'vitest'

import type { LoadedConfig } from '../../src/config/config.js'
import { parseConfig } from '../../src/config/schema.js'
import { recordedConnection, resolveCommandConnections, sameAccountAndRegion } from '../../src/config/connections.js'
import { UserInputError } from '../../src/errors.js'

const loaded: LoadedConfig = {
  path: '/project/dynx.config.yaml',
  config: parseConfig(
    {
      defaults: { region: 'us-east-1', prefix: 'dflt_' },
      environments: {
        staging: { prefix: 'staging_', region: 'eu-west-1', profile: 'staging-profile' },
        prod: { prefix: 'prod_', region: 'eu-central-1', profile: 'prod-profile', protected: true },
        dev: { local: true, prefix: 'dev_' },
        remote: { endpoint: 'http://env.example:8001', prefix: 'r_' },
      },
    },
    '/project/dynx.config.yaml',
  ),
}

describe('resolveCommandConnections: the main connection and both sides, from what was typed and the config', () => {
  it('no environment: every side is the main connection, from the defaults (then AWS)', () => {
    const c = resolveCommandConnections({ given: {} }, loaded)
    expect(c.main.choice).toEqual({ region: 'us-east-1', endpoint: undefined, profile: undefined })
    expect(c.main.environment).toBeUndefined()
    expect(c.main.prefix).toBe('dflt_')
    expect(c.source).toEqual(c.main)
    expect(c.target).toEqual(c.main)
    expect(resolveCommandConnections({ given: {} }, undefined).main.choice).toEqual({ region: undefined, endpoint: undefined, profile: undefined })
  })

  it('a flag wins over --env, which wins over the defaults; --env applies to both sides', () => {
    const c = resolveCommandConnections({ given: { region: 'ap-south-1' }, env: 'staging' }, loaded)
    expect(c.main.choice).toEqual({ region: 'ap-south-1', profile: 'staging-profile', endpoint: undefined })
    expect(c.main.prefix).toBe('staging_')
    expect(c.main.environment).toBe('staging')
    expect(c.target.environment).toBe('staging')
    expect(c.source.choice).toEqual(c.main.choice)
  })

  it('--from-env and --to-env give each side its own environment (prefix, region, profile, protected); the main one stays --env', () => {
    const c = resolveCommandConnections({ given: {}, sideEnv: { source: 'staging', target: 'prod' } }, loaded)
    expect(c.main.environment).toBeUndefined()
    expect(c.source).toMatchObject({ environment: 'staging', prefix: 'staging_', choice: { region: 'eu-west-1', profile: 'staging-profile' } })
    expect(c.target).toMatchObject({ environment: 'prod', prefix: 'prod_', choice: { region: 'eu-central-1', profile: 'prod-profile' } })
    expect(c.target.resolved.protected).toBe(true)
    expect(c.source.resolved.protected).toBe(false)
    // A side without its own environment uses --env.
    const half = resolveCommandConnections({ given: {}, env: 'dev', sideEnv: { target: 'remote' } }, loaded)
    expect(half.source).toMatchObject({ environment: 'dev', choice: { local: true }, prefix: 'dev_' })
    expect(half.target).toMatchObject({ environment: 'remote', choice: { endpoint: 'http://env.example:8001' }, prefix: 'r_' })
  })

  it("a typed --prefix is every side's prefix; flags typed for the main connection apply to each side's environment too", () => {
    const c = resolveCommandConnections({ given: { prefix: 'x_', profile: 'mine' }, sideEnv: { source: 'staging', target: 'prod' } }, loaded)
    expect([c.main.prefix, c.source.prefix, c.target.prefix]).toEqual(['x_', 'x_', 'x_'])
    expect([c.source.choice.profile, c.target.choice.profile]).toEqual(['mine', 'mine'])
  })

  it('--source-* / --target-* override their side only; with --local, --source-region alone means that region of AWS', () => {
    const c = resolveCommandConnections({ given: { local: true }, overrides: { source: { region: 'eu-west-2' }, target: {} } }, loaded)
    expect(c.main.choice).toEqual({ local: true })
    expect(c.source.choice).toEqual({ region: 'eu-west-2', profile: undefined, endpoint: undefined })
    expect(c.target.choice).toEqual({ local: true })
    const e = resolveCommandConnections({ given: { endpoint: 'http://a:1' }, overrides: { target: { profile: 'p2' } } }, loaded)
    expect(e.target.choice).toEqual({ endpoint: 'http://a:1', region: 'us-east-1', profile: 'p2' })
    expect(e.source.choice).toEqual(e.main.choice)
  })

  it('an unknown environment is bad input naming the flag that gave it', () => {
    expect(() => resolveCommandConnections({ given: {}, env: 'nope' }, loaded)).toThrow(/^--env nope: .* has no environment "nope"/)
    expect(() => resolveCommandConnections({ given: {}, sideEnv: { source: 'nope' } }, loaded)).toThrow(/^--from-env nope/)
    expect(() => resolveCommandConnections({ given: {}, sideEnv: { target: 'nope' } }, loaded)).toThrow(UserInputError)
    expect(() => resolveCommandConnections({ given: {}, sideEnv: { target: 'nope' } }, loaded)).toThrow(/^--to-env nope/)
  })
})

describe('recordedConnection: what a throughput ledger records', () => {
  it('adds what AWS environment variables say to an unset endpoint, region or profile; --local records its store', () => {
    const env = { AWS_ENDPOINT_URL_DYNAMODB: 'http://env:1', AWS_DEFAULT_REGION: 'sa-east-1', AWS_PROFILE: 'envp' }
    expect(recordedConnection({ region: 'eu-west-1' }, env, '/store')).toEqual({ endpoint: 'http://env:1', region: 'eu-west-1', profile: 'envp' })
    expect(recordedConnection({ local: true }, env, '/store')).toEqual({ local: true, localPath: '/store' })
    expect(recordedConnection({ endpoint: undefined, region: undefined }, {}, '/store')).toEqual({})
  })

  it('sameAccountAndRegion ignores key order and unset keys, and tells local from remote', () => {
    expect(sameAccountAndRegion({ region: 'a', profile: undefined }, { profile: undefined, region: 'a' })).toBe(true)
    expect(sameAccountAndRegion({ region: 'a' }, { region: 'a', profile: 'p' })).toBe(false)
    expect(sameAccountAndRegion({ local: true }, {})).toBe(false)
  })
})
