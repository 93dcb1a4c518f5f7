import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

import { ConfigValidationError, UserInputError } from '../errors.js'
import type { DynxConfig, EnvironmentConfig } from './schema.js'

// The schema (zod) and the file reader (yaml) are loaded only when there is a config file to read.
export type { DefaultsConfig, DynxConfig, EnvironmentConfig } from './schema.js'

/** The names searched for, in this order, in the current folder and then each parent. */
export const CONFIG_FILE_NAMES = ['dynx.config.json', 'dynx.config.yaml', 'dynx.config.yml']

export interface LoadedConfig {
  /** The file it came from. */
  path: string
  config: DynxConfig
}

/** The nearest dynx.config.{json,yaml,yml} in `from` or a parent folder. */
export function findConfigFile(from: string = process.cwd()): string | undefined {
  let dir = resolve(from)
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name)
      if (existsSync(candidate)) return candidate
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/**
 * The config to use: `file` (from --config), else $DYNX_CONFIG, else the nearest one found from
 * `cwd` upwards; undefined when there is none. A file named explicitly must exist.
 */
export async function loadConfig(options: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LoadedConfig | undefined> {
  const named = options.file ?? (options.env ?? process.env).DYNX_CONFIG
  const path = named ? resolve(options.cwd ?? process.cwd(), named) : findConfigFile(options.cwd)
  if (!path) return undefined
  if (named && !existsSync(path)) {
    throw new UserInputError(
      `Config file ${path} does not exist.`,
      `Check --config / DYNX_CONFIG, or create it (dynx looks for ${CONFIG_FILE_NAMES.join(', ')} in this folder and its parents).`,
    )
  }
  const [{ readDataFile }, { parseConfig }] = await Promise.all([import('../tables/spec.js'), import('./schema.js')])
  const doc = await readDataFile(path, 'config', (issue) => new ConfigValidationError(path, [issue]))
  return { path, config: parseConfig(doc, path) }
}

/** One environment by name; an unknown one is bad input naming those that exist. */
export function environment(loaded: LoadedConfig | undefined, name: string, flag = '--env'): EnvironmentConfig {
  const env = loaded?.config.environments?.[name]
  if (env) return env
  const known = Object.keys(loaded?.config.environments ?? {})
  throw new UserInputError(
    `${flag} ${name}: ${loaded ? `${loaded.path} has no environment "${name}"` : 'there is no dynx.config.json or dynx.config.yaml here or in a parent folder'}.`,
    known.length ? `Known environments: ${known.join(', ')}.` : 'Define it under `environments:` in dynx.config.yaml (see the README, "Environments and dynx.config").',
  )
}

/** Where a resolved setting came from, for `dynx config show`. */
export type SettingSource = 'flag' | `env ${string}` | 'defaults' | 'AWS' | 'none'

export interface ResolvedSetting<T> {
  value: T | undefined
  from: SettingSource
}

/** Connection settings after precedence: flag > environment > defaults > AWS's own configuration. */
export interface ResolvedConnection {
  region: ResolvedSetting<string>
  profile: ResolvedSetting<string>
  endpoint: ResolvedSetting<string>
  local: ResolvedSetting<boolean>
  prefix: ResolvedSetting<string>
  /** The environment applied, if any. */
  environment?: string
  protected: boolean
}

/** What the command line said; undefined means "not given there" (a flag's default does not count). */
export interface GivenConnection {
  region?: string
  profile?: string
  endpoint?: string
  local?: boolean
  prefix?: string
}

/**
 * Resolves connection settings with flags winning over the environment, which wins over
 * `defaults`; what none of them says is left to AWS's own configuration (AWS_REGION, AWS_PROFILE,
 * AWS_ENDPOINT_URL_DYNAMODB, ~/.aws/config). An endpoint or --local on one level hides the other
 * on lower levels: they are one choice, "where".
 */
export function resolveConnection(given: GivenConnection, loaded: LoadedConfig | undefined, envName?: string, flag = '--env'): ResolvedConnection {
  const env = envName ? environment(loaded, envName, flag) : undefined
  const defaults = loaded?.config.defaults
  const envFrom: SettingSource = `env ${envName ?? ''}`
  const pick = <T>(flag: T | undefined, fromEnv: T | undefined, fromDefaults: T | undefined): ResolvedSetting<T> =>
    flag !== undefined
      ? { value: flag, from: 'flag' }
      : fromEnv !== undefined
        ? { value: fromEnv, from: envFrom }
        : fromDefaults !== undefined
          ? { value: fromDefaults, from: 'defaults' }
          : { value: undefined, from: 'AWS' }
  // Where: the first level that names an endpoint or --local decides.
  const whereLevels: Array<[SettingSource, { endpoint?: string; local?: boolean } | undefined]> = [
    ['flag', given.endpoint !== undefined || given.local ? given : undefined],
    [envFrom, env && (env.endpoint !== undefined || env.local) ? env : undefined],
    ['defaults', defaults?.endpoint !== undefined ? defaults : undefined],
  ]
  const where = whereLevels.find(([, level]) => level !== undefined)
  const prefix = pick(given.prefix, env?.prefix, defaults?.prefix)
  return {
    region: pick(given.region, env?.region, defaults?.region),
    profile: pick(given.profile, env?.profile, defaults?.profile),
    endpoint: where?.[1]?.endpoint !== undefined ? { value: where[1].endpoint, from: where[0] } : { value: undefined, from: 'AWS' },
    local: where?.[1]?.local ? { value: true, from: where[0] } : { value: false, from: 'none' },
    prefix: prefix.value === undefined ? { value: '', from: 'none' } : prefix,
    ...(envName ? { environment: envName } : {}),
    protected: env?.protected ?? false,
  }
}

/** Settings of `defaults` that fill a command's own flags of that name when they are not on the command line. */
export function defaultFlagValues(loaded: LoadedConfig | undefined): { segments?: number } {
  const d = loaded?.config.defaults
  return d?.segments !== undefined ? { segments: d.segments } : {}
}

/** Everything `dynx config show` reports: each setting's value and where it came from. */
export interface SettingsReport {
  config: string | null
  environment: string | null
  protected: boolean
  settings: Record<'region' | 'profile' | 'endpoint' | 'local' | 'prefix' | 'table' | 'segments' | 'output', { value: string | number | boolean | null; from: SettingSource }>
  environments: { name: string; prefix?: string; region?: string; protected: boolean }[]
}

/**
 * The resolved settings as a report. What falls through to AWS is shown as AWS's environment
 * variables give it (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB), or `awsRegion` (what the
 * SDK resolved, ~/.aws/config included) for the region.
 */
export function settingsReport(resolved: ResolvedConnection, loaded: LoadedConfig | undefined, env: NodeJS.ProcessEnv = process.env, awsRegion?: string): SettingsReport {
  const d = loaded?.config.defaults
  const aws = <T>(s: ResolvedSetting<T>, fallback: string | undefined) =>
    s.from === 'AWS'
      ? { value: fallback ?? null, from: (fallback ? 'AWS' : 'none') as SettingSource }
      : { value: (s.value ?? null) as string | number | boolean | null, from: s.from }
  const own = <T>(value: T | undefined) =>
    value === undefined ? { value: null, from: 'none' as SettingSource } : { value: value as string | number, from: 'defaults' as SettingSource }
  const local = resolved.local.value === true
  return {
    config: loaded?.path ?? null,
    environment: resolved.environment ?? null,
    protected: resolved.protected,
    settings: {
      region: local ? { value: null, from: 'none' } : aws(resolved.region, env.AWS_REGION || env.AWS_DEFAULT_REGION || awsRegion),
      profile: local ? { value: null, from: 'none' } : aws(resolved.profile, env.AWS_PROFILE || undefined),
      endpoint: local ? { value: null, from: 'none' } : aws(resolved.endpoint, env.AWS_ENDPOINT_URL_DYNAMODB || undefined),
      local: { value: local, from: resolved.local.from },
      prefix: { value: resolved.prefix.value ?? '', from: resolved.prefix.from },
      table: own(d?.table),
      segments: own(d?.segments),
      output: own(d?.output),
    },
    environments: Object.entries(loaded?.config.environments ?? {}).map(([name, e]) => ({
      name,
      ...(e.prefix !== undefined ? { prefix: e.prefix } : {}),
      ...(e.region ? { region: e.region } : {}),
      protected: e.protected ?? false,
    })),
  }
}
