/**
 * oclif flags built from dynx's own declarations: the global flags (global-flags.ts, plain data
 * that argv handling reads too) and the per-side flags of commands with two connections.
 */
import * as Flags from '@oclif/core/flags'
import type * as Interfaces from '@oclif/core/interfaces'

import type { Side } from '../config/connections.js'
import type { GlobalFlagSpec } from './global-flags.js'

/** The oclif flag for a global flag's plain declaration (src/cli/global-flags.ts). */
type OclifFlagOf<S> = S extends { kind: 'boolean' }
  ? Interfaces.BooleanFlag<boolean>
  : S extends { kind: 'integer'; default: number }
    ? Interfaces.OptionFlag<number>
    : S extends { kind: 'integer' }
      ? Interfaces.OptionFlag<number | undefined>
      : S extends { default: string }
        ? Interfaces.OptionFlag<string>
        : Interfaces.OptionFlag<string | undefined>

export function oclifFlags<T extends Record<string, GlobalFlagSpec>>(specs: T): { [K in keyof T]: OclifFlagOf<T[K]> } {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(specs)) {
    const common = {
      summary: spec.summary,
      ...(spec.char ? { char: spec.char as Interfaces.AlphabetLowercase } : {}),
      ...(spec.helpGroup ? { helpGroup: spec.helpGroup } : {}),
      ...(spec.env ? { env: spec.env } : {}),
      ...(spec.exclusive ? { exclusive: [...spec.exclusive] } : {}),
    }
    out[name] =
      spec.kind === 'boolean'
        ? Flags.boolean(common)
        : spec.kind === 'integer'
          ? Flags.integer({ ...common, min: spec.min, default: spec.default as number | undefined })
          : Flags.string({ ...common, default: spec.default as string | undefined })
  }
  return out as { [K in keyof T]: OclifFlagOf<T[K]> }
}

/**
 * The names of the per-side flags, declared once: the flag helpers below make flags with these
 * names, and the base command reads a side's flags by them for the sides a command declares
 * (`static sides`, `static sideEnvironments`).
 */
export const SIDE_FLAGS = {
  source: { region: 'source-region', profile: 'source-profile', endpoint: 'source-endpoint', env: 'from-env' },
  target: { region: 'target-region', profile: 'target-profile', endpoint: 'target-endpoint', env: 'to-env' },
} as const

type SideFlagName<S extends Side, K extends 'region' | 'profile' | 'endpoint'> = (typeof SIDE_FLAGS)[S][K]

/** Flags for a second connection (the source of a clone or copy), e.g. --source-region; declare `static sides = ['source']`. */
export function sourceConnectionFlags() {
  return sideConnectionFlags('source')
}

/** --from-env and --to-env: the environments of dynx.config the two sides of a copy or verify live in; declare `static sideEnvironments = true`. */
export function environmentSideFlags() {
  return {
    [SIDE_FLAGS.source.env]: Flags.string({
      summary: 'Source environment of dynx.config: bare table names take its prefix, region, profile and endpoint.',
      helpGroup: 'ENVIRONMENTS',
    }),
    [SIDE_FLAGS.target.env]: Flags.string({ summary: 'Target environment of dynx.config (writing into a protected one needs confirmation).', helpGroup: 'ENVIRONMENTS' }),
  } as Record<(typeof SIDE_FLAGS)[Side]['env'], Interfaces.OptionFlag<string | undefined>>
}

/** Flags for the target side of a copy or verify, e.g. --target-endpoint; declare `static sides = [..., 'target']`. */
export function targetConnectionFlags() {
  return sideConnectionFlags('target')
}

function sideConnectionFlags<S extends Side>(side: S) {
  const group = side.toUpperCase()
  const names = SIDE_FLAGS[side]
  return {
    [names.region]: Flags.string({ summary: `Region of the ${side} table (default: --region).`, helpGroup: group }),
    [names.profile]: Flags.string({ summary: `AWS profile for the ${side} (default: --profile).`, helpGroup: group }),
    [names.endpoint]: Flags.string({ summary: `Endpoint of the ${side} (default: --endpoint).`, helpGroup: group }),
  } as Record<SideFlagName<S, 'region'> | SideFlagName<S, 'profile'> | SideFlagName<S, 'endpoint'>, Interfaces.OptionFlag<string | undefined>>
}
