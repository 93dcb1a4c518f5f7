import { CreateTableCommand, type TableDescription } from '@aws-sdk/client-dynamodb'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { isOwnCreatedTable, wasRetried } from '../connection/idempotent.js'
import { assertValidTableName } from '../connection/names.js'
import { DynxError, TableExistsError } from '../errors.js'
import { toCreateTableInput } from './convert.js'
import { describeTable, findTable } from './describe.js'
import { applySetting, setPointInTimeRecovery, setTimeToLive, tagTable, type SettingOutcome } from './settings.js'
import type { TableSpec } from './spec.js'
import { waitForTableActive, type WaitOptions, type WaitProgress } from './wait.js'

export interface CreateProgress {
  table: string
  stage: 'create' | 'wait' | 'settings'
  message: string
  wait?: WaitProgress
}

export interface CreateTableOptions {
  /** Wait until the table and all GSIs are ACTIVE (always done when TTL, PITR or tags must be set). */
  wait?: boolean
  /** An existing table is accepted as is instead of being an error. */
  ifNotExists?: boolean
  waitOptions?: Omit<WaitOptions, 'onProgress'>
  onProgress?: (p: CreateProgress) => void
}

export interface CreateTableResult {
  table: string
  created: boolean
  status: string
  arn?: string
  /** TTL, PITR and tags: applied, or skipped where the engine lacks the operation. */
  settings: SettingOutcome[]
  notes: string[]
}

/** Settings CreateTable cannot carry, set once the table is ACTIVE. */
function postCreateSettings(spec: TableSpec): boolean {
  return Boolean(spec.ttl || spec.pitr || (spec.tags && Object.keys(spec.tags).length))
}

/** Settings CreateTable accepted but the engine did not keep (dynalite ignores streams and deletion protection). */
function droppedByEngine(spec: TableSpec, d: TableDescription | undefined, endpoint: string): SettingOutcome[] {
  const dropped: SettingOutcome[] = []
  if (spec.stream && !d?.StreamSpecification?.StreamEnabled)
    dropped.push({ setting: 'stream', status: 'skipped', detail: `stream ${spec.stream}: not kept by the engine at ${endpoint}` })
  if (spec.deletionProtection && d?.DeletionProtectionEnabled !== true)
    dropped.push({ setting: 'deletionProtection', status: 'skipped', detail: `deletion protection: not kept by the engine at ${endpoint}` })
  return dropped
}

/** Creates a table from a spec; TTL, PITR and tags are applied once it is ACTIVE. */
export async function createTable(conn: Connection, spec: TableSpec, options: CreateTableOptions = {}): Promise<CreateTableResult> {
  const table = assertValidTableName(spec.name)
  const progress = (stage: CreateProgress['stage'], message: string, wait?: WaitProgress) => options.onProgress?.({ table, stage, message, ...(wait ? { wait } : {}) })

  const existing = await findTable(conn, table)
  if (existing) {
    if (!options.ifNotExists) throw new TableExistsError(table)
    return { table, created: false, status: existing.TableStatus ?? 'UNKNOWN', arn: existing.TableArn, settings: [], notes: ['table already exists; left unchanged'] }
  }

  progress('create', `creating ${table}`)
  let description: TableDescription | undefined
  const input = toCreateTableInput(spec)
  try {
    description = (await call(conn, 'CreateTable', () => conn.dynamodb.send(new CreateTableCommand(input)))).TableDescription
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err
    // The SDK's retry of a CreateTable whose answer was lost meets the table its first attempt made.
    const found = wasRetried(err) ? await findTable(conn, table) : undefined
    if (isOwnCreatedTable(input, found)) description = found
    else {
      // Lost a race with another creator.
      if (options.ifNotExists) return { table, created: false, status: 'UNKNOWN', settings: [], notes: ['table was created concurrently; left unchanged'] }
      throw new TableExistsError(table)
    }
  }
  let status = description?.TableStatus ?? 'CREATING'
  const arn = description?.TableArn ?? ''
  const settings: SettingOutcome[] = droppedByEngine(spec, description, conn.label)
  if (!options.wait && !postCreateSettings(spec)) return { table, created: true, status, arn, settings, notes: [] }

  await waitForTableActive(conn, table, { ...options.waitOptions, onProgress: (w) => progress('wait', `waiting for ${table}: ${w.status}`, w) })
  status = 'ACTIVE'
  try {
    if (spec.ttl) {
      progress('settings', `enabling TTL on ${spec.ttl}`)
      settings.push(await applySetting('ttl', `TTL on ${spec.ttl}`, () => setTimeToLive(conn, table, spec.ttl as string, true)))
    }
    if (spec.tags && Object.keys(spec.tags).length) {
      progress('settings', 'tagging')
      settings.push(await applySetting('tags', `${Object.keys(spec.tags).length} tags`, () => tagTable(conn, arn, spec.tags ?? {})))
    }
    if (spec.pitr) {
      progress('settings', 'enabling point-in-time recovery')
      settings.push(await applySetting('pitr', 'point-in-time recovery', () => setPointInTimeRecovery(conn, table, true)))
    }
  } catch (err) {
    throw new DynxError(`Created ${table}, but setting TTL/tags/PITR failed: ${(err as Error).message}`, 'The table exists; finish its settings with `dynx apply SPEC --yes`.', {
      cause: err,
    })
  }
  return { table, created: true, status, arn, settings, notes: [] }
}

export interface CloneTableOptions extends CreateTableOptions {
  /** Region of the source, to tell whether its KMS key can be reused. */
  sameRegion?: boolean
}

/**
 * Creates target with source's definition, by allowlist: keys, attribute definitions, GSIs and LSIs
 * with projections, billing and throughput, stream, SSE, table class, deletion protection, then
 * TTL, tags and PITR. Source and target may be on different connections (regions, accounts, engines).
 */
export async function cloneTable(
  source: Connection,
  sourceTable: string,
  target: Connection,
  targetTable: string,
  options: CloneTableOptions = {},
): Promise<CreateTableResult & { source: string }> {
  assertValidTableName(targetTable)
  // Fail on an existing target before reading the source, so nothing depends on order.
  if (!options.ifNotExists && (await findTable(target, targetTable))) throw new TableExistsError(targetTable)
  const info = await describeTable(source, sourceTable)
  const notes: string[] = []
  const spec: TableSpec = { ...info.spec, name: targetTable }
  if (spec.tags) {
    // aws:* tags are reserved for AWS and cannot be set by users.
    spec.tags = Object.fromEntries(Object.entries(spec.tags).filter(([k]) => !k.startsWith('aws:')))
  }
  if (spec.sse?.kmsKeyId && options.sameRegion === false) {
    spec.sse = { enabled: true }
    notes.push('source uses a KMS key of another region/account: the target uses the AWS managed key')
  }
  for (const setting of info.unsupported) notes.push(`source engine cannot report ${setting}; not cloned`)
  const result = await createTable(target, spec, options)
  return { ...result, source: sourceTable, notes: [...notes, ...result.notes] }
}
