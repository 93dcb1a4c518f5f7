import { UpdateTableCommand, type UpdateTableCommandInput } from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { isUnchangedUpdate, isUpdateApplied, wasRetried } from '../connection/idempotent.js'
import { withPrefix } from '../connection/names.js'
import type { Outcome } from '../outcome.js'
import { attributeDefinitions, projectionText, toGlobalIndex } from './convert.js'
import { createTable, type CreateProgress } from './create.js'
import { describeTable, describeTableRaw, findTable, type TableInfo } from './describe.js'
import { applySetting, setPointInTimeRecovery, setTimeToLive, tagTable, type SettingOutcome } from './settings.js'
import type { GlobalIndexSpec, KeySpec, LocalIndexSpec, TableSpec } from './spec.js'
import { waitForTableActive } from './wait.js'

/**
 * - create: the table is missing and will be created;
 * - update: DynamoDB can change it in place (applied with --yes);
 * - manual: DynamoDB cannot change it in place (key schema, LSIs, index keys); reported, never attempted;
 * - unsupported: the engine cannot report or set it (e.g. PITR on dynalite); not counted as drift.
 */
export type ChangeKind = 'create' | 'update' | 'manual' | 'unsupported'

export interface PlannedChange {
  kind: ChangeKind
  setting: string
  description: string
}

export interface TablePlan {
  table: string
  action: 'create' | 'update' | 'none'
  changes: PlannedChange[]
  /** The desired spec with the prefix applied. */
  spec: TableSpec
}

export interface ApplyPlan {
  tables: TablePlan[]
  /** Anything to create, update or fix by hand. */
  drift: boolean
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
const keyText = (k?: KeySpec) => (k ? `${k.name}:${k.type}` : 'none')

function indexShape(g: GlobalIndexSpec | LocalIndexSpec) {
  return {
    hashKey: 'hashKey' in g ? keyText(g.hashKey) : undefined,
    rangeKey: keyText(g.rangeKey),
    projection: projectionText(g.projection),
  }
}

/**
 * The difference between what the spec wants and what the table is. Pure. `lacks` names settings
 * the engine is known not to keep (the embedded engine's); those are "unsupported", not drift.
 */
export function diffTable(desired: TableSpec, live: TableInfo, lacks: readonly string[] = []): PlannedChange[] {
  const have = live.spec
  const changes: PlannedChange[] = []
  const add = (kind: ChangeKind, setting: string, description: string) => changes.push({ kind, setting, description })

  if (keyText(desired.hashKey) !== keyText(have.hashKey) || keyText(desired.rangeKey) !== keyText(have.rangeKey)) {
    add(
      'manual',
      'keySchema',
      `key schema ${keyText(have.hashKey)}/${keyText(have.rangeKey)} -> ${keyText(desired.hashKey)}/${keyText(desired.rangeKey)}: needs a new table and a copy`,
    )
  }
  const wantLsi = new Map((desired.localIndexes ?? []).map((l) => [l.name, l]))
  const haveLsi = new Map((have.localIndexes ?? []).map((l) => [l.name, l]))
  for (const [name, l] of wantLsi) {
    const h = haveLsi.get(name)
    if (!h) add('manual', `localIndexes.${name}`, `local index ${name} is missing: LSIs can only be created with the table`)
    else if (!same(indexShape(l), indexShape(h))) add('manual', `localIndexes.${name}`, `local index ${name} differs: LSIs cannot be changed in place`)
  }
  if (desired.localIndexes)
    for (const name of haveLsi.keys()) if (!wantLsi.has(name)) add('manual', `localIndexes.${name}`, `local index ${name} exists but is not in the spec: LSIs cannot be removed`)

  const desiredBilling = desired.billing
  const liveBilling = have.billing ?? 'PAY_PER_REQUEST'
  if (desiredBilling && desiredBilling !== liveBilling) add('update', 'billing', `billing ${liveBilling} -> ${desiredBilling}`)
  else if (liveBilling === 'PROVISIONED' && desired.read !== undefined && (desired.read !== have.read || desired.write !== have.write)) {
    add('update', 'throughput', `throughput ${have.read}/${have.write} -> ${desired.read}/${desired.write} (read/write)`)
  }

  const haveGsi = new Map((have.indexes ?? []).map((g) => [g.name, g]))
  const wantGsi = new Map((desired.indexes ?? []).map((g) => [g.name, g]))
  for (const [name, g] of wantGsi) {
    const h = haveGsi.get(name)
    if (!h && lacks.includes('indexes.create')) add('unsupported', `indexes.${name}`, `global index ${name}: the engine cannot add indexes to an existing table`)
    else if (!h)
      add('update', `indexes.${name}`, `create global index ${name} (${keyText(g.hashKey)}${g.rangeKey ? `/${keyText(g.rangeKey)}` : ''}, ${projectionText(g.projection)})`)
    else if (!same(indexShape(g), indexShape(h))) add('manual', `indexes.${name}`, `global index ${name} differs in keys or projection: delete and recreate it by hand`)
    else if (liveBilling === 'PROVISIONED' && (desiredBilling ?? liveBilling) === 'PROVISIONED' && g.read !== undefined && (g.read !== h.read || g.write !== h.write)) {
      add('update', `indexes.${name}.throughput`, `index ${name} throughput ${h.read}/${h.write} -> ${g.read}/${g.write}`)
    }
  }
  if (desired.indexes)
    for (const name of haveGsi.keys())
      if (!wantGsi.has(name)) add('manual', `indexes.${name}`, `global index ${name} exists but is not in the spec: dynx apply never deletes indexes`)

  if (desired.stream !== undefined && lacks.includes('stream')) {
    if (desired.stream) add('unsupported', 'stream', 'stream: the engine does not keep streams')
  } else if (desired.stream !== undefined && desired.stream !== have.stream) {
    add('update', 'stream', `stream ${have.stream || 'off'} -> ${desired.stream || 'off'}`)
  }
  if (desired.ttl !== undefined) {
    if (live.unsupported.includes('ttl') || lacks.includes('ttl')) {
      if (desired.ttl) add('unsupported', 'ttl', 'TTL: the engine cannot set it')
    } else if (desired.ttl !== have.ttl) {
      if (desired.ttl && have.ttl) add('manual', 'ttl', `TTL attribute ${have.ttl} -> ${desired.ttl}: disable TTL, wait an hour, then enable it on the new attribute`)
      else add('update', 'ttl', `TTL ${have.ttl || 'off'} -> ${desired.ttl || 'off'}`)
    }
  }
  if (desired.pitr !== undefined) {
    if (live.unsupported.includes('pitr') || lacks.includes('pitr')) add('unsupported', 'pitr', 'point-in-time recovery: the engine cannot report it')
    else if (desired.pitr !== have.pitr) add('update', 'pitr', `point-in-time recovery ${have.pitr ? 'on' : 'off'} -> ${desired.pitr ? 'on' : 'off'}`)
  }
  if (desired.tags) {
    if (live.unsupported.includes('tags')) add('unsupported', 'tags', 'tags: the engine cannot report them')
    else {
      const missing = Object.entries(desired.tags).filter(([k, v]) => have.tags?.[k] !== v)
      if (missing.length) add('update', 'tags', `tags ${missing.map(([k, v]) => `${k}=${v}`).join(', ')}`)
    }
  }
  if (desired.deletionProtection !== undefined && lacks.includes('deletionProtection')) {
    if (desired.deletionProtection) add('unsupported', 'deletionProtection', 'deletion protection: the engine does not keep it')
  } else if (desired.deletionProtection !== undefined && desired.deletionProtection !== (have.deletionProtection ?? false)) {
    add('update', 'deletionProtection', `deletion protection ${have.deletionProtection ? 'on' : 'off'} -> ${desired.deletionProtection ? 'on' : 'off'}`)
  }
  if (desired.tableClass !== undefined && desired.tableClass !== (have.tableClass ?? 'STANDARD')) {
    add('update', 'tableClass', `table class ${have.tableClass ?? 'STANDARD'} -> ${desired.tableClass}`)
  }
  if (desired.sse !== undefined && (desired.sse.enabled !== (have.sse?.enabled ?? false) || (desired.sse.kmsKeyId && desired.sse.kmsKeyId !== have.sse?.kmsKeyId))) {
    add(
      'update',
      'sse',
      `encryption ${have.sse?.enabled ? 'KMS' : 'owned key'} -> ${desired.sse.enabled ? `KMS${desired.sse.kmsKeyId ? ` ${desired.sse.kmsKeyId}` : ''}` : 'owned key'}`,
    )
  }
  return changes
}

/** Compares every table of the spec with what exists; changes nothing. */
export async function planApply(conn: Connection, specs: TableSpec[], options: { prefix?: string; concurrency?: number } = {}): Promise<ApplyPlan> {
  const limit = pLimit(options.concurrency ?? 5)
  const tables = await Promise.all(
    specs.map((s) =>
      limit(async (): Promise<TablePlan> => {
        const spec = { ...s, name: withPrefix(s.name, options.prefix) }
        if (!(await findTable(conn, spec.name))) {
          return { table: spec.name, action: 'create', spec, changes: [{ kind: 'create', setting: 'table', description: `create table ${spec.name}` }] }
        }
        const changes = diffTable(spec, await describeTable(conn, spec.name), conn.lacks)
        return { table: spec.name, action: changes.some((c) => c.kind === 'update' || c.kind === 'manual') ? 'update' : 'none', spec, changes }
      }),
    ),
  )
  return { tables, drift: tables.some((t) => t.action !== 'none') }
}

export interface ApplyOptions {
  /** Make in-place updates to existing tables (creation of missing tables needs no confirmation). */
  applyUpdates: boolean
  concurrency?: number
  onProgress?: (p: CreateProgress) => void
}

export interface AppliedChange extends PlannedChange {
  outcome: 'applied' | 'skipped' | 'pending' | 'manual' | 'failed'
  detail?: string
}

export interface TableApplyResult {
  table: string
  action: TablePlan['action']
  changes: AppliedChange[]
}

export interface ApplyResult {
  tables: TableApplyResult[]
  created: number
  updated: number
  unchanged: number
  /** Changes left undone: pending confirmation or needing a manual fix. */
  remaining: number
  /** Changes that failed; the other tables were still carried out. */
  failed: number
  /** partial (a change failed), drift (changes remain), or ok. */
  outcome: Outcome
}

/**
 * One UpdateTable, then waits for ACTIVE. When it fails after an attempt that may have been
 * applied (the SDK retried it, or it is sent again below), the table is described once ACTIVE, and
 * if it already is as asked (isUpdateApplied) the change is done: the real service answers such a
 * retry "Table already has an enabled stream", "...is being updated" and the like.
 */
export async function updateTableAndWait(conn: Connection, input: UpdateTableCommandInput, onProgress?: ApplyOptions['onProgress']): Promise<void> {
  const table = input.TableName ?? ''
  const wait = () =>
    waitForTableActive(conn, table, {
      onProgress: (w) => onProgress?.({ table, stage: 'wait', message: `waiting for ${table}: ${w.status} ${w.pendingIndexes.join(' ')}`, wait: w }),
    })
  const send = () => call(conn, 'UpdateTable', () => conn.dynamodb.send(new UpdateTableCommand(input)), table)
  // Waits out the update an earlier attempt started, then looks.
  const alreadyApplied = async () => {
    await wait()
    return isUpdateApplied(input, await describeTableRaw(conn, table))
  }
  try {
    await send()
  } catch (err) {
    // "will not change" says the wanted value is set, whoever set it.
    if (!isUnchangedUpdate(err)) {
      // On a first attempt, an error is an error.
      if (!wasRetried(err)) throw err
      if (!(await alreadyApplied())) {
        // Not applied: the retry met the table UPDATING from someone else's update. It is ACTIVE now; send again.
        if ((err as Error).name !== 'ResourceInUseException') throw err
        try {
          await send()
        } catch (again) {
          if (!isUnchangedUpdate(again) && !(await alreadyApplied())) throw again
        }
      }
    }
  }
  // DynamoDB accepts one table update at a time; the next must wait for ACTIVE.
  await wait()
}

function throughputOf(spec: TableSpec) {
  return { ReadCapacityUnits: spec.read ?? 1, WriteCapacityUnits: spec.write ?? 1 }
}

async function applyChange(conn: Connection, plan: TablePlan, live: TableInfo, change: PlannedChange, onProgress?: ApplyOptions['onProgress']): Promise<SettingOutcome> {
  const spec = plan.spec
  const table = plan.table
  onProgress?.({ table, stage: 'settings', message: change.description })
  const run = (fn: () => Promise<void>) => applySetting(change.setting, change.description, fn)
  const setting = change.setting
  if (setting === 'billing') {
    return run(() =>
      updateTableAndWait(
        conn,
        {
          TableName: table,
          BillingMode: spec.billing,
          ...(spec.billing === 'PROVISIONED'
            ? {
                ProvisionedThroughput: throughputOf(spec),
                GlobalSecondaryIndexUpdates: (live.spec.indexes ?? []).map((g) => {
                  const want = spec.indexes?.find((w) => w.name === g.name)
                  return {
                    Update: { IndexName: g.name, ProvisionedThroughput: { ReadCapacityUnits: want?.read ?? spec.read ?? 1, WriteCapacityUnits: want?.write ?? spec.write ?? 1 } },
                  }
                }),
              }
            : {}),
        },
        onProgress,
      ),
    )
  }
  if (setting === 'throughput') return run(() => updateTableAndWait(conn, { TableName: table, ProvisionedThroughput: throughputOf(spec) }, onProgress))
  if (setting.startsWith('indexes.')) {
    const name = setting.split('.')[1]
    const g = spec.indexes?.find((i) => i.name === name)
    if (!g) throw new Error(`bug: no index ${name} in spec`)
    if (setting.endsWith('.throughput')) {
      return run(() =>
        updateTableAndWait(
          conn,
          { TableName: table, GlobalSecondaryIndexUpdates: [{ Update: { IndexName: name, ProvisionedThroughput: { ReadCapacityUnits: g.read, WriteCapacityUnits: g.write } } }] },
          onProgress,
        ),
      )
    }
    const billing = spec.billing ?? live.spec.billing
    const outcome = await run(() =>
      updateTableAndWait(
        conn,
        {
          TableName: table,
          AttributeDefinitions: attributeDefinitions({ hashKey: spec.hashKey, rangeKey: spec.rangeKey, indexes: [g] }),
          GlobalSecondaryIndexUpdates: [{ Create: toGlobalIndex(g, { ...spec, billing, read: spec.read ?? live.spec.read, write: spec.write ?? live.spec.write }) }],
        },
        onProgress,
      ),
    )
    // Some engines (dynalite) accept the request and create nothing: say so rather than report success.
    if (outcome.status === 'applied' && !(await describeTable(conn, table)).spec.indexes?.some((i) => i.name === name)) {
      return { ...outcome, status: 'skipped', detail: `${change.description}: the engine at ${conn.label} accepted the request but created no index` }
    }
    return outcome
  }
  if (setting === 'stream') {
    return run(async () => {
      // Another view type needs the stream off first.
      if (live.spec.stream) await updateTableAndWait(conn, { TableName: table, StreamSpecification: { StreamEnabled: false } }, onProgress)
      if (spec.stream) await updateTableAndWait(conn, { TableName: table, StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } }, onProgress)
    })
  }
  if (setting === 'ttl') {
    return run(() => (spec.ttl ? setTimeToLive(conn, table, spec.ttl, true) : setTimeToLive(conn, table, live.spec.ttl as string, false)))
  }
  if (setting === 'pitr') return run(() => setPointInTimeRecovery(conn, table, spec.pitr ?? false))
  if (setting === 'tags') return run(() => tagTable(conn, live.arn, Object.fromEntries(Object.entries(spec.tags ?? {}).filter(([k, v]) => live.spec.tags?.[k] !== v))))
  if (setting === 'deletionProtection') return run(() => updateTableAndWait(conn, { TableName: table, DeletionProtectionEnabled: spec.deletionProtection }, onProgress))
  if (setting === 'tableClass') return run(() => updateTableAndWait(conn, { TableName: table, TableClass: spec.tableClass }, onProgress))
  if (setting === 'sse') {
    return run(() =>
      updateTableAndWait(
        conn,
        {
          TableName: table,
          SSESpecification: {
            Enabled: spec.sse?.enabled,
            ...(spec.sse?.enabled ? { SSEType: 'KMS' as const, ...(spec.sse.kmsKeyId ? { KMSMasterKeyId: spec.sse.kmsKeyId } : {}) } : {}),
          },
        },
        onProgress,
      ),
    )
  }
  throw new Error(`bug: no way to apply ${setting}`)
}

/**
 * Carries out a plan: creates missing tables, and (with applyUpdates) makes the in-place changes,
 * one UpdateTable at a time per table. Manual changes are reported, never attempted.
 */
export async function applyPlan(conn: Connection, plan: ApplyPlan, options: ApplyOptions): Promise<ApplyResult> {
  const limit = pLimit(options.concurrency ?? 5)
  const results = await Promise.all(
    plan.tables.map((t) =>
      limit(async (): Promise<TableApplyResult> => {
        try {
          return await applyTable(conn, t, options)
        } catch (err) {
          return {
            table: t.table,
            action: t.action,
            changes: [
              { kind: t.action === 'create' ? 'create' : 'update', setting: 'table', description: `${t.action} ${t.table}`, outcome: 'failed', detail: (err as Error).message },
            ],
          }
        }
      }),
    ),
  )
  const remaining = results.reduce((n, r) => n + r.changes.filter((c) => c.outcome === 'pending' || c.outcome === 'manual').length, 0)
  const failed = results.reduce((n, r) => n + r.changes.filter((c) => c.outcome === 'failed').length, 0)
  return {
    tables: results,
    created: results.filter((r) => r.action === 'create' && r.changes[0]?.outcome === 'applied').length,
    updated: results.filter((r) => r.changes.some((c) => c.kind === 'update' && c.outcome === 'applied') && r.action === 'update').length,
    unchanged: results.filter((r) => r.action === 'none').length,
    remaining,
    failed,
    outcome: failed ? 'partial' : remaining ? 'drift' : 'ok',
  }
}

async function applyTable(conn: Connection, t: TablePlan, options: ApplyOptions): Promise<TableApplyResult> {
  if (t.action === 'create') {
    const created = await createTable(conn, t.spec, { wait: true, onProgress: options.onProgress })
    return {
      table: t.table,
      action: 'create',
      changes: [
        { ...t.changes[0], outcome: 'applied' },
        ...created.settings.map((s): AppliedChange => ({ kind: 'update', setting: s.setting, description: s.detail, outcome: s.status })),
      ],
    }
  }
  const changes: AppliedChange[] = []
  const live = t.action === 'update' && options.applyUpdates ? await describeTable(conn, t.table) : undefined
  for (const c of t.changes) {
    if (c.kind === 'manual') changes.push({ ...c, outcome: 'manual' })
    else if (c.kind === 'unsupported') changes.push({ ...c, outcome: 'skipped' })
    else if (!live) changes.push({ ...c, outcome: 'pending' })
    else {
      const outcome = await applyChange(conn, t, live, c, options.onProgress)
      changes.push({ ...c, outcome: outcome.status, ...(outcome.status === 'skipped' ? { detail: outcome.detail } : {}) })
    }
  }
  return { table: t.table, action: t.action, changes }
}
