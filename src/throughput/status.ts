import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand, type ScalableTarget, type ScalingPolicy } from '@aws-sdk/client-application-auto-scaling'
import type { TableDescription } from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

import { isLoopbackEndpoint, type Connection } from '../connection/clients.js'
import { DynxError, explainAwsError, UserInputError } from '../errors.js'
import { describeTableRaw } from '../tables/describe.js'
import { decreaseQuota } from './quota.js'
import type { Dimension, ScalingTarget, TableThroughput, UnitThroughput } from './types.js'

const DESCRIBE_CONCURRENCY = 8

export function scalingResourceId(table: string, index?: string): string {
  return index ? `table/${table}/index/${index}` : `table/${table}`
}

export function scalableDimension(dimension: Dimension, index?: string): string {
  return `dynamodb:${index ? 'index' : 'table'}:${dimension === 'read' ? 'Read' : 'Write'}CapacityUnits`
}

/** The key of readScalingTargets' map for one dimension of a table or GSI. */
export function scalingTargetKey(table: string, dimension: Dimension, index?: string): string {
  return `${scalingResourceId(table, index)}|${scalableDimension(dimension, index)}`
}

/** On-demand maximum as DynamoDB reports it; -1 or 0 mean "no maximum". */
function onDemandMax(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined
}

/**
 * The raw scalable targets of these resource ids and the scaling policies on them, through every
 * page; errors are the SDK's own.
 */
export async function describeScaling(conn: Connection, resourceIds: string[]): Promise<{ targets: ScalableTarget[]; policies: ScalingPolicy[] }> {
  const targets: ScalableTarget[] = []
  const policies: ScalingPolicy[] = []
  // DescribeScalableTargets takes at most 50 resource ids per call.
  for (let i = 0; i < resourceIds.length; i += 50) {
    let token: string | undefined
    do {
      const out = await conn.autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: resourceIds.slice(i, i + 50), NextToken: token }))
      targets.push(...(out.ScalableTargets ?? []))
      token = out.NextToken
    } while (token)
  }
  for (const resourceId of new Set(targets.map((t) => t.ResourceId ?? ''))) {
    let token: string | undefined
    do {
      const out = await conn.autoscaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', ResourceId: resourceId, NextToken: token }))
      policies.push(...(out.ScalingPolicies ?? []))
      token = out.NextToken
    } while (token)
  }
  return { targets, policies }
}

/** Whether a failed Application Auto Scaling call means "this local engine has none" (dynalite and DynamoDB Local answer with an error page). */
export function autoScalingUnavailable(conn: Connection): boolean {
  return isLoopbackEndpoint(conn.endpoint)
}

/**
 * The scalable targets (with target-tracking utilisation) of these tables and their GSIs, keyed by
 * `resourceId|scalableDimension`. `available` is false on a local engine without Application Auto
 * Scaling; on AWS a failure to read them is an error, since bumping blind would fight the scaler.
 * (The key is what scalingTargetKey builds from a table, dimension and index.)
 */
export async function readScalingTargets(conn: Connection, resourceIds: string[]): Promise<{ available: boolean; targets: Map<string, ScalingTarget> }> {
  const targets = new Map<string, ScalingTarget>()
  let found: ScalableTarget[]
  let policies: ScalingPolicy[]
  try {
    ;({ targets: found, policies } = await describeScaling(conn, resourceIds))
  } catch (err) {
    if (autoScalingUnavailable(conn)) return { available: false, targets }
    const explained = explainAwsError(err, conn.label, 'Application Auto Scaling')
    if (explained instanceof DynxError) throw explained
    throw new DynxError(
      `Could not read the auto-scaling settings of these tables: ${(err as Error).message}`,
      "dynx needs application-autoscaling:DescribeScalableTargets and DescribeScalingPolicies so it raises the scaler's minimum instead of fighting it.",
      { cause: err },
    )
  }
  for (const t of found) {
    const key = `${t.ResourceId}|${t.ScalableDimension}`
    const utilization = policies.find(
      (p) => p.ResourceId === t.ResourceId && p.ScalableDimension === t.ScalableDimension && p.TargetTrackingScalingPolicyConfiguration?.TargetValue !== undefined,
    )?.TargetTrackingScalingPolicyConfiguration?.TargetValue
    targets.set(key, {
      resourceId: t.ResourceId ?? '',
      scalableDimension: t.ScalableDimension ?? '',
      min: t.MinCapacity ?? 0,
      max: t.MaxCapacity ?? 0,
      ...(utilization !== undefined ? { targetUtilization: utilization } : {}),
    })
  }
  return { available: true, targets }
}

function unitFrom(
  table: string,
  index: string | undefined,
  status: string,
  pt: TableDescription['ProvisionedThroughput'],
  od: TableDescription['OnDemandThroughput'],
  targets: Map<string, ScalingTarget>,
  now: Date,
): UnitThroughput {
  const maxRead = onDemandMax(od?.MaxReadRequestUnits)
  const maxWrite = onDemandMax(od?.MaxWriteRequestUnits)
  const read = targets.get(scalingTargetKey(table, 'read', index))
  const write = targets.get(scalingTargetKey(table, 'write', index))
  return {
    ...(index ? { index } : {}),
    status,
    read: pt?.ReadCapacityUnits ?? 0,
    write: pt?.WriteCapacityUnits ?? 0,
    ...(maxRead !== undefined ? { onDemandMaxRead: maxRead } : {}),
    ...(maxWrite !== undefined ? { onDemandMaxWrite: maxWrite } : {}),
    decreases: decreaseQuota(pt ?? {}, now),
    autoScaling: { ...(read ? { read } : {}), ...(write ? { write } : {}) },
  }
}

/** Builds the throughput view of one described table from its description and scaling targets. */
export function tableThroughput(d: TableDescription, targets: Map<string, ScalingTarget>, autoScalingAvailable: boolean, now: Date = new Date()): TableThroughput {
  const table = d.TableName ?? ''
  const billingMode = d.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED'
  return {
    table,
    ...(d.TableId ? { tableId: d.TableId } : {}),
    billingMode,
    autoScalingAvailable,
    ...unitFrom(table, undefined, d.TableStatus ?? 'UNKNOWN', d.ProvisionedThroughput, d.OnDemandThroughput, targets, now),
    indexes: (d.GlobalSecondaryIndexes ?? []).map((g) => {
      const unit = unitFrom(table, g.IndexName, g.IndexStatus ?? 'UNKNOWN', g.ProvisionedThroughput, g.OnDemandThroughput, targets, now)
      return { ...unit, index: g.IndexName ?? '' }
    }),
  }
}

/** DescribeTable of each table (in parallel), plus their auto-scaling targets. Unknown tables are a TableNotFoundError. */
export async function describeForThroughput(
  conn: Connection,
  tables: string[],
): Promise<{ descriptions: TableDescription[]; available: boolean; targets: Map<string, ScalingTarget> }> {
  if (tables.length === 0) throw new UserInputError('No tables given.', 'Name one or more tables, or use --prefix to pick them by name.')
  const limit = pLimit(DESCRIBE_CONCURRENCY)
  const descriptions = await Promise.all(tables.map((t) => limit(() => describeTableRaw(conn, t))))
  const ids = descriptions.flatMap((d) => [scalingResourceId(d.TableName ?? ''), ...(d.GlobalSecondaryIndexes ?? []).map((g) => scalingResourceId(d.TableName ?? '', g.IndexName))])
  const { available, targets } = await readScalingTargets(conn, ids)
  return { descriptions, available, targets }
}

/**
 * Billing mode, provisioned capacity, on-demand maximums, auto-scaling targets and the decrease
 * quota of each table and its GSIs.
 */
export async function throughputStatus(conn: Connection, tables: string[], options: { now?: Date } = {}): Promise<TableThroughput[]> {
  const { descriptions, available, targets } = await describeForThroughput(conn, tables)
  return descriptions.map((d) => tableThroughput(d, targets, available, options.now ?? new Date()))
}
