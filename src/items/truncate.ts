import { DeleteTableCommand, type TableDescription } from '@aws-sdk/client-dynamodb'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import { readAutoScaling, reconcileFromTableInfo, type AutoScalingSettings, type ReconcileOutcome } from '../backup/reconcile.js'
import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { wasRetried } from '../connection/idempotent.js'
import { deleteItems } from '../bulk/delete.js'
import { TableNotFoundError, TimeoutWaitingError, UserInputError } from '../errors.js'
import { dynxHome } from '../home.js'
import type { Outcome } from '../outcome.js'
import { writeJsonFile } from '../scan/checkpoint.js'
import { defaultSegmentCount } from '../scan/parallel-scan.js'
import { updateTableAndWait } from '../tables/apply.js'
import { projectionText } from '../tables/convert.js'
import { createTable } from '../tables/create.js'
import { describeTable, findTable, type PitrState } from '../tables/describe.js'
import type { TableSpec } from '../tables/spec.js'
import { pollUntil, waitForTableActive } from '../tables/wait.js'

export interface TruncateProgress {
  table: string
  stage: 'plan' | 'delete' | 'create' | 'settings'
  message: string
  /** Items deleted so far (without recreate). */
  deleted?: number
}

export interface TruncatePlan {
  table: string
  /** `recreate`: delete and re-create the table; `delete-items`: delete every item, the table stays. */
  mode: 'recreate' | 'delete-items'
  /** DynamoDB's item count estimate (updated about every 6 hours). */
  estimatedItems: number
  deletionProtection: boolean
  /** What the re-created table gets back, one line each (recreate only). */
  keeps: string[]
  /** What changes or is lost (recreate only). */
  warnings: string[]
  /** Finishing an interrupted --recreate from its saved definition. */
  resumed: boolean
}

export interface TruncateOptions {
  /** Delete and re-create the table from its own definition instead of deleting its items. */
  recreate?: boolean
  /** Build the plan and change nothing. */
  dryRun?: boolean
  /** Called with the plan before the first change; throw (e.g. not confirmed) to change nothing. */
  confirm?: (plan: TruncatePlan) => Promise<void>
  /** Scan segments for deleting items (default: one per 2 GB, at least 4). */
  segments?: number
  /** Where an interrupted --recreate keeps the table's definition (default ~/.dynx/truncate/). */
  stateDir?: string
  signal?: AbortSignal
  onProgress?: (p: TruncateProgress) => void
}

export interface TruncateResult {
  table: string
  mode: TruncatePlan['mode']
  dryRun: boolean
  plan: TruncatePlan
  /** Items deleted (delete-items). */
  deleted: number
  /** Settings put back on the re-created table: applied, skipped (the engine lacks them) or failed. */
  settings: ReconcileOutcome[]
  /** ok; partial when a setting could not be put back; interrupted (delete-items: run it again). */
  outcome: Outcome
  seconds: number
}

/** What a --recreate saves before DeleteTable, so a crash between delete and create loses nothing. */
interface SavedDefinition {
  kind: 'dynx-truncate-recreate'
  table: string
  tableId?: string
  spec: TableSpec
  pitr?: PitrState
  autoScaling?: AutoScalingSettings
  savedAt: string
}

/**
 * Empties a table. With `recreate`, deletes it and creates it again from its own definition
 * (keys, GSIs, LSIs, billing and capacity, stream, SSE, table class, deletion protection, then
 * TTL, tags, PITR with its period and auto scaling), saving that definition first so that running
 * it again after a crash finishes the job. Without, deletes every item through a keys-only
 * parallel scan and BatchWriteItem deletes.
 */
export async function truncateTable(conn: Connection, table: string, options: TruncateOptions = {}): Promise<TruncateResult> {
  const started = performance.now()
  const progress = (stage: TruncateProgress['stage'], message: string, deleted?: number) =>
    options.onProgress?.({ table, stage, message, ...(deleted !== undefined ? { deleted } : {}) })
  const finish = (plan: TruncatePlan, rest: Partial<TruncateResult>): TruncateResult => ({
    table,
    mode: plan.mode,
    dryRun: !!options.dryRun,
    plan,
    deleted: 0,
    settings: [],
    outcome: 'ok',
    ...rest,
    seconds: (performance.now() - started) / 1000,
  })
  progress('plan', `reading ${table}`)
  if (!options.recreate) {
    const d = await findTable(conn, table)
    if (!d) throw new TableNotFoundError(table, conn.label)
    const plan: TruncatePlan = {
      table,
      mode: 'delete-items',
      estimatedItems: d.ItemCount ?? 0,
      deletionProtection: !!d.DeletionProtectionEnabled,
      keeps: [],
      warnings: [],
      resumed: false,
    }
    if (options.dryRun) return finish(plan, {})
    await options.confirm?.(plan)
    // `dynx delete --all`: the bulk engine, with its checkpoint, dead letters and slow-down.
    const r = await deleteItems(conn, table, {
      all: true,
      segments: options.segments ?? Math.max(4, defaultSegmentCount(d.TableSizeBytes)),
      signal: options.signal,
      onProgress: (p) => progress('delete', `${p.deleted.toLocaleString('en-US')} items deleted`, p.deleted),
    })
    return finish(plan, { deleted: r.deleted, outcome: r.outcome })
  }

  const statePath = await definitionPath(conn, table, options.stateDir)
  let saved = readDefinition(statePath, table)
  let live = await findTable(conn, table)
  if (live?.TableStatus === 'DELETING' && saved?.tableId === live.TableId) {
    await waitUntilGone(conn, table, () => progress('delete', `waiting for ${table} to be deleted`))
    live = undefined
  }
  // The saved definition is ours to finish when the table it describes is gone (or replaced by our new one).
  const resuming = saved !== undefined && (!live || live.TableId !== saved.tableId)
  if (!resuming) {
    if (!live) throw new TableNotFoundError(table, conn.label)
    if (live.TableStatus !== 'ACTIVE')
      throw new UserInputError(`${table} is ${live.TableStatus}, not ACTIVE.`, 'Wait for it to be ACTIVE (`dynx tables describe`), then run this again.')
    if (live.Replicas?.length)
      throw new UserInputError(
        `${table} is a global table with ${live.Replicas.length} replicas; re-creating it would drop them.`,
        'Truncate it without --recreate (deletes the items and keeps the replicas).',
      )
    const info = await describeTable(conn, table)
    const autoScaling =
      info.spec.billing === 'PROVISIONED'
        ? await readAutoScaling(
            conn,
            table,
            (info.spec.indexes ?? []).map((g) => g.name),
          )
        : undefined
    saved = {
      kind: 'dynx-truncate-recreate',
      table,
      tableId: live.TableId,
      spec: info.spec,
      ...(info.pitr ? { pitr: info.pitr } : {}),
      ...(autoScaling ? { autoScaling } : {}),
      savedAt: '',
    }
  }
  const definition = saved!
  const plan = recreatePlan(definition, live, resuming)
  if (options.dryRun) return finish(plan, {})
  if (!resuming) {
    await options.confirm?.(plan)
    writeDefinition(statePath, { ...definition, savedAt: new Date().toISOString() })
    if (live?.DeletionProtectionEnabled) {
      progress('delete', 'turning deletion protection off')
      await updateTableAndWait(conn, { TableName: table, DeletionProtectionEnabled: false })
    }
    progress('delete', `deleting ${table}`)
    await deleteTable(conn, table)
    await waitUntilGone(conn, table, () => progress('delete', `waiting for ${table} to be deleted`))
  }
  const spec: TableSpec = { ...definition.spec, name: table, pitr: false }
  // aws:* tags are AWS's own and cannot be set.
  if (spec.tags) spec.tags = Object.fromEntries(Object.entries(spec.tags).filter(([k]) => !k.startsWith('aws:')))
  const created = await createTable(conn, spec, { wait: true, ifNotExists: resuming, onProgress: (p) => progress('create', p.message) })
  if (!created.created) await waitForTableActive(conn, table, { onProgress: (w) => progress('create', `waiting for ${table}: ${w.status}`) })
  const settings: ReconcileOutcome[] = created.settings.map((s) => ({ ...s }))
  progress('settings', 'putting back point-in-time recovery, auto scaling and the rest')
  const again = await reconcileFromTableInfo(
    conn,
    table,
    { name: table, spec: definition.spec, ...(definition.pitr ? { pitr: definition.pitr } : {}) },
    {
      ...(definition.autoScaling ? { autoScaling: definition.autoScaling } : {}),
      onProgress: (p) => progress('settings', p.message),
    },
  )
  settings.push(...again)
  rmSync(statePath, { force: true })
  return finish(plan, { settings, outcome: settings.some((s) => s.status === 'failed') ? 'partial' : 'ok' })
}

function recreatePlan(def: SavedDefinition, live: TableDescription | undefined, resumed: boolean): TruncatePlan {
  const s = def.spec
  const keeps = [`keys: ${s.hashKey.name} (${s.hashKey.type})${s.rangeKey ? `, ${s.rangeKey.name} (${s.rangeKey.type})` : ''}`]
  keeps.push(s.billing === 'PROVISIONED' ? `billing: provisioned, ${s.read} RCU / ${s.write} WCU` : 'billing: on-demand')
  for (const g of s.indexes ?? []) keeps.push(`GSI ${g.name}: ${g.hashKey.name}${g.rangeKey ? `, ${g.rangeKey.name}` : ''} (${projectionText(g.projection)})`)
  for (const l of s.localIndexes ?? []) keeps.push(`LSI ${l.name}: ${l.rangeKey.name} (${projectionText(l.projection)})`)
  if (s.stream) keeps.push(`stream: ${s.stream}`)
  if (s.ttl) keeps.push(`TTL on ${s.ttl}`)
  const tags = Object.keys(s.tags ?? {}).filter((k) => !k.startsWith('aws:'))
  if (tags.length) keeps.push(`tags: ${tags.join(', ')}`)
  if (def.pitr?.status === 'ENABLED') keeps.push(`point-in-time recovery${def.pitr.recoveryPeriodInDays ? ` (${def.pitr.recoveryPeriodInDays} days)` : ''}`)
  if (def.autoScaling && 'targets' in def.autoScaling && def.autoScaling.targets.length) keeps.push(`auto scaling: ${def.autoScaling.targets.length} scalable targets`)
  if (s.sse?.enabled) keeps.push(`encryption: ${s.sse.kmsKeyId ? `KMS key ${s.sse.kmsKeyId}` : 'AWS managed KMS key'}`)
  if (s.tableClass === 'STANDARD_INFREQUENT_ACCESS') keeps.push('table class: Standard-IA')
  if (s.deletionProtection) keeps.push('deletion protection (turned off to delete, on again for the new table)')
  const warnings = [
    'The table is deleted and a new one is created with the same name: it gets a new TableId and creation time (the ARN reads the same, but policies or tools that track the table id see a new table).',
    ...(s.stream ? ['Its stream gets a new ARN: Lambda triggers and other stream consumers must be pointed at the new stream.'] : []),
    ...(def.pitr?.status === 'ENABLED'
      ? ['Point-in-time recovery starts a new window: the old table cannot be restored to a time from the new one (DynamoDB keeps a system backup of the deleted table).']
      : []),
    'Not re-created: a resource-based policy, Kinesis streaming destinations, contributor insights, global table replicas, on-demand maximum throughput.',
    'Reads and writes fail while the table is deleted and created again (seconds on a small table, minutes with many GSIs).',
  ]
  return {
    table: def.table,
    mode: 'recreate',
    estimatedItems: live?.ItemCount ?? 0,
    deletionProtection: !!s.deletionProtection,
    keeps,
    warnings,
    resumed,
  }
}

/** Per connection and table, so two engines' tables of one name do not share a saved definition. */
async function definitionPath(conn: Connection, table: string, dir = join(dynxHome(), 'truncate')): Promise<string> {
  const where = createHash('sha256')
    .update(`${conn.identity ?? conn.endpoint ?? 'aws'}|${await conn.region()}`)
    .digest('hex')
    .slice(0, 12)
  return join(dir, `${table}-${where}.json`)
}

function readDefinition(path: string, table: string): SavedDefinition | undefined {
  if (!existsSync(path)) return undefined
  const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedDefinition
  return saved.kind === 'dynx-truncate-recreate' && saved.table === table ? saved : undefined
}

function writeDefinition(path: string, def: SavedDefinition): void {
  writeJsonFile(path, def)
}

async function deleteTable(conn: Connection, table: string): Promise<void> {
  try {
    await call(
      conn,
      'DeleteTable',
      async () => {
        try {
          await conn.dynamodb.send(new DeleteTableCommand({ TableName: table }))
        } catch (err) {
          // The retry of a DeleteTable whose answer was lost finds the table gone: deleted.
          if ((err as Error).name === 'ResourceNotFoundException' && wasRetried(err)) return
          throw err
        }
      },
      table,
    )
  } catch (err) {
    // ... or still being deleted.
    if ((err as Error).name === 'ResourceInUseException' && (await findTable(conn, table))?.TableStatus === 'DELETING') return
    throw err
  }
}

async function waitUntilGone(conn: Connection, table: string, onWait: () => void): Promise<void> {
  await pollUntil(
    conn,
    async () => {
      onWait()
      return findTable(conn, table)
    },
    (d) => d === undefined,
    (d) => new TimeoutWaitingError(`${table} is still ${d?.TableStatus} after 30 minutes.`, 'Check it with `dynx tables describe`, then run the same command again to finish.'),
    { timeoutMs: 30 * 60_000 },
  )
}
