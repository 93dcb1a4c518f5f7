import {
  DescribeContinuousBackupsCommand,
  type DescribeContinuousBackupsCommandOutput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListTagsOfResourceCommand,
  paginateListTables,
  type TableDescription,
  type Tag,
} from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { UnsupportedByEngineError } from '../errors.js'
import { specFromDescription } from './convert.js'
import type { TableSpec } from './spec.js'

export interface TableSummary {
  name: string
  status: string
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED'
  read?: number
  write?: number
  itemCount: number
  sizeBytes: number
}

export interface IndexState {
  name: string
  status: string
  itemCount: number
  sizeBytes: number
  backfilling?: boolean
}

export interface PitrState {
  status: string
  earliestRestorableTime?: string
  latestRestorableTime?: string
  recoveryPeriodInDays?: number
}

/** Settings whose read call the engine does not implement (e.g. PITR on dynalite). */
export type OptionalSetting = 'ttl' | 'pitr' | 'tags'

export interface TableInfo {
  name: string
  arn: string
  status: string
  createdAt?: string
  itemCount: number
  sizeBytes: number
  /** Everything needed to recreate the table; includes ttl/pitr/tags where the engine reports them. */
  spec: TableSpec
  indexes: IndexState[]
  ttlStatus?: string
  pitr?: PitrState
  streamArn?: string
  unsupported: OptionalSetting[]
  /** The table's page in the AWS console (region and partition from its ARN); absent off AWS. */
  consoleUrl?: string
  /** The DescribeTable answer as DynamoDB sent it. */
  description: TableDescription
}

/**
 * The AWS console page of a table from its ARN (which carries partition and region), or undefined
 * when the connection is not AWS (a local engine or another custom endpoint).
 */
export function consoleTableUrl(arn: string, endpoint: string | undefined): string | undefined {
  if (endpoint) {
    let host = ''
    try {
      host = new URL(endpoint).hostname
    } catch {
      return undefined
    }
    if (!/\.amazonaws\.com(\.cn)?$|\.api\.aws$/.test(host)) return undefined
  }
  const m = /^arn:(aws|aws-cn|aws-us-gov):dynamodb:([a-z0-9-]+):\d+:table\/(.+)$/.exec(arn)
  if (!m) return undefined
  const [, partition, region, table] = m
  const host = partition === 'aws-cn' ? 'console.amazonaws.cn' : partition === 'aws-us-gov' ? 'console.amazonaws-us-gov.com' : `${region}.console.aws.amazon.com`
  return `https://${host}/dynamodbv2/home?region=${region}#table?name=${encodeURIComponent(table)}`
}

export async function describeTableRaw(conn: Connection, table: string): Promise<TableDescription> {
  const out = await call(conn, 'DescribeTable', () => conn.dynamodb.send(new DescribeTableCommand({ TableName: table })), table)
  return out.Table ?? {}
}

/** Like describeTableRaw, but undefined for a table that does not exist. */
export async function findTable(conn: Connection, table: string): Promise<TableDescription | undefined> {
  try {
    return await describeTableRaw(conn, table)
  } catch (err) {
    if ((err as Error).name === 'TableNotFoundError') return undefined
    throw err
  }
}

async function optional<T>(fn: () => Promise<T>): Promise<T | typeof UNSUPPORTED> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof UnsupportedByEngineError) return UNSUPPORTED
    throw err
  }
}
const UNSUPPORTED = Symbol('unsupported')

export async function readTags(conn: Connection, arn: string): Promise<Record<string, string>> {
  const tags: Tag[] = []
  let token: string | undefined
  do {
    const out = await call(conn, 'ListTagsOfResource', () => conn.dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: arn, NextToken: token })))
    tags.push(...(out.Tags ?? []))
    token = out.NextToken
  } while (token)
  return Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? '']))
}

/** The point-in-time recovery part of a DescribeContinuousBackups answer. */
export function pitrStateOf(out: DescribeContinuousBackupsCommandOutput): PitrState {
  const p = out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription
  return {
    status: p?.PointInTimeRecoveryStatus ?? 'DISABLED',
    ...(p?.EarliestRestorableDateTime ? { earliestRestorableTime: p.EarliestRestorableDateTime.toISOString() } : {}),
    ...(p?.LatestRestorableDateTime ? { latestRestorableTime: p.LatestRestorableDateTime.toISOString() } : {}),
    ...(p?.RecoveryPeriodInDays ? { recoveryPeriodInDays: p.RecoveryPeriodInDays } : {}),
  }
}

export async function describeContinuousBackups(conn: Connection, table: string): Promise<DescribeContinuousBackupsCommandOutput> {
  return call(conn, 'DescribeContinuousBackups', () => conn.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: table })), table)
}

/** Full picture of one table: DescribeTable plus TTL, PITR and tags, which need calls of their own. */
export async function describeTable(conn: Connection, table: string): Promise<TableInfo> {
  const d = await describeTableRaw(conn, table)
  const arn = d.TableArn ?? ''
  const [ttl, pitr, tags] = await Promise.all([
    optional(() => call(conn, 'DescribeTimeToLive', () => conn.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table })), table)),
    optional(() => describeContinuousBackups(conn, table)),
    optional(() => readTags(conn, arn)),
  ])
  const spec = specFromDescription(d)
  const unsupported: OptionalSetting[] = []
  let ttlStatus: string | undefined
  if (ttl === UNSUPPORTED) unsupported.push('ttl')
  else {
    const t = ttl.TimeToLiveDescription
    ttlStatus = t?.TimeToLiveStatus ?? 'DISABLED'
    spec.ttl = (ttlStatus === 'ENABLED' || ttlStatus === 'ENABLING') && t?.AttributeName ? t.AttributeName : false
  }
  let pitrState: PitrState | undefined
  if (pitr === UNSUPPORTED) unsupported.push('pitr')
  else {
    pitrState = pitrStateOf(pitr)
    spec.pitr = pitrState.status === 'ENABLED'
  }
  if (tags === UNSUPPORTED) unsupported.push('tags')
  else spec.tags = tags
  return {
    name: d.TableName ?? table,
    arn,
    status: d.TableStatus ?? 'UNKNOWN',
    ...(d.CreationDateTime ? { createdAt: d.CreationDateTime.toISOString() } : {}),
    itemCount: d.ItemCount ?? 0,
    sizeBytes: d.TableSizeBytes ?? 0,
    spec,
    indexes: (d.GlobalSecondaryIndexes ?? []).map((g) => ({
      name: g.IndexName ?? '',
      status: g.IndexStatus ?? 'UNKNOWN',
      itemCount: g.ItemCount ?? 0,
      sizeBytes: g.IndexSizeBytes ?? 0,
      ...(g.Backfilling ? { backfilling: true } : {}),
    })),
    ...(ttlStatus ? { ttlStatus } : {}),
    ...(pitrState ? { pitr: pitrState } : {}),
    ...(d.LatestStreamArn && spec.stream ? { streamArn: d.LatestStreamArn } : {}),
    unsupported,
    ...(consoleTableUrl(arn, conn.endpoint) ? { consoleUrl: consoleTableUrl(arn, conn.endpoint) } : {}),
    description: d,
  }
}

/** Every table name, following ListTables past its 100-name pages. */
export async function listTableNames(conn: Connection, prefix = ''): Promise<string[]> {
  const names: string[] = []
  await call(conn, 'ListTables', async () => {
    for await (const page of paginateListTables({ client: conn.dynamodb, pageSize: 100 }, {})) {
      for (const name of page.TableNames ?? []) if (name.startsWith(prefix)) names.push(name)
    }
  })
  return names
}

export function summarize(d: TableDescription): TableSummary {
  const billingMode = d.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED'
  return {
    name: d.TableName ?? '',
    status: d.TableStatus ?? 'UNKNOWN',
    billingMode,
    ...(billingMode === 'PROVISIONED' ? { read: d.ProvisionedThroughput?.ReadCapacityUnits ?? 0, write: d.ProvisionedThroughput?.WriteCapacityUnits ?? 0 } : {}),
    itemCount: d.ItemCount ?? 0,
    sizeBytes: d.TableSizeBytes ?? 0,
  }
}

/** All tables (optionally only those starting with prefix) with status, billing, capacity and size. */
export async function listTables(conn: Connection, options: { prefix?: string; concurrency?: number } = {}): Promise<TableSummary[]> {
  const names = await listTableNames(conn, options.prefix ?? '')
  const limit = pLimit(options.concurrency ?? 8)
  const described = await Promise.all(names.map((name) => limit(() => findTable(conn, name))))
  // A table deleted between ListTables and DescribeTable is simply gone.
  return described.filter((d): d is TableDescription => d !== undefined).map(summarize)
}
