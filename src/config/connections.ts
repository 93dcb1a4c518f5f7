import { resolveConnection, type GivenConnection, type LoadedConfig, type ResolvedConnection } from './config.js'

/** The two ends of a copy, verify or clone. */
export type Side = 'source' | 'target'

/**
 * Where a connection goes: the embedded engine, or an endpoint/region/profile (unset ones are left
 * to AWS's own configuration). A throughput ledger records one in this shape.
 */
export interface ConnectionChoice {
  endpoint?: string
  region?: string
  profile?: string
  /** The embedded --local engine (its port changes between runs). */
  local?: boolean
  /** The --local engine's store, so a later run opens the same one. */
  localPath?: string
}

/** What --source-* or --target-* flags override of a side's connection. */
export interface SideOverrides {
  region?: string
  profile?: string
  endpoint?: string
}

/** What a command was given: the command line only (flag defaults and AWS_PROFILE do not count). */
export interface CommandConnectionInput {
  /** --region, --profile, --endpoint, --local, --prefix as typed. */
  given: GivenConnection
  /** --env. */
  env?: string
  /** --from-env (source) and --to-env (target); a side without one uses --env. */
  sideEnv?: Partial<Record<Side, string>>
  /** --source-region/-profile/-endpoint and --target-*. */
  overrides?: Partial<Record<Side, SideOverrides>>
}

export interface ResolvedSide {
  /** The dynx.config environment the side resolves from (its own, else --env), if any. */
  environment?: string
  /** Its settings after precedence (flag > environment > defaults > AWS), before --source-* and --target-*. */
  resolved: ResolvedConnection
  /** Where it connects: `resolved` with the side's overrides on top. */
  choice: ConnectionChoice
  /** Its table-name prefix: a typed --prefix, else its environment's (or the defaults'). */
  prefix: string
}

/** Every connection a command may open, resolved up front. */
export interface CommandConnections {
  main: ResolvedSide
  source: ResolvedSide
  target: ResolvedSide
}

/**
 * Resolves the main connection and both sides of a command, purely from what was typed and the
 * config: flags > --env (or a side's --from-env/--to-env) > config defaults > AWS, then the
 * side's --source-* and --target-* overrides. An unknown environment is bad input naming the flag.
 */
export function resolveCommandConnections(input: CommandConnectionInput, config: LoadedConfig | undefined): CommandConnections {
  const main = resolveConnection(input.given, config, input.env)
  const mainSide: ResolvedSide = { ...(input.env ? { environment: input.env } : {}), resolved: main, choice: choiceOf(main), prefix: main.prefix.value ?? '' }
  const side = (which: Side): ResolvedSide => {
    const envName = input.sideEnv?.[which] ?? input.env
    const resolved = envName === input.env ? main : resolveConnection(input.given, config, envName, which === 'source' ? '--from-env' : '--to-env')
    return {
      ...(envName ? { environment: envName } : {}),
      resolved,
      choice: withOverrides(choiceOf(resolved), input.overrides?.[which]),
      prefix: resolved.prefix.value ?? '',
    }
  }
  return { main: mainSide, source: side('source'), target: side('target') }
}

/** The connection resolved settings choose. */
export function choiceOf(r: ResolvedConnection): ConnectionChoice {
  return r.local.value ? { local: true } : { endpoint: r.endpoint.value, region: r.region.value, profile: r.profile.value }
}

/** A side's choice with --source-* and --target-* on top; with --local, --source-region alone means that region of AWS. */
export function withOverrides(base: ConnectionChoice, over: SideOverrides | undefined): ConnectionChoice {
  if (!over || (!over.region && !over.profile && !over.endpoint)) return base
  return {
    region: over.region ?? base.region,
    profile: over.profile ?? base.profile,
    endpoint: over.endpoint ?? (base.local ? undefined : base.endpoint),
  }
}

/**
 * A choice as a throughput ledger records it, so that a later run reaches the same tables with no
 * flags: what AWS's environment variables add to it, and the --local store's path.
 */
export function recordedConnection(choice: ConnectionChoice, env: NodeJS.ProcessEnv, localPath: string): ConnectionChoice {
  if (choice.local) return { local: true, localPath }
  const endpoint = choice.endpoint ?? (env.AWS_ENDPOINT_URL_DYNAMODB || undefined)
  const region = choice.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined)
  const profile = choice.profile ?? (env.AWS_PROFILE || undefined)
  return { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(profile ? { profile } : {}) }
}

/**
 * Whether two connection choices point at the same place (key order and unset keys aside): for
 * recorded connections, the same account and region (same endpoint, region and profile).
 */
export function sameAccountAndRegion(a: ConnectionChoice, b: ConnectionChoice): boolean {
  return Boolean(a.local) === Boolean(b.local) && a.endpoint === b.endpoint && a.region === b.region && a.profile === b.profile && a.localPath === b.localPath
}
