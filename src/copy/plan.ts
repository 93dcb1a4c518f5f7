import { ScanCommand, type AttributeDefinition, type KeySchemaElement, type TableDescription } from '@aws-sdk/client-dynamodb'
import { existsSync } from 'node:fs'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import { connectionIdentity, isSameTable, type Connection } from '../connection/clients.js'
import { assertValidTableName, withoutPrefix } from '../connection/names.js'
import { SchemaMismatchError, TableNotFoundError, UserInputError } from '../errors.js'
import { describeTableRaw, findTable, listTableNames } from '../tables/describe.js'
import { defaultCheckpointPath } from './copy-table.js'

export interface CopyPlanEntry {
  source: string
  target: string
  /** DynamoDB's estimate of the source's items (refreshed about every 6 hours). */
  estimatedItems: number
  sourceSizeBytes: number
  /** `create`: the target is missing and will be cloned from the source. */
  action: 'create' | 'existing'
  /** Whether the existing target holds items (they would be overwritten where keys match). */
  targetHasItems: boolean
  /** Differences that do not stop a copy (indexes, billing), for the plan. */
  differences: string[]
  /** The target's provisioned write capacity (a created target gets the source's); undefined when on-demand. */
  writeCapacity?: number
  /** This copy's checkpoint file, and whether it exists (an interrupted copy that a run continues). */
  checkpoint: string
  resumes: boolean
}

export interface CopyPlan {
  entries: CopyPlanEntry[]
  /** Source tables matching the prefix but left out, with why. */
  skipped: { table: string; reason: string }[]
}

export type CopyRequest =
  { tables: { source: string; target: string }[] } | { fromPrefix: string; toPrefix: string; /** Names without the prefix; default every matching table. */ only?: string[] }

export interface PlanOptions {
  /** Clone a missing target from its source (default); false refuses instead. */
  create?: boolean
  /** The checkpoint file of a single-table copy (default: defaultCheckpointPath). */
  checkpoint?: string
}

export type CopyFlags = { source?: string; target?: string; fromPrefix?: string; toPrefix?: string; tables?: string }

/** SOURCE TARGET, or --from-prefix/--to-prefix [--tables], as a CopyRequest; mixing them is bad input. */
export function copyRequestFrom(f: CopyFlags): CopyRequest {
  const prefixed = f.fromPrefix !== undefined || f.toPrefix !== undefined
  if (prefixed && (f.source || f.target))
    throw new UserInputError('Give SOURCE TARGET or --from-prefix/--to-prefix, not both.', 'To copy some tables of a prefix, use --tables users,orders.')
  if (prefixed) {
    if (f.fromPrefix === undefined || f.toPrefix === undefined) throw new UserInputError('--from-prefix and --to-prefix go together.', 'Give both; either may be "" (no prefix).')
    const only = f.tables
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    return { fromPrefix: f.fromPrefix, toPrefix: f.toPrefix, ...(only ? { only } : {}) }
  }
  if (f.tables) throw new UserInputError('--tables picks tables of --from-prefix.', 'Add --from-prefix and --to-prefix, or give SOURCE TARGET.')
  if (!f.source || !f.target) throw new UserInputError('Give SOURCE and TARGET tables, or --from-prefix and --to-prefix.', 'For example: dynx copy staging_users users')
  return { tables: [{ source: f.source, target: f.target }] }
}

const keyText = (d: TableDescription): string => {
  const types = new Map((d.AttributeDefinitions ?? []).map((a: AttributeDefinition) => [a.AttributeName, a.AttributeType]))
  return (d.KeySchema ?? []).map((k: KeySchemaElement) => `${k.AttributeName} (${types.get(k.AttributeName)}, ${k.KeyType === 'HASH' ? 'partition' : 'sort'})`).join(' + ')
}

const indexNames = (list?: { IndexName?: string }[]) => (list ?? []).map((i) => i.IndexName ?? '').sort()
const billing = (d: TableDescription) => (d.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'on-demand' : 'provisioned')
export const provisionedWrite = (d: TableDescription) => (billing(d) === 'provisioned' ? d.ProvisionedThroughput?.WriteCapacityUnits || undefined : undefined)

/** What a copy between two existing tables would not carry over (nothing here stops it). */
function schemaDifferences(source: TableDescription, target: TableDescription): string[] {
  const out: string[] = []
  for (const [kind, a, b] of [
    ['GSI', indexNames(source.GlobalSecondaryIndexes), indexNames(target.GlobalSecondaryIndexes)],
    ['LSI', indexNames(source.LocalSecondaryIndexes), indexNames(target.LocalSecondaryIndexes)],
  ] as const) {
    const missing = a.filter((n) => !b.includes(n))
    const extra = b.filter((n) => !a.includes(n))
    if (missing.length) out.push(`target lacks ${kind} ${missing.join(', ')}`)
    if (extra.length) out.push(`target has extra ${kind} ${extra.join(', ')}`)
  }
  if (billing(source) !== billing(target)) out.push(`billing: source ${billing(source)}, target ${billing(target)}`)
  return out
}

/** True when the table holds at least one item (a one-item scan, not the 6-hour-old ItemCount). */
export async function tableHasItems(conn: Connection, table: string): Promise<boolean> {
  const out = await call(conn, 'Scan', () => conn.dynamodb.send(new ScanCommand({ TableName: table, Limit: 1, Select: 'COUNT' })), table)
  return (out.Count ?? 0) > 0 || out.LastEvaluatedKey !== undefined
}

/** The table pairs of a copy request, before anything about them is read. */
export interface CopyPairs {
  pairs: { source: string; target: string }[]
  skipped: CopyPlan['skipped']
  sourceId: string
  targetId: string
  /** Same endpoint, region and profile: one environment, where names alone tell tables apart. */
  sameConnection: boolean
}

/**
 * The source -> target pairs of SOURCE TARGET or a prefix copy, checked: sources listed (a prefix
 * matches at least one table, --tables names exist), target names valid, no table onto itself.
 */
export async function resolveCopyPairs(source: Connection, target: Connection, request: CopyRequest): Promise<CopyPairs> {
  const skipped: CopyPlan['skipped'] = []
  const [sourceId, targetId] = await Promise.all([connectionIdentity(source), connectionIdentity(target)])
  // Same endpoint, region and profile: one environment, where names alone tell tables apart.
  const sameConnection = source === target || sourceId === targetId
  let pairs: { source: string; target: string }[]
  if ('tables' in request) {
    pairs = request.tables
  } else {
    const { fromPrefix, toPrefix } = request
    if (sameConnection && fromPrefix === toPrefix) {
      throw new UserInputError(
        `--from-prefix and --to-prefix are both "${fromPrefix}" on the same endpoint, so every table would be copied onto itself.`,
        'Give a different --to-prefix, or a --target-endpoint/--target-region.',
      )
    }
    const names = await listTableNames(source, fromPrefix)
    pairs = []
    for (const name of names) {
      const rest = withoutPrefix(name, fromPrefix) ?? name
      // With an empty or shorter source prefix the target environment's own tables match too.
      if (sameConnection && toPrefix.startsWith(fromPrefix) && name.startsWith(toPrefix)) {
        skipped.push({ table: name, reason: `already carries the target prefix "${toPrefix}"` })
        continue
      }
      if (request.only && !request.only.includes(rest)) continue
      pairs.push({ source: name, target: `${toPrefix}${rest}` })
    }
    const missing = (request.only ?? []).filter((n) => !pairs.some((p) => p.source === `${fromPrefix}${n}`))
    if (missing.length) throw new TableNotFoundError(missing.map((n) => `${fromPrefix}${n}`).join('", "'), source.label)
    if (!pairs.length) {
      throw new UserInputError(
        `No table on ${source.label} starts with "${fromPrefix}"${skipped.length ? ` (other than ${skipped.length} already carrying "${toPrefix}")` : ''}.`,
        'Check --from-prefix and the source connection (--source-region/--source-endpoint); `dynx tables list` shows the tables.',
      )
    }
  }
  for (const p of pairs) {
    assertValidTableName(p.target, 'target table name')
    if (sameConnection && p.source === p.target) {
      throw new UserInputError(
        `Source and target are the same table "${p.source}".`,
        'Give a different target name, or a --target-endpoint/--target-region for another environment.',
      )
    }
  }

  return { pairs, skipped, sourceId, targetId, sameConnection }
}

/**
 * Resolves what a copy would do, checking everything that makes it bad input before anything is
 * written: sources exist, no table is copied onto itself, existing targets have the same key
 * schema, missing targets may be created, a prefix matches at least one table.
 */
export async function planCopy(source: Connection, target: Connection, request: CopyRequest, options: PlanOptions = {}): Promise<CopyPlan> {
  const { pairs, skipped, sourceId, targetId } = await resolveCopyPairs(source, target, request)
  if (options.checkpoint && pairs.length > 1) {
    throw new UserInputError(
      '--checkpoint names one file, so it works with a single-table copy only.',
      'Leave it out: each table of a prefix copy gets its own checkpoint under ~/.dynx/checkpoints (printed as it starts).',
    )
  }
  const limit = pLimit(8)
  const entries = await Promise.all(
    pairs.map((p) =>
      limit(async (): Promise<CopyPlanEntry> => {
        const [s, t] = await Promise.all([describeTableRaw(source, p.source), findTable(target, p.target)])
        const checkpoint = options.checkpoint ?? defaultCheckpointPath(sourceId, p.source, targetId, p.target)
        const base = { ...p, estimatedItems: s.ItemCount ?? 0, sourceSizeBytes: s.TableSizeBytes ?? 0, checkpoint, resumes: existsSync(checkpoint) }
        if (!t) {
          if (options.create === false) {
            throw new UserInputError(
              `The target table "${p.target}" does not exist on ${target.label}, and --no-create was given.`,
              `Create it first (\`dynx create ${p.target} --from ${p.source}\`), or leave out --no-create to clone it from the source.`,
            )
          }
          return { ...base, action: 'create', targetHasItems: false, differences: [], writeCapacity: provisionedWrite(s) }
        }
        if (isSameTable(source, s.TableArn, target, t.TableArn)) {
          throw new UserInputError(
            `Source and target are the same table (${s.TableArn}).`,
            'Give a different target name, or point --target-* at another account, region or endpoint.',
          )
        }
        if (keyText(s) !== keyText(t)) {
          throw new SchemaMismatchError(
            `The key schemas differ: ${p.source} has ${keyText(s)}, ${p.target} has ${keyText(t)}.`,
            'A copy needs the same partition and sort keys on both sides; copy into a new table name (it is created for you) or fix the target.',
          )
        }
        return { ...base, action: 'existing', targetHasItems: await tableHasItems(target, p.target), differences: schemaDifferences(s, t), writeCapacity: provisionedWrite(t) }
      }),
    ),
  )
  return { entries, skipped }
}
