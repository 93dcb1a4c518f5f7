import { z } from 'zod'

import { withPrefix } from '../connection/names.js'
import { UserInputError, type SpecIssue } from '../errors.js'
import { readDataFile, zodIssues } from '../tables/spec.js'
import type { CapacityRequest, ThroughputPlan } from './types.js'

const Capacity = z.number().int().positive()
const Unit = z.strictObject({ read: Capacity.optional(), write: Capacity.optional() })
/** `{ TABLE: { table: {read, write}, INDEX: {read, write}, ... }, ... }` */
const PlanFile = z.record(z.string().min(1), z.record(z.string().min(1), Unit))

/** The key of a plan-file entry that means the table itself rather than one of its GSIs. */
export const PLAN_TABLE_KEY = 'table'

/**
 * Reads a --plan file (JSON or YAML): per table, `table` for the table's own capacity and any
 * other key for the GSI of that name. Table names get the global prefix.
 */
export async function loadThroughputPlan(file: string, prefix = ''): Promise<ThroughputPlan> {
  const doc = await readDataFile(file, 'plan', (issue) => invalidPlan(file, [issue]))
  const parsed = PlanFile.safeParse(doc)
  if (!parsed.success) throw invalidPlan(file, zodIssues(parsed.error, doc))
  const plan = Object.entries(parsed.data).map(([table, units]) => {
    const { [PLAN_TABLE_KEY]: capacity, ...indexes } = units
    return { table: withPrefix(table, prefix), ...(capacity ? { capacity } : {}), ...(Object.keys(indexes).length ? { indexes } : {}) }
  })
  validateThroughputPlan(plan, file)
  return plan
}

function invalidPlan(file: string, issues: SpecIssue[]): UserInputError {
  return new UserInputError(
    `${file} is not a valid throughput plan:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    'A plan maps table names to {table: {read, write}, INDEX: {read, write}} with whole numbers of at least 1, e.g. {"users": {"table": {"read": 500}, "byEmail": {"read": 100}}}.',
  )
}

export interface PlanFlags {
  tables: string[]
  read?: number
  write?: number
  /** Named GSIs and what to raise them to. */
  indexes?: Array<{ name: string } & CapacityRequest>
  /** Every GSI (not named in `indexes`) gets this. */
  allIndexes?: CapacityRequest
}

/** The same request for each table, from command-line flags. */
export function throughputPlanFromFlags(flags: PlanFlags): ThroughputPlan {
  const capacity = pick(flags.read, flags.write)
  const indexes = Object.fromEntries((flags.indexes ?? []).map((i) => [i.name, pick(i.read, i.write) ?? {}]))
  const plan = flags.tables.map((table) => ({
    table,
    ...(capacity ? { capacity } : {}),
    ...(Object.keys(indexes).length ? { indexes } : {}),
    ...(flags.allIndexes && pick(flags.allIndexes.read, flags.allIndexes.write) ? { allIndexes: flags.allIndexes } : {}),
  }))
  validateThroughputPlan(plan, 'the command line')
  return plan
}

function pick(read?: number, write?: number): CapacityRequest | undefined {
  if (read === undefined && write === undefined) return undefined
  return { ...(read !== undefined ? { read } : {}), ...(write !== undefined ? { write } : {}) }
}

/** Positive whole capacities, no table twice, and something to raise. */
export function validateThroughputPlan(plan: ThroughputPlan, source = 'the plan'): void {
  if (plan.length === 0) throw new UserInputError(`No tables in ${source}.`, 'Name one or more tables (or give a --plan file that lists some).')
  const seen = new Set<string>()
  for (const t of plan) {
    if (seen.has(t.table)) throw new UserInputError(`Table "${t.table}" appears twice in ${source}.`, 'List each table once.')
    seen.add(t.table)
    const units: Array<[string, CapacityRequest | undefined]> = [
      [`table ${t.table}`, t.capacity],
      ...Object.entries(t.indexes ?? {}).map(([name, c]): [string, CapacityRequest] => [`index ${name} of ${t.table}`, c]),
      [`every index of ${t.table}`, t.allIndexes],
    ]
    for (const [what, c] of units) {
      for (const [dimension, value] of Object.entries(c ?? {})) {
        if (value === undefined) continue
        if (!Number.isSafeInteger(value) || value <= 0) {
          throw new UserInputError(
            `The ${dimension} capacity for ${what} is ${String(value)}; it must be a whole number of at least 1.`,
            'Give the capacity units to raise to, e.g. --read 500.',
          )
        }
      }
    }
    if (!units.some(([, c]) => c && (c.read !== undefined || c.write !== undefined))) {
      throw new UserInputError(
        `Nothing to raise for table "${t.table}" in ${source}.`,
        'Give --read and/or --write (or --index NAME --index-read N, --all-indexes, or a --plan file).',
      )
    }
  }
}
