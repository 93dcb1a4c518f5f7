import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { stripVTControlCharacters } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { sameAccountAndRegion } from '../../src/cli/base.js'
import { pickTable } from '../../src/cli/pick-table.js'
import { CONFIG_FILE_NAMES, findConfigFile, loadConfig, resolveConnection, settingsReport, type LoadedConfig } from '../../src/config/config.js'
import { parseConfig } from '../../src/config/schema.js'
import { ConfigValidationError, InterruptedError, UserInputError } from '../../src/errors.js'
import { consoleTableUrl } from '../../src/tables/describe.js'
import { tempDir } from '../helpers.js'

/** The error a function throws (or rejects with); fails the test when it does not throw. */
async function thrown(fn: () => unknown): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error, but none was thrown')
}

const loaded: LoadedConfig = {
  path: '/project/dynx.config.yaml',
  config: parseConfig(
    {
      defaults: { region: 'us-east-1', profile: 'default-profile', prefix: 'dflt_', endpoint: 'http://defaults.example:8000', table: 'users', segments: 4, output: 'csv' },
      environments: {
        staging: { prefix: 'staging_', region: 'eu-west-1', profile: 'staging-profile' },
        prod: { prefix: 'prod_', region: 'eu-central-1', protected: true },
        dev: { local: true, prefix: 'dev_' },
        remote: { endpoint: 'http://env.example:8001' },
      },
    },
    '/project/dynx.config.yaml',
  ),
}

/** A config with environments but no `defaults`, to see what falls through to AWS. */
const bare: LoadedConfig = {
  path: '/project/dynx.config.json',
  config: parseConfig({ environments: { staging: { prefix: 'staging_' }, dev: { local: true } } }, '/project/dynx.config.json'),
}

describe('precedence: flag > environment > defaults > AWS (resolveConnection)', () => {
  it('takes region, profile and prefix from a flag over the environment and defaults', () => {
    const r = resolveConnection({ region: 'ap-south-1', profile: 'cli-profile', prefix: 'cli_' }, loaded, 'staging')
    expect(r.region).toEqual({ value: 'ap-south-1', from: 'flag' })
    expect(r.profile).toEqual({ value: 'cli-profile', from: 'flag' })
    expect(r.prefix).toEqual({ value: 'cli_', from: 'flag' })
  })

  it('takes an empty --prefix "" on the command line over the environment prefix', () => {
    expect(resolveConnection({ prefix: '' }, loaded, 'staging').prefix).toEqual({ value: '', from: 'flag' })
  })

  it('takes the environment over defaults, labelled "env NAME"', () => {
    const r = resolveConnection({}, loaded, 'staging')
    expect(r.region).toEqual({ value: 'eu-west-1', from: 'env staging' })
    expect(r.profile).toEqual({ value: 'staging-profile', from: 'env staging' })
    expect(r.prefix).toEqual({ value: 'staging_', from: 'env staging' })
  })

  it('falls back to defaults for what the environment does not set', () => {
    const r = resolveConnection({}, loaded, 'prod')
    expect(r.region).toEqual({ value: 'eu-central-1', from: 'env prod' })
    expect(r.profile).toEqual({ value: 'default-profile', from: 'defaults' })
    const noEnv = resolveConnection({}, loaded)
    expect(noEnv.region).toEqual({ value: 'us-east-1', from: 'defaults' })
    expect(noEnv.prefix).toEqual({ value: 'dflt_', from: 'defaults' })
    expect(noEnv.endpoint).toEqual({ value: 'http://defaults.example:8000', from: 'defaults' })
  })

  it('leaves to AWS what no level sets: region/profile/endpoint "AWS", prefix "" and local false from "none"', () => {
    for (const r of [resolveConnection({}, undefined), resolveConnection({}, bare, 'staging')]) {
      expect(r.region).toEqual({ value: undefined, from: 'AWS' })
      expect(r.profile).toEqual({ value: undefined, from: 'AWS' })
      expect(r.endpoint).toEqual({ value: undefined, from: 'AWS' })
      expect(r.local).toEqual({ value: false, from: 'none' })
    }
    expect(resolveConnection({}, undefined).prefix).toEqual({ value: '', from: 'none' })
    expect(resolveConnection({}, bare, 'staging').prefix).toEqual({ value: 'staging_', from: 'env staging' })
  })

  it('where: an --endpoint flag beats an environment with local: true', () => {
    const r = resolveConnection({ endpoint: 'http://flag.example:9000' }, loaded, 'dev')
    expect(r.endpoint).toEqual({ value: 'http://flag.example:9000', from: 'flag' })
    expect(r.local).toEqual({ value: false, from: 'none' })
    // The rest of the environment still applies.
    expect(r.prefix).toEqual({ value: 'dev_', from: 'env dev' })
  })

  it('where: an environment endpoint beats the defaults endpoint', () => {
    const r = resolveConnection({}, loaded, 'remote')
    expect(r.endpoint).toEqual({ value: 'http://env.example:8001', from: 'env remote' })
    expect(r.local.value).toBe(false)
  })

  it('where: an environment with local: true hides the defaults endpoint', () => {
    const r = resolveConnection({}, loaded, 'dev')
    expect(r.local).toEqual({ value: true, from: 'env dev' })
    expect(r.endpoint.value).toBeUndefined()
  })

  it('where: an environment with neither endpoint nor local takes the defaults endpoint', () => {
    expect(resolveConnection({}, loaded, 'staging').endpoint).toEqual({ value: 'http://defaults.example:8000', from: 'defaults' })
  })

  it('where: a --local flag beats an environment endpoint', () => {
    const r = resolveConnection({ local: true }, loaded, 'remote')
    expect(r.local).toEqual({ value: true, from: 'flag' })
    expect(r.endpoint.value).toBeUndefined()
  })

  it('sets environment and protected from the environment applied', () => {
    const prod = resolveConnection({}, loaded, 'prod')
    expect(prod.environment).toBe('prod')
    expect(prod.protected).toBe(true)
    const staging = resolveConnection({}, loaded, 'staging')
    expect(staging.environment).toBe('staging')
    expect(staging.protected).toBe(false)
    const none = resolveConnection({}, loaded)
    expect(none.environment).toBeUndefined()
    expect(none.protected).toBe(false)
  })

  it('refuses an unknown environment as bad input (exit 2) listing the known ones', async () => {
    const err = await thrown(() => resolveConnection({}, loaded, 'qa'))
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as UserInputError).exitCode).toBe(2)
    expect(err.message).toBe('--env qa: /project/dynx.config.yaml has no environment "qa".')
    expect((err as UserInputError).hint).toBe('Known environments: staging, prod, dev, remote.')
  })

  it('refuses --env without any config file as bad input (exit 2) saying none was found', async () => {
    const err = await thrown(() => resolveConnection({}, undefined, 'prod'))
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as UserInputError).exitCode).toBe(2)
    expect(err.message).toContain('--env prod')
    expect(err.message).toContain('there is no dynx.config.json or dynx.config.yaml here or in a parent folder')
  })
})

/** The issues (path: message) of a config document that fails validation; fails when it passes. */
async function configIssues(doc: unknown): Promise<{ path: string; message: string }[]> {
  const err = await thrown(() => parseConfig(doc, 'dynx.config.yaml'))
  expect(err).toBeInstanceOf(ConfigValidationError)
  expect((err as ConfigValidationError).exitCode).toBe(2)
  expect((err as ConfigValidationError).file).toBe('dynx.config.yaml')
  const issues = (err as ConfigValidationError).issues
  // The message shows every issue as "path: message".
  for (const i of issues) expect(err.message).toContain(`  ${i.path || '(root)'}: ${i.message}`)
  return issues
}

describe('config validation names the path of every problem (ConfigValidationError, exit 2)', () => {
  it('accepts a full valid config, and an empty document', () => {
    expect(loaded.config.environments?.prod?.protected).toBe(true)
    expect(parseConfig(null, 'dynx.config.yaml')).toEqual({})
  })

  it('names an unknown top-level key', async () => {
    const issues = await configIssues({ defaults: {}, enviroments: {} })
    expect(issues).toHaveLength(1)
    expect(issues[0].path).toBe('enviroments')
    expect(issues[0].message).toMatch(/^unknown field/)
  })

  it('names an unknown key inside an environment as environments.prod.regoin', async () => {
    const issues = await configIssues({ environments: { prod: { regoin: 'eu-west-1' } } })
    expect(issues).toHaveLength(1)
    expect(issues[0].path).toBe('environments.prod.regoin')
    expect(issues[0].message).toMatch(/^unknown field/)
  })

  it('names an unknown key in defaults', async () => {
    const issues = await configIssues({ defaults: { tabel: 'users' } })
    expect(issues.map((i) => i.path)).toEqual(['defaults.tabel'])
  })

  it('rejects an endpoint that is not an http(s) URL', async () => {
    expect(await configIssues({ environments: { dev: { endpoint: 'localhost:8000' } } })).toEqual([{ path: 'environments.dev.endpoint', message: 'must be an http or https URL' }])
    expect(await configIssues({ defaults: { endpoint: 'ftp://files.example' } })).toEqual([{ path: 'defaults.endpoint', message: 'must be an http or https URL' }])
  })

  it('rejects an environment with both endpoint and local: true', async () => {
    expect(await configIssues({ environments: { dev: { endpoint: 'http://127.0.0.1:8000', local: true } } })).toEqual([
      { path: 'environments.dev', message: 'give either endpoint or local: true, not both' },
    ])
  })

  it('rejects defaults.segments 0 and "8" (a string)', async () => {
    const zero = await configIssues({ defaults: { segments: 0 } })
    expect(zero.map((i) => i.path)).toEqual(['defaults.segments'])
    expect(zero[0].message).toMatch(/>=\s*1/)
    const text = await configIssues({ defaults: { segments: '8' } })
    expect(text.map((i) => i.path)).toEqual(['defaults.segments'])
    expect(text[0].message).toMatch(/expected number, received string/)
    expect((await configIssues({ defaults: { segments: 2.5 } })).map((i) => i.path)).toEqual(['defaults.segments'])
  })

  it('rejects defaults.output other than jsonl, json, csv or table, listing them', async () => {
    expect(await configIssues({ defaults: { output: 'xml' } })).toEqual([{ path: 'defaults.output', message: 'must be one of "jsonl", "json", "csv", "table" (got "xml")' }])
  })

  it('rejects an environment name with a space, naming it and saying which names are allowed', async () => {
    const issues = await configIssues({ environments: { 'my env': { prefix: 'x_' } } })
    expect(issues.map((i) => i.path)).toEqual(['environments.my env'])
    // The schema's own rule for names (config.ts), not zod's generic "Invalid key in record".
    expect(issues[0].message).toContain('environment names are letters, digits')
  })

  it('rejects a document that is not a mapping, at (root)', async () => {
    const issues = await configIssues(['a', 'list'])
    expect(issues.map((i) => i.path)).toEqual([''])
    expect(issues[0].message).toMatch(/expected object/)
  })

  it('reports invalid YAML text at (root) with the file path', async () => {
    const dir = tempDir('dynx-config-')
    const file = join(dir, 'dynx.config.yaml')
    writeFileSync(file, 'environments:\n  prod: [unclosed\n')
    const err = await thrown(() => loadConfig({ cwd: dir, env: {} }))
    expect(err).toBeInstanceOf(ConfigValidationError)
    expect((err as ConfigValidationError).exitCode).toBe(2)
    expect((err as ConfigValidationError).file).toBe(file)
    expect((err as ConfigValidationError).issues).toHaveLength(1)
    expect((err as ConfigValidationError).issues[0].path).toBe('')
    expect((err as ConfigValidationError).issues[0].message).toMatch(/^not valid YAML: /)
    expect(err.message).toContain(`${file} is not a valid dynx config:\n  (root): not valid YAML: `)
  })

  it('reports invalid JSON text at (root) with the file path', async () => {
    const dir = tempDir('dynx-config-')
    const file = join(dir, 'dynx.config.json')
    writeFileSync(file, '{"defaults": {"region": "eu-west-1",}')
    const err = await thrown(() => loadConfig({ cwd: dir, env: {} }))
    expect(err).toBeInstanceOf(ConfigValidationError)
    expect((err as ConfigValidationError).exitCode).toBe(2)
    expect((err as ConfigValidationError).issues[0].path).toBe('')
    expect((err as ConfigValidationError).issues[0].message).toMatch(/^not valid JSON: /)
    expect(err.message).toContain(`${file} is not a valid dynx config:\n  (root): not valid JSON: `)
  })

  it('validates a file found on disk with the same paths (YAML)', async () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.yaml'), 'environments:\n  prod:\n    regoin: eu-west-1\n')
    const err = await thrown(() => loadConfig({ cwd: dir, env: {} }))
    expect(err).toBeInstanceOf(ConfigValidationError)
    expect((err as ConfigValidationError).issues.map((i) => i.path)).toEqual(['environments.prod.regoin'])
  })
})

describe('finding and loading dynx.config (loadConfig, findConfigFile)', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('searches the names in the order json, yaml, yml', () => {
    expect(CONFIG_FILE_NAMES).toEqual(['dynx.config.json', 'dynx.config.yaml', 'dynx.config.yml'])
  })

  it('finds dynx.config.yaml in the current folder and parses it', async () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.yaml'), 'environments:\n  prod:\n    prefix: prod_\n    protected: true\n')
    const found = await loadConfig({ cwd: dir, env: {} })
    expect(found?.path).toBe(join(dir, 'dynx.config.yaml'))
    expect(found?.config).toEqual({ environments: { prod: { prefix: 'prod_', protected: true } } })
  })

  it('finds dynx.config.yml too', () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.yml'), 'defaults: {}\n')
    expect(findConfigFile(dir)).toBe(join(dir, 'dynx.config.yml'))
  })

  it('finds the config in a parent folder', async () => {
    const dir = tempDir('dynx-config-')
    const nested = join(dir, 'a', 'b')
    mkdirSync(nested, { recursive: true })
    writeFileSync(join(dir, 'dynx.config.json'), JSON.stringify({ defaults: { region: 'eu-west-1' } }))
    expect(findConfigFile(nested)).toBe(join(dir, 'dynx.config.json'))
    const found = await loadConfig({ cwd: nested, env: {} })
    expect(found?.path).toBe(join(dir, 'dynx.config.json'))
    expect(found?.config.defaults?.region).toBe('eu-west-1')
  })

  it('takes the nearest folder first, whatever the file names', () => {
    const dir = tempDir('dynx-config-')
    const child = join(dir, 'child')
    mkdirSync(child)
    writeFileSync(join(dir, 'dynx.config.json'), '{}')
    writeFileSync(join(child, 'dynx.config.yml'), 'defaults: {}\n')
    expect(findConfigFile(child)).toBe(join(child, 'dynx.config.yml'))
  })

  it('prefers dynx.config.json over dynx.config.yaml in the same folder', async () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.yaml'), 'defaults:\n  region: from-yaml\n')
    writeFileSync(join(dir, 'dynx.config.json'), JSON.stringify({ defaults: { region: 'from-json' } }))
    const found = await loadConfig({ cwd: dir, env: {} })
    expect(found?.path).toBe(join(dir, 'dynx.config.json'))
    expect(found?.config.defaults?.region).toBe('from-json')
  })

  it('uses the `file` option (--config) over a discovered config and over DYNX_CONFIG, resolved against cwd', async () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.json'), JSON.stringify({ defaults: { region: 'discovered' } }))
    writeFileSync(join(dir, 'from-env.yaml'), 'defaults:\n  region: from-env-var\n')
    writeFileSync(join(dir, 'team.yaml'), 'defaults:\n  region: from-flag\n')
    const found = await loadConfig({ file: 'team.yaml', cwd: dir, env: { DYNX_CONFIG: join(dir, 'from-env.yaml') } })
    expect(found?.path).toBe(join(dir, 'team.yaml'))
    expect(found?.config.defaults?.region).toBe('from-flag')
  })

  it('uses DYNX_CONFIG from the `env` option over a discovered config', async () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.json'), JSON.stringify({ defaults: { region: 'discovered' } }))
    writeFileSync(join(dir, 'elsewhere.yaml'), 'defaults:\n  region: from-env-var\n')
    const found = await loadConfig({ cwd: dir, env: { DYNX_CONFIG: 'elsewhere.yaml' } })
    expect(found?.path).toBe(join(dir, 'elsewhere.yaml'))
    expect(found?.config.defaults?.region).toBe('from-env-var')
  })

  it('reads DYNX_CONFIG from process.env when no `env` is passed, and ignores it when one is', async () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.json'), JSON.stringify({ defaults: { region: 'discovered' } }))
    writeFileSync(join(dir, 'ci.yaml'), 'defaults:\n  region: from-process-env\n')
    vi.stubEnv('DYNX_CONFIG', join(dir, 'ci.yaml'))
    expect((await loadConfig({ cwd: dir }))?.config.defaults?.region).toBe('from-process-env')
    expect((await loadConfig({ cwd: dir, env: {} }))?.config.defaults?.region).toBe('discovered')
  })

  it('refuses a named file that does not exist (--config or DYNX_CONFIG) as bad input, exit 2', async () => {
    const dir = tempDir('dynx-config-')
    writeFileSync(join(dir, 'dynx.config.json'), '{}')
    for (const options of [{ file: 'missing.yaml' }, { env: { DYNX_CONFIG: 'missing.yaml' } }]) {
      const err = await thrown(() => loadConfig({ cwd: dir, env: {}, ...options }))
      expect(err).toBeInstanceOf(UserInputError)
      expect(err).not.toBeInstanceOf(ConfigValidationError)
      expect((err as UserInputError).exitCode).toBe(2)
      expect(err.message).toBe(`Config file ${join(dir, 'missing.yaml')} does not exist.`)
    }
  })

  it('returns undefined when there is no config in the folder or any parent', async (ctx) => {
    const above = findConfigFile(tmpdir())
    if (above) ctx.skip(`${above} exists above the temp folder ${tmpdir()}, so "no config anywhere" cannot be tested here`)
    const dir = tempDir('dynx-config-')
    const nested = join(dir, 'x')
    mkdirSync(nested)
    expect(findConfigFile(nested)).toBeUndefined()
    expect(await loadConfig({ cwd: nested, env: {} })).toBeUndefined()
  })
})

describe('settingsReport (dynx config show)', () => {
  const awsEnv = { AWS_REGION: 'eu-north-1', AWS_PROFILE: 'ops', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4566' }

  it('shows what falls through to AWS as AWS_REGION / AWS_PROFILE / AWS_ENDPOINT_URL_DYNAMODB, from "AWS"', () => {
    const report = settingsReport(resolveConnection({}, bare, 'staging'), bare, awsEnv)
    expect(report.settings.region).toEqual({ value: 'eu-north-1', from: 'AWS' })
    expect(report.settings.profile).toEqual({ value: 'ops', from: 'AWS' })
    expect(report.settings.endpoint).toEqual({ value: 'http://127.0.0.1:4566', from: 'AWS' })
    expect(report.settings.local).toEqual({ value: false, from: 'none' })
    expect(report.settings.prefix).toEqual({ value: 'staging_', from: 'env staging' })
    expect(report.config).toBe('/project/dynx.config.json')
    expect(report.environment).toBe('staging')
  })

  it('uses AWS_DEFAULT_REGION, then the SDK-resolved region, and "none" when AWS has nothing either', () => {
    const r = resolveConnection({}, undefined)
    expect(settingsReport(r, undefined, { AWS_DEFAULT_REGION: 'sa-east-1' }).settings.region).toEqual({ value: 'sa-east-1', from: 'AWS' })
    expect(settingsReport(r, undefined, {}, 'ca-central-1').settings.region).toEqual({ value: 'ca-central-1', from: 'AWS' })
    const empty = settingsReport(r, undefined, {})
    expect(empty.settings.region).toEqual({ value: null, from: 'none' })
    expect(empty.settings.profile).toEqual({ value: null, from: 'none' })
    expect(empty.settings.endpoint).toEqual({ value: null, from: 'none' })
    expect(empty.config).toBeNull()
    expect(empty.environment).toBeNull()
  })

  it('does not let AWS variables override a setting from a flag, the environment or defaults', () => {
    const report = settingsReport(resolveConnection({ profile: 'cli' }, loaded, 'staging'), loaded, awsEnv)
    expect(report.settings.region).toEqual({ value: 'eu-west-1', from: 'env staging' })
    expect(report.settings.profile).toEqual({ value: 'cli', from: 'flag' })
    expect(report.settings.endpoint).toEqual({ value: 'http://defaults.example:8000', from: 'defaults' })
  })

  it('hides region, profile and endpoint for a local environment', () => {
    const report = settingsReport(resolveConnection({}, bare, 'dev'), bare, awsEnv)
    expect(report.settings.local).toEqual({ value: true, from: 'env dev' })
    expect(report.settings.region).toEqual({ value: null, from: 'none' })
    expect(report.settings.profile).toEqual({ value: null, from: 'none' })
    expect(report.settings.endpoint).toEqual({ value: null, from: 'none' })
  })

  it('reports defaults.table, segments and output from "defaults", and "none" when unset', () => {
    const report = settingsReport(resolveConnection({}, loaded, 'prod'), loaded, {})
    expect(report.settings.table).toEqual({ value: 'users', from: 'defaults' })
    expect(report.settings.segments).toEqual({ value: 4, from: 'defaults' })
    expect(report.settings.output).toEqual({ value: 'csv', from: 'defaults' })
    expect(report.protected).toBe(true)
    const none = settingsReport(resolveConnection({}, bare), bare, {})
    expect(none.settings.table).toEqual({ value: null, from: 'none' })
    expect(none.settings.segments).toEqual({ value: null, from: 'none' })
    expect(none.settings.output).toEqual({ value: null, from: 'none' })
  })

  it('lists the environments with prefix, region and protected', () => {
    expect(settingsReport(resolveConnection({}, loaded), loaded, {}).environments).toEqual([
      { name: 'staging', prefix: 'staging_', region: 'eu-west-1', protected: false },
      { name: 'prod', prefix: 'prod_', region: 'eu-central-1', protected: true },
      { name: 'dev', prefix: 'dev_', protected: false },
      { name: 'remote', protected: false },
    ])
  })
})

describe('consoleTableUrl', () => {
  const arn = (table: string, partition = 'aws', region = 'eu-west-1') => `arn:${partition}:dynamodb:${region}:123456789012:table/${table}`

  it('links the aws partition to the regional console', () => {
    expect(consoleTableUrl(arn('users'), undefined)).toBe('https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1#table?name=users')
  })

  it('links aws-cn and aws-us-gov to their own console hosts', () => {
    expect(consoleTableUrl(arn('users', 'aws-cn', 'cn-north-1'), undefined)).toBe('https://console.amazonaws.cn/dynamodbv2/home?region=cn-north-1#table?name=users')
    expect(consoleTableUrl(arn('users', 'aws-us-gov', 'us-gov-west-1'), undefined)).toBe(
      'https://console.amazonaws-us-gov.com/dynamodbv2/home?region=us-gov-west-1#table?name=users',
    )
  })

  it('gives no link for a local endpoint or a look-alike host', () => {
    expect(consoleTableUrl(arn('users'), 'http://127.0.0.1:8000')).toBeUndefined()
    expect(consoleTableUrl(arn('users'), 'http://localhost:4566')).toBeUndefined()
    expect(consoleTableUrl(arn('users'), 'https://dynamodb.amazonaws.com.example.net')).toBeUndefined()
  })

  it('links a table reached through an AWS endpoint URL', () => {
    expect(consoleTableUrl(arn('users'), 'https://dynamodb.eu-west-1.amazonaws.com')).toBe(
      'https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1#table?name=users',
    )
    expect(consoleTableUrl(arn('users', 'aws-cn', 'cn-north-1'), 'https://dynamodb.cn-north-1.amazonaws.com.cn')).toBe(
      'https://console.amazonaws.cn/dynamodbv2/home?region=cn-north-1#table?name=users',
    )
  })

  it('keeps a table name with dots and dashes intact in the link', () => {
    const url = consoleTableUrl(arn('prod_orders-v2.archive'), undefined)
    expect(url).toBe('https://eu-west-1.console.aws.amazon.com/dynamodbv2/home?region=eu-west-1#table?name=prod_orders-v2.archive')
    const parsed = new URL(url ?? '')
    expect(parsed.host).toBe('eu-west-1.console.aws.amazon.com')
    expect(parsed.searchParams.get('region')).toBe('eu-west-1')
    expect(parsed.hash).toBe('#table?name=prod_orders-v2.archive')
  })

  it('gives no link for something that is not a table ARN', () => {
    expect(consoleTableUrl('users', undefined)).toBeUndefined()
    expect(consoleTableUrl('arn:aws:s3:::bucket', undefined)).toBeUndefined()
  })
})

/** A fake terminal: input with isTTY, output with a size, and keys typed one chunk at a time. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input })
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24 })
  let screen = ''
  output.on('data', (chunk: Buffer) => {
    screen += chunk.toString()
  })
  const settle = () => new Promise((ok) => setTimeout(ok, 40))
  return {
    io: { input, output },
    screen: () => stripVTControlCharacters(screen),
    async keys(...chunks: string[]) {
      for (const chunk of chunks) {
        await settle()
        input.write(chunk)
      }
    },
  }
}

const ENTER = '\r'
const DOWN = '\u001b[B'
const CTRL_C = '\u0003'
const tables = ['staging_users', 'staging_orders', 'staging_orderlines']

describe('pickTable on a fake TTY (PassThrough streams with isTTY stand in for the terminal)', () => {
  it('typing "ord" then Enter picks the first match, staging_orders', async () => {
    const term = fakeTerminal()
    const picked = pickTable(tables, term.io)
    await term.keys('o', 'r', 'd', ENTER)
    await expect(picked).resolves.toBe('staging_orders')
    expect(term.screen()).toContain('Which table?')
  })

  it('filters case-insensitively', async () => {
    const term = fakeTerminal()
    const picked = pickTable(tables, term.io)
    await term.keys('L', 'I', 'N', 'E', ENTER)
    await expect(picked).resolves.toBe('staging_orderlines')
  })

  it('typing "ord", arrow down, then Enter picks the second match, staging_orderlines', async () => {
    const term = fakeTerminal()
    const picked = pickTable(tables, term.io)
    await term.keys('o', 'r', 'd', DOWN, ENTER)
    await expect(picked).resolves.toBe('staging_orderlines')
  })

  it('Enter with no filter picks the first table', async () => {
    const term = fakeTerminal()
    const picked = pickTable(tables, term.io)
    await term.keys(ENTER)
    await expect(picked).resolves.toBe('staging_users')
  })

  it('Ctrl-C is an interruption: InterruptedError, exit 130', async () => {
    const term = fakeTerminal()
    const picked = pickTable(tables, term.io)
    await term.keys('o', CTRL_C)
    const err = await thrown(() => picked)
    expect(err).toBeInstanceOf(InterruptedError)
    expect((err as InterruptedError).exitCode).toBe(130)
    expect(err.message).toBe('No table picked.')
  })
})

describe('sameAccountAndRegion (whether a clone may reuse the source KMS key)', () => {
  it('is true only for the same endpoint, region and profile: two environments with other profiles are other accounts', () => {
    expect(sameAccountAndRegion({ region: 'eu-west-1', profile: 'staging' }, { region: 'eu-west-1', profile: 'prod' })).toBe(false)
    expect(sameAccountAndRegion({ region: 'eu-west-1' }, { region: 'us-east-1' })).toBe(false)
    expect(sameAccountAndRegion({ endpoint: 'http://a:8000', region: 'eu-west-1' }, { region: 'eu-west-1' })).toBe(false)
    expect(sameAccountAndRegion({ region: 'eu-west-1', profile: 'p' }, { profile: 'p', region: 'eu-west-1' })).toBe(true)
    expect(sameAccountAndRegion({ local: true, localPath: '/x' }, { local: true, localPath: '/x' })).toBe(true)
  })
})
