import { PutScalingPolicyCommand, RegisterScalableTargetCommand, type ScalingPolicy } from '@aws-sdk/client-application-auto-scaling'
import type { BackupDescription, SourceTableDetails, SourceTableFeatureDetails, StreamViewType } from '@aws-sdk/client-dynamodb'

import type { Connection } from '../connection/clients.js'
import { explainAwsError } from '../errors.js'
import { applyPlan, diffTable } from '../tables/apply.js'
import { describeTable, findTable, type TableInfo } from '../tables/describe.js'
import { applySetting, setPointInTimeRecovery } from '../tables/settings.js'
import type { TableSpec } from '../tables/spec.js'
import { autoScalingUnavailable, describeScaling, scalingResourceId } from '../throughput/status.js'
import type { BackupProgress } from './backups.js'

/** What reconcile did for one setting. */
export interface ReconcileOutcome {
  setting: string
  status: 'applied' | 'skipped' | 'failed'
  detail: string
}

export interface ReconcileResult {
  /** Where the settings came from: the live source table, the backup's record of it, or nowhere. */
  from: 'table' | 'backup' | 'none'
  source: string
  settings: ReconcileOutcome[]
  notes: string[]
  /** Whether any setting failed (the restored table exists either way). */
  failed: boolean
}

export interface ReconcileSource {
  /** The table the restore came from; read when it still exists. */
  table?: string
  /** The backup restored from; its record of the source is used when the table is gone. */
  backup?: BackupDescription
}

/** Settings a restore drops that reconcile puts back (besides PITR and auto scaling, handled on their own). */
interface Wanted {
  billing?: 'PAY_PER_REQUEST' | 'PROVISIONED'
  read?: number
  write?: number
  indexes: Map<string, { read?: number; write?: number }>
  stream?: StreamViewType | false
  ttl?: string | false
  tags?: Record<string, string>
  pitr?: { enabled: boolean; days?: number }
}

const RECONCILED = new Set(['billing', 'throughput', 'stream', 'ttl', 'tags'])
const reconciled = (setting: string) => RECONCILED.has(setting) || /^indexes\.[^.]+\.throughput$/.test(setting)

function wantedFromTable(info: Pick<TableInfo, 'spec' | 'pitr'>): Wanted {
  const s = info.spec
  return {
    billing: s.billing ?? 'PAY_PER_REQUEST',
    read: s.read,
    write: s.write,
    indexes: new Map((s.indexes ?? []).map((g) => [g.name, { read: g.read, write: g.write }])),
    ...(s.stream !== undefined ? { stream: s.stream } : {}),
    ...(s.ttl !== undefined ? { ttl: s.ttl } : {}),
    // aws:* tags are reserved for AWS and cannot be set by users.
    ...(s.tags ? { tags: Object.fromEntries(Object.entries(s.tags).filter(([k]) => !k.startsWith('aws:'))) } : {}),
    ...(info.pitr ? { pitr: { enabled: info.pitr.status === 'ENABLED', ...(info.pitr.recoveryPeriodInDays ? { days: info.pitr.recoveryPeriodInDays } : {}) } } : {}),
  }
}

/** What a backup recorded of its source: billing, throughput, stream and TTL (not tags, PITR or auto scaling). */
export function wantedFromBackup(d: BackupDescription): Wanted {
  const src: Partial<SourceTableDetails> = d.SourceTableDetails ?? {}
  const features: SourceTableFeatureDetails = d.SourceTableFeatureDetails ?? {}
  const billing = src.BillingMode
  const provisioned = billing !== 'PAY_PER_REQUEST'
  const ttl = features.TimeToLiveDescription
  // 0 is how an engine that records no capacity (moto) answers; it is not a capacity to set.
  const units = (n: number | undefined) => (provisioned && n ? n : undefined)
  return {
    ...(billing ? { billing } : {}),
    read: units(src.ProvisionedThroughput?.ReadCapacityUnits),
    write: units(src.ProvisionedThroughput?.WriteCapacityUnits),
    indexes: new Map(
      (features.GlobalSecondaryIndexes ?? []).map((g) => [
        g.IndexName ?? '',
        { read: units(g.ProvisionedThroughput?.ReadCapacityUnits), write: units(g.ProvisionedThroughput?.WriteCapacityUnits) },
      ]),
    ),
    ...(features.StreamDescription ? { stream: features.StreamDescription.StreamEnabled ? (features.StreamDescription.StreamViewType ?? 'NEW_AND_OLD_IMAGES') : false } : {}),
    ...(ttl ? { ttl: ttl.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName ? ttl.AttributeName : false } : {}),
  }
}

/** The restored table's spec with the wanted settings laid over it; everything else left as it is. */
function desiredSpec(target: TableInfo, want: Wanted): TableSpec {
  const billing = want.billing ?? target.spec.billing ?? 'PAY_PER_REQUEST'
  const provisioned = billing === 'PROVISIONED'
  return {
    ...target.spec,
    billing,
    read: provisioned ? (want.read ?? target.spec.read ?? 1) : undefined,
    write: provisioned ? (want.write ?? target.spec.write ?? 1) : undefined,
    ...(target.spec.indexes
      ? {
          indexes: target.spec.indexes.map((g) => {
            const w = want.indexes.get(g.name)
            return provisioned ? { ...g, read: w?.read ?? g.read ?? 1, write: w?.write ?? g.write ?? 1 } : { ...g, read: undefined, write: undefined }
          }),
        }
      : {}),
    stream: want.stream,
    ttl: want.ttl,
    tags: want.tags,
    pitr: undefined,
    deletionProtection: undefined,
    tableClass: undefined,
    sse: undefined,
  }
}

/**
 * Puts back on a restored table what a restore leaves out: billing mode and capacity, stream,
 * TTL, tags, point-in-time recovery and auto scaling, read from the source table; when the source
 * is gone, from the backup's record of it (which has no tags, PITR or auto scaling).
 * The table must be ACTIVE. Every setting is attempted; failures are reported, not thrown.
 */
export async function reconcileRestoredTable(conn: Connection, target: string, source: ReconcileSource, onProgress?: (p: BackupProgress) => void): Promise<ReconcileResult> {
  const notes: string[] = []
  // A table of that name made after the backup (another TableId) is not the source.
  const backedUpId = source.backup?.SourceTableDetails?.TableId
  const named = source.table ? await findTable(conn, source.table) : undefined
  const isSource = named !== undefined && (!backedUpId || !named.TableId || named.TableId === backedUpId)
  if (named && !isSource) notes.push(`table ${source.table} exists, but it is not the table backed up (another TableId: it was re-created since), so its settings were not used`)
  const sourceInfo = isSource && source.table ? await describeTable(conn, source.table) : undefined
  let want: Wanted
  let from: ReconcileResult['from']
  if (sourceInfo) {
    want = wantedFromTable(sourceInfo)
    from = 'table'
  } else if (source.backup) {
    want = wantedFromBackup(source.backup)
    from = 'backup'
    notes.push(
      `source table ${source.table ?? '(unknown)'}${named ? ' as backed up' : ''} no longer exists: settings come from the backup's record of it, which has no tags, point-in-time recovery or auto scaling`,
    )
  } else {
    return {
      from: 'none',
      source: source.table ?? '',
      settings: [],
      notes: [`source table ${source.table ?? '(unknown)'} no longer exists: nothing to reconcile from`],
      failed: false,
    }
  }
  const settings = await applyWanted(conn, target, want, onProgress)
  if (sourceInfo && source.table) {
    onProgress?.({ stage: 'reconcile', table: target, message: 'copying auto scaling' })
    const live = await describeTable(conn, target)
    const scaling = await readAutoScaling(
      conn,
      source.table,
      (live.spec.indexes ?? []).map((g) => g.name),
    )
    settings.push(...(await applyAutoScaling(conn, scaling, source.table, target)))
  }
  return { from, source: source.table ?? '', settings, notes, failed: settings.some((s) => s.status === 'failed') }
}

/**
 * Puts the settings of `source` (a table described before it was deleted or re-created, e.g. by
 * `dynx truncate --recreate`) on the ACTIVE table `target`: billing and capacity, stream, TTL,
 * tags, point-in-time recovery with its period, and the auto scaling read before (readAutoScaling).
 * Every setting is attempted; failures are reported, not thrown.
 */
export async function reconcileFromTableInfo(
  conn: Connection,
  target: string,
  source: Pick<TableInfo, 'name' | 'spec' | 'pitr'>,
  options: { autoScaling?: AutoScalingSettings; onProgress?: (p: BackupProgress) => void } = {},
): Promise<ReconcileOutcome[]> {
  const settings = await applyWanted(conn, target, wantedFromTable(source), options.onProgress)
  if (options.autoScaling) {
    options.onProgress?.({ stage: 'reconcile', table: target, message: 'auto scaling' })
    settings.push(...(await applyAutoScaling(conn, options.autoScaling, source.name, target)))
  }
  return settings
}

/** Lays the wanted settings over the live table: one apply plan, then PITR (with its period). */
async function applyWanted(conn: Connection, target: string, want: Wanted, onProgress?: (p: BackupProgress) => void): Promise<ReconcileOutcome[]> {
  const progress = (message: string) => onProgress?.({ stage: 'reconcile', table: target, message })
  const live = await describeTable(conn, target)
  const spec = desiredSpec(live, want)
  const changes = diffTable(spec, live, conn.lacks).filter((c) => reconciled(c.setting) && (c.kind === 'update' || c.kind === 'unsupported'))
  const settings: ReconcileOutcome[] = []
  if (changes.length) {
    const applied = await applyPlan(
      conn,
      { tables: [{ table: target, action: 'update', changes, spec }], drift: true },
      {
        applyUpdates: true,
        onProgress: (p) => progress(p.message),
      },
    )
    for (const c of applied.tables[0]?.changes ?? []) {
      settings.push({ setting: c.setting, status: c.outcome === 'applied' ? 'applied' : c.outcome === 'failed' ? 'failed' : 'skipped', detail: c.detail ?? c.description })
    }
  }
  if (want.pitr?.enabled && live.pitr?.status !== 'ENABLED') {
    const days = want.pitr.days
    progress('enabling point-in-time recovery')
    settings.push(await attempt('pitr', `point-in-time recovery on${days ? ` (${days} days)` : ''}`, () => setPointInTimeRecovery(conn, target, true, days)))
  }
  return settings
}

async function attempt(setting: string, detail: string, fn: () => Promise<void>): Promise<ReconcileOutcome> {
  try {
    return await applySetting(setting, detail, fn)
  } catch (err) {
    return { setting, status: 'failed', detail: `${detail}: ${(err as Error).message}` }
  }
}

/** A table's scalable targets and target-tracking policies, or why they could not be read. */
export type AutoScalingSettings =
  { targets: { ResourceId?: string; ScalableDimension?: string; MinCapacity?: number; MaxCapacity?: number }[]; policies: ScalingPolicy[] } | { unavailable: ReconcileOutcome }

/** The auto scaling of a table and its GSIs, to put back on the same units of another table (or the same one re-created). */
export async function readAutoScaling(conn: Connection, table: string, indexes: string[]): Promise<AutoScalingSettings> {
  const ids = [scalingResourceId(table), ...indexes.map((i) => scalingResourceId(table, i))]
  try {
    return await describeScaling(conn, ids)
  } catch (err) {
    if (autoScalingUnavailable(conn)) return { unavailable: { setting: 'autoScaling', status: 'skipped', detail: `auto scaling: no Application Auto Scaling at ${conn.label}` } }
    return {
      unavailable: {
        setting: 'autoScaling',
        status: 'failed',
        detail: `auto scaling: could not read the source's settings: ${(explainAwsError(err, conn.label) as Error).message}`,
      },
    }
  }
}

/** Registers the source's scalable targets and target-tracking policies on the same units of the target. */
async function applyAutoScaling(conn: Connection, scaling: AutoScalingSettings, sourceTable: string, targetTable: string): Promise<ReconcileOutcome[]> {
  if ('unavailable' in scaling) return [scaling.unavailable]
  const retarget = (id: string) => `${scalingResourceId(targetTable)}${id.slice(scalingResourceId(sourceTable).length)}`
  const outcomes: ReconcileOutcome[] = []
  for (const t of scaling.targets) {
    const resourceId = retarget(t.ResourceId ?? '')
    const index = resourceId.split('/index/')[1]
    const dimension = t.ScalableDimension?.endsWith('ReadCapacityUnits') ? 'read' : 'write'
    const unit = index ? `index ${index} ${dimension}` : dimension
    const policies = scaling.policies.filter((p) => p.ResourceId === t.ResourceId && p.ScalableDimension === t.ScalableDimension && p.PolicyType === 'TargetTrackingScaling')
    const targetValue = policies[0]?.TargetTrackingScalingPolicyConfiguration?.TargetValue
    outcomes.push(
      await attempt('autoScaling', `auto scaling ${unit} ${t.MinCapacity}-${t.MaxCapacity}${targetValue !== undefined ? ` at ${targetValue}%` : ''}`, async () => {
        const base = { ServiceNamespace: 'dynamodb' as const, ResourceId: resourceId, ScalableDimension: t.ScalableDimension as 'dynamodb:table:ReadCapacityUnits' }
        await conn.autoscaling.send(new RegisterScalableTargetCommand({ ...base, MinCapacity: t.MinCapacity, MaxCapacity: t.MaxCapacity }))
        for (const p of policies) {
          await conn.autoscaling.send(
            new PutScalingPolicyCommand({
              ...base,
              PolicyName: (p.PolicyName ?? 'dynx-target-tracking').replaceAll(sourceTable, targetTable),
              PolicyType: 'TargetTrackingScaling',
              TargetTrackingScalingPolicyConfiguration: p.TargetTrackingScalingPolicyConfiguration,
            }),
          )
        }
      }),
    )
  }
  return outcomes
}
