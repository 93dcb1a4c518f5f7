import * as Flags from '@oclif/core/flags'

import { withPrefix } from '../connection/names.js'
import { DEFAULT_RESTORE_WINDOW_MS } from '../connection/retry.js'
import { UserInputError } from '../errors.js'
import { parseDuration } from '../time.js'
import type { CapacityRequest, ThroughputPlan } from '../throughput/types.js'

const CAPACITY = 'CAPACITY'
const INDEXES = 'INDEXES'

/**
 * `--restore-timeout DURATION` (bump, restore, copy): how long putting capacity back keeps trying
 * through 5xx, throttling, resets, too many concurrent updates and a table still UPDATING.
 */
export const restoreTimeoutFlag = (helpGroup?: string) =>
  Flags.string({
    summary: `How long putting capacity back keeps trying through transient failures, e.g. 15m, 1h (default ${DEFAULT_RESTORE_WINDOW_MS / 60_000}m).`,
    helpValue: 'DURATION',
    ...(helpGroup ? { helpGroup } : {}),
  })

/** --restore-timeout in milliseconds (undefined: the library's default). */
export function restoreTimeoutMs(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value, '--restore-timeout')
}

/** The flags of `dynx throughput bump`. */
export const bumpFlags = {
  read: Flags.integer({ summary: "Raise the tables' read capacity to at least N units.", min: 1, helpGroup: CAPACITY }),
  write: Flags.integer({ summary: "Raise the tables' write capacity to at least N units.", min: 1, helpGroup: CAPACITY }),
  plan: Flags.string({ summary: 'Capacities per table and GSI from a JSON or YAML file (instead of TABLE... and the capacity flags).', helpGroup: CAPACITY }),
  index: Flags.string({ summary: 'A GSI to raise (repeatable; paired in order with --index-read/--index-write).', multiple: true, multipleNonGreedy: true, helpGroup: INDEXES }),
  'index-read': Flags.integer({
    summary: 'Read capacity for the --index GSIs (one per --index, or one for all).',
    min: 1,
    multiple: true,
    multipleNonGreedy: true,
    helpGroup: INDEXES,
  }),
  'index-write': Flags.integer({
    summary: 'Write capacity for the --index GSIs (one per --index, or one for all).',
    min: 1,
    multiple: true,
    multipleNonGreedy: true,
    helpGroup: INDEXES,
  }),
  'all-indexes': Flags.boolean({ summary: 'Raise every GSI too: to --index-read/--index-write if given, else to --read/--write.', helpGroup: INDEXES }),
  ledger: Flags.string({ summary: 'Ledger file of the original values (default ~/.dynx/ledgers/TIME-TABLES-ID.json).' }),
  'allow-stuck': Flags.boolean({ summary: "Raise even when DynamoDB's decrease quota would refuse lowering it again today." }),
  'dry-run': Flags.boolean({ summary: 'Show what would be raised; change nothing, run no command.' }),
  'wait-timeout': Flags.integer({ summary: 'Seconds to wait for each table and its GSIs to be ACTIVE after an update (default 1800).', min: 1 }),
  'restore-timeout': restoreTimeoutFlag(),
}

interface BumpFlagValues {
  read?: number
  write?: number
  plan?: string
  index?: string[]
  'index-read'?: number[]
  'index-write'?: number[]
  'all-indexes'?: boolean
}

/**
 * Splits a strict: false command line at its first literal `--`: the positional arguments before
 * it, and the command to run after it.
 */
export function splitAtDashDash(argv: string[], positionals: string[]): { args: string[]; command?: string[] } {
  const at = argv.indexOf('--')
  if (at === -1) return { args: positionals }
  const command = argv.slice(at + 1)
  if (command.length === 0) throw new UserInputError('Nothing follows `--`.', 'Put the command to run after `--`, e.g. `-- npm run migrate`, or leave `--` out.')
  return { args: positionals.slice(0, positionals.length - command.length), command }
}

/** One value per --index (by position), one for all of them, or none. */
function pairWithIndexes(values: number[] | undefined, names: string[], flag: string): Array<number | undefined> {
  if (!values?.length) return names.map(() => undefined)
  if (values.length === names.length) return values
  if (values.length === 1) return names.map(() => values[0])
  throw new UserInputError(
    `${values.length} --${flag} values for ${names.length} --index names (${names.join(', ')}).`,
    `Give one --${flag} per --index (paired in order), or a single --${flag} for all of them.`,
  )
}

/** The plan of a bump: from --plan FILE, or from TABLE... and the capacity flags (names get --prefix). */
export async function bumpPlanFromFlags(f: BumpFlagValues, tables: string[], prefix: string): Promise<ThroughputPlan> {
  // Loaded here, not at start-up: `dynx copy` uses this file's flags, and the plan module loads zod.
  const { loadThroughputPlan, throughputPlanFromFlags } = await import('../throughput/plan.js')
  const names = f.index ?? []
  const [indexRead, indexWrite] = [f['index-read'], f['index-write']]
  if (f.plan) {
    const clash = [
      tables.length ? 'TABLE' : '',
      ...(['read', 'write', 'index', 'index-read', 'index-write', 'all-indexes'] as const).filter((k) => f[k] !== undefined && f[k] !== false).map((k) => `--${k}`),
    ].filter(Boolean)
    if (clash.length)
      throw new UserInputError(
        `--plan names the tables and capacities itself, so ${clash.join(', ')} cannot be given with it.`,
        'Use either --plan FILE, or TABLE... with --read/--write/--index.',
      )
    return loadThroughputPlan(f.plan, prefix)
  }
  if ((indexRead?.length || indexWrite?.length) && !names.length && !f['all-indexes']) {
    throw new UserInputError('--index-read/--index-write need --index NAME or --all-indexes.', 'Name the GSIs with --index (repeatable), or raise every GSI with --all-indexes.')
  }
  if (names.length && !indexRead?.length && !indexWrite?.length) {
    throw new UserInputError(`--index ${names[0]} needs --index-read and/or --index-write.`, 'Say what to raise the index to, e.g. --index byEmail --index-read 100.')
  }
  let allIndexes: CapacityRequest | undefined
  if (f['all-indexes']) {
    // With named indexes, --index-read/--index-write belong to them, and every GSI gets --read/--write
    // (a value named for an index wins, dimension by dimension).
    const own = !names.length && (indexRead?.length || indexWrite?.length)
    if (own && ((indexRead?.length ?? 0) > 1 || (indexWrite?.length ?? 0) > 1))
      throw new UserInputError('--all-indexes takes one --index-read and one --index-write.', 'Give each at most once, or name the indexes with --index.')
    const [read, write] = own ? [indexRead?.[0], indexWrite?.[0]] : [f.read, f.write]
    allIndexes = { ...(read !== undefined ? { read } : {}), ...(write !== undefined ? { write } : {}) }
  }
  const reads = pairWithIndexes(indexRead, names, 'index-read')
  const writes = pairWithIndexes(indexWrite, names, 'index-write')
  return throughputPlanFromFlags({
    tables: tables.map((t) => withPrefix(t, prefix)),
    read: f.read,
    write: f.write,
    indexes: names.map((name, i) => ({ name, read: reads[i], write: writes[i] })),
    ...(allIndexes ? { allIndexes } : {}),
  })
}
