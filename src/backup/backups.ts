import {
  CreateBackupCommand,
  DeleteBackupCommand,
  DescribeBackupCommand,
  ListBackupsCommand,
  type BackupDescription,
  type BackupDetails,
  type SourceTableDetails,
  type SourceTableFeatureDetails,
  type BackupSummary,
  type BackupTypeFilter,
} from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

import { call, requireFeature } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { isDeletedByEarlierAttempt, sendCheckingFirst, singleAttempt, type CheckFirstOptions } from '../connection/idempotent.js'
import { assertValidTableName } from '../connection/names.js'
import { AmbiguousBackupError, BackupNotFoundError, TimeoutWaitingError, UnsupportedByEngineError, UserInputError } from '../errors.js'
import { describeTableRaw } from '../tables/describe.js'
import { pollUntil } from '../tables/wait.js'
import { utcDate, utcTime } from '../time.js'

/** One backup as listed: what an operator picks a backup by. */
export interface BackupInfo {
  name: string
  arn: string
  table: string
  tableArn?: string
  tableId?: string
  createdAt: string
  /** Size when taken; DynamoDB reports it once the backup is AVAILABLE. */
  sizeBytes?: number
  /** CREATING, AVAILABLE or DELETED. */
  status: string
  /** USER, SYSTEM, AWS_BACKUP. */
  type: string
  expiresAt?: string
}

/** A backup with what it recorded of its source table. */
export interface BackupDetail extends BackupInfo {
  itemCount?: number
  billingMode?: string
  read?: number
  write?: number
  /** "pk" or "pk/sk". */
  keys: string
  globalIndexes: string[]
  localIndexes: string[]
  stream?: string
  ttl?: string
  sse?: string
  /** DescribeBackup's answer as DynamoDB sent it. */
  description: BackupDescription
}

export type BackupTypeName = 'user' | 'system' | 'aws-backup' | 'all'

export interface BackupProgress {
  stage: 'create' | 'wait' | 'delete' | 'restore' | 'reconcile'
  table: string
  message: string
}

const TYPE_FILTER: Record<BackupTypeName, BackupTypeFilter> = { user: 'USER', system: 'SYSTEM', 'aws-backup': 'AWS_BACKUP', all: 'ALL' }
const NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/
export const DEFAULT_BACKUP_NAME = '{table}-{date}-{time}'

export function isBackupArn(ref: string): boolean {
  return /^arn:[^:]+:(dynamodb|backup):/.test(ref)
}

function fromSummary(s: BackupSummary): BackupInfo {
  return {
    name: s.BackupName ?? '',
    arn: s.BackupArn ?? '',
    table: s.TableName ?? '',
    ...(s.TableArn ? { tableArn: s.TableArn } : {}),
    ...(s.TableId ? { tableId: s.TableId } : {}),
    createdAt: (s.BackupCreationDateTime ?? new Date(0)).toISOString(),
    ...(s.BackupSizeBytes !== undefined ? { sizeBytes: s.BackupSizeBytes } : {}),
    status: s.BackupStatus ?? 'UNKNOWN',
    type: s.BackupType ?? 'UNKNOWN',
    ...(s.BackupExpiryDateTime ? { expiresAt: s.BackupExpiryDateTime.toISOString() } : {}),
  }
}

// SourceTableDetails has the key names and roles, not their types.
const keyText = (keys: { AttributeName?: string }[] | undefined) => (keys ?? []).map((k) => k.AttributeName).join('/')

export function backupDetail(d: BackupDescription): BackupDetail {
  const b: Partial<BackupDetails> = d.BackupDetails ?? {}
  const src: Partial<SourceTableDetails> = d.SourceTableDetails ?? {}
  const features: SourceTableFeatureDetails = d.SourceTableFeatureDetails ?? {}
  const billingMode = src.BillingMode
  const ttl = features.TimeToLiveDescription
  return {
    ...fromSummary({
      BackupName: b.BackupName,
      BackupArn: b.BackupArn,
      BackupCreationDateTime: b.BackupCreationDateTime,
      BackupSizeBytes: b.BackupSizeBytes,
      BackupStatus: b.BackupStatus,
      BackupType: b.BackupType,
      BackupExpiryDateTime: b.BackupExpiryDateTime,
      TableName: src.TableName,
      TableArn: src.TableArn,
      TableId: src.TableId,
    }),
    ...(src.ItemCount !== undefined ? { itemCount: src.ItemCount } : {}),
    ...(billingMode ? { billingMode } : {}),
    // 0/0 is how an on-demand source looks when the billing mode is not recorded.
    ...(billingMode !== 'PAY_PER_REQUEST' && src.ProvisionedThroughput && (billingMode === 'PROVISIONED' || src.ProvisionedThroughput.ReadCapacityUnits)
      ? { read: src.ProvisionedThroughput.ReadCapacityUnits, write: src.ProvisionedThroughput.WriteCapacityUnits }
      : {}),
    keys: keyText(src.KeySchema),
    globalIndexes: (features.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName ?? ''),
    localIndexes: (features.LocalSecondaryIndexes ?? []).map((l) => l.IndexName ?? ''),
    ...(features.StreamDescription?.StreamEnabled ? { stream: features.StreamDescription.StreamViewType } : {}),
    ...(ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName ? { ttl: ttl.AttributeName } : {}),
    ...(features.SSEDescription?.SSEType ? { sse: features.SSEDescription.SSEType } : {}),
    description: d,
  }
}

/** A backup name from a template with {table}, {date} (yyyyMMdd) and {time} (HHmmss), both UTC. */
export function backupName(template: string, table: string, at: Date): string {
  return template.replaceAll('{table}', table).replaceAll('{date}', utcDate(at)).replaceAll('{time}', utcTime(at))
}

function validateNames(template: string, tables: string[], at: Date): string[] {
  const unknown = template.match(/\{(?!table\}|date\}|time\})[^}]*\}/)
  if (unknown) throw new UserInputError(`--name "${template}" uses ${unknown[0]}, which is not a placeholder.`, 'Use {table}, {date} (yyyyMMdd, UTC) and {time} (HHmmss, UTC).')
  if (tables.length > 1 && !template.includes('{table}')) {
    throw new UserInputError(
      `--name "${template}" has no {table}, so all ${tables.length} backups would get the same name.`,
      'Add {table} to the template, e.g. "{table}-before-migration".',
    )
  }
  return tables.map((table) => {
    const name = backupName(template, table, at)
    if (!NAME_PATTERN.test(name)) {
      throw new UserInputError(`Backup name "${name}" is not valid: DynamoDB wants 3 to 255 letters, digits, "_", "-" or ".".`, 'Change --name so it gives such a name.')
    }
    return name
  })
}

export interface ListBackupsOptions {
  /** Only backups of this table. */
  table?: string
  /** Only backups of tables whose name starts with this. */
  prefix?: string
  /** Only backups created at or after this time. */
  since?: Date
  /** Only backups created before this time. */
  before?: Date
  /** Default: all types. */
  type?: BackupTypeName
  /** Page size of ListBackups (DynamoDB's maximum is 100). */
  pageSize?: number
}

/**
 * Every backup matching the filters, following LastEvaluatedBackupArn through all pages; the
 * filters are also applied here, since not every engine honours them. Sorted by table, newest first.
 */
export async function listBackups(conn: Connection, options: ListBackupsOptions = {}): Promise<BackupInfo[]> {
  requireFeature(conn, 'backups', 'on-demand backups')
  const type = TYPE_FILTER[options.type ?? 'all']
  // ListBackups' ALL means USER and SYSTEM; AWS Backup's backups are asked for on their own.
  const found = new Map<string, BackupInfo>()
  for (const filter of type === 'ALL' ? (['ALL', 'AWS_BACKUP'] as const) : [type]) {
    for (const b of await listBackupPages(conn, filter, options)) found.set(b.arn, b)
  }
  const since = options.since?.getTime() ?? -Infinity
  const before = options.before?.getTime() ?? Infinity
  return [...found.values()]
    .filter((b) => (!options.table || b.table === options.table) && b.table.startsWith(options.prefix ?? ''))
    .filter((b) => type === 'ALL' || b.type === type)
    .filter((b) => Date.parse(b.createdAt) >= since && Date.parse(b.createdAt) < before)
    .filter((b) => b.status !== 'DELETED')
    .sort((a, b) => a.table.localeCompare(b.table) || b.createdAt.localeCompare(a.createdAt))
}

async function listBackupPages(conn: Connection, type: BackupTypeFilter, options: ListBackupsOptions): Promise<BackupInfo[]> {
  const found: BackupInfo[] = []
  let start: string | undefined
  do {
    const out = await call(conn, 'ListBackups', () =>
      conn.dynamodb.send(
        new ListBackupsCommand({
          ...(options.table ? { TableName: options.table } : {}),
          ...(options.since ? { TimeRangeLowerBound: options.since } : {}),
          ...(options.before ? { TimeRangeUpperBound: options.before } : {}),
          BackupType: type,
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
          ...(start ? { ExclusiveStartBackupArn: start } : {}),
        }),
      ),
    )
    found.push(...(out.BackupSummaries ?? []).map(fromSummary))
    start = out.LastEvaluatedBackupArn
  } while (start)
  return found
}

async function describeBackupByArn(conn: Connection, arn: string): Promise<BackupDescription> {
  try {
    const out = await call(conn, 'DescribeBackup', () => conn.dynamodb.send(new DescribeBackupCommand({ BackupArn: arn })))
    if (out.BackupDescription?.BackupDetails?.BackupStatus === 'DELETED') throw new BackupNotFoundError(arn, conn.label)
    return out.BackupDescription ?? {}
  } catch (err) {
    if ((err as Error).name === 'BackupNotFoundException') throw new BackupNotFoundError(arn, conn.label)
    throw err
  }
}

/**
 * A backup by ARN, or by name when exactly one backup has it. Names are not unique in DynamoDB:
 * several matches are an error that lists them.
 */
export async function describeBackup(conn: Connection, ref: string): Promise<BackupDetail> {
  requireFeature(conn, 'backups', 'on-demand backups')
  const arn = isBackupArn(ref) ? ref : byName(await listBackups(conn), ref, conn.label).arn
  return backupDetail(await describeBackupByArn(conn, arn))
}

/** The one backup of `all` with this name; none or several is bad input. */
function byName(all: BackupInfo[], name: string, where: string): BackupInfo {
  const matches = all.filter((b) => b.name === name)
  if (matches.length === 0) throw new BackupNotFoundError(name, where)
  if (matches.length > 1) throw new AmbiguousBackupError(name, matches)
  return matches[0]
}

export interface WaitForBackupOptions {
  timeoutMs?: number
  intervalMs?: number
  signal?: AbortSignal
  onProgress?: (p: BackupProgress) => void
}

/** Polls DescribeBackup until the backup is AVAILABLE. */
export async function waitForBackup(conn: Connection, arn: string, options: WaitForBackupOptions = {}): Promise<BackupDetail> {
  return pollUntil(
    conn,
    async (elapsedMs) => {
      const detail = backupDetail(await describeBackupByArn(conn, arn))
      options.onProgress?.({ stage: 'wait', table: detail.table, message: `${detail.name}: ${detail.status} (${Math.round(elapsedMs / 1000)}s)` })
      return detail
    },
    (detail) => detail.status === 'AVAILABLE',
    (detail, elapsedMs) =>
      new TimeoutWaitingError(
        `Backup ${detail.name} is still ${detail.status} after ${Math.round(elapsedMs / 1000)}s.`,
        `It keeps going; check it later with \`dynx backup describe ${arn}\`.`,
      ),
    { timeoutMs: options.timeoutMs ?? 24 * 60 * 60_000, ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}), ...(options.signal ? { signal: options.signal } : {}) },
  )
}

export interface CreateBackupOptions {
  /** Name template with {table}, {date}, {time}; default "{table}-{date}-{time}". */
  name?: string
  /** Wait until every backup is AVAILABLE (at most a day by default). */
  wait?: boolean
  /** The moment names are built from; default now. */
  now?: Date
  concurrency?: number
  /** How long CreateBackup keeps trying after retryable failures, and its backoff (tests shorten them). */
  checkFirst?: CheckFirstOptions
  waitOptions?: Omit<WaitForBackupOptions, 'onProgress'>
  onProgress?: (p: BackupProgress) => void
}

export interface CreateBackupResult {
  backups: BackupInfo[]
  /** Tables whose backup failed (the others are kept). */
  failed: { table: string; error: string }[]
}

/**
 * On-demand backups of these tables. Every table is checked (and every name built) before the
 * first backup starts, so a typo changes nothing. A backup that fails is reported in `failed`;
 * the others are kept.
 */
export async function createBackup(conn: Connection, tables: string[], options: CreateBackupOptions = {}): Promise<CreateBackupResult> {
  requireFeature(conn, 'backups', 'on-demand backups')
  if (tables.length === 0) throw new UserInputError('No tables to back up.', 'Name tables, or give --prefix matching at least one table.')
  const names = validateNames(
    options.name ?? DEFAULT_BACKUP_NAME,
    tables.map((t) => assertValidTableName(t)),
    options.now ?? new Date(),
  )
  const limit = pLimit(options.concurrency ?? 4)
  await Promise.all(tables.map((t) => limit(() => describeTableRaw(conn, t))))
  const result: CreateBackupResult = { backups: [], failed: [] }
  await Promise.all(
    tables.map((table, i) =>
      limit(async () => {
        options.onProgress?.({ stage: 'create', table, message: `backing up ${table} as ${names[i]}` })
        try {
          let info = await createOneBackup(conn, table, names[i], options.checkFirst)
          if (options.wait && info.status !== 'AVAILABLE') info = await waitForBackup(conn, info.arn, { ...options.waitOptions, onProgress: options.onProgress })
          result.backups.push(backupInfo(info))
        } catch (err) {
          // An engine without backups fails every table alike: the same error (exit 2) as every other backup command.
          if (err instanceof UnsupportedByEngineError) throw err
          result.failed.push({ table, error: (err as Error).message })
        }
      }),
    ),
  )
  const order = (t: string) => tables.indexOf(t)
  result.backups.sort((a, b) => order(a.table) - order(b.table))
  result.failed.sort((a, b) => order(a.table) - order(b.table))
  return result
}

/** Clocks of the caller and the service may differ this much when looking for a backup just made. */
const CLOCK_SKEW_MS = 60_000

/**
 * One CreateBackup, never two backups: the call has no idempotency token, so the SDK makes only
 * the first attempt, and after a retryable failure (5xx, throttling, a reset that may have come
 * after the backup was made) ListBackups is asked for a backup of this table with this exact name
 * created since; only when there is none is CreateBackup sent again.
 */
async function createOneBackup(conn: Connection, table: string, name: string, options: CheckFirstOptions = {}): Promise<BackupInfo> {
  const since = new Date(Date.now() - CLOCK_SKEW_MS)
  return call(
    conn,
    'CreateBackup',
    () =>
      sendCheckingFirst(
        () => {
          const command = new CreateBackupCommand({ TableName: table, BackupName: name })
          singleAttempt(command.middlewareStack)
          return conn.dynamodb.send(command)
        },
        (out) => fromSummary({ ...out.BackupDetails, TableName: table }),
        async () => (await listBackups(conn, { table, since, type: 'user' })).find((b) => b.name === name),
        { ...options, windowMs: options.windowMs ?? conn.retryWindowMs },
      ),
    table,
  )
}

/** Just the listing fields of a backup (a BackupDetail without its source record). */
export function backupInfo(b: BackupInfo | BackupDetail): BackupInfo {
  return {
    name: b.name,
    arn: b.arn,
    table: b.table,
    ...(b.tableArn ? { tableArn: b.tableArn } : {}),
    ...(b.tableId ? { tableId: b.tableId } : {}),
    createdAt: b.createdAt,
    ...(b.sizeBytes !== undefined ? { sizeBytes: b.sizeBytes } : {}),
    status: b.status,
    type: b.type,
    ...(b.expiresAt ? { expiresAt: b.expiresAt } : {}),
  }
}

/** Each reference (name or ARN) resolved to one backup; unknown or ambiguous names fail before anything else. */
export async function resolveBackups(conn: Connection, refs: string[]): Promise<BackupInfo[]> {
  requireFeature(conn, 'backups', 'on-demand backups')
  const needsList = refs.some((r) => !isBackupArn(r))
  const all = needsList ? await listBackups(conn) : []
  const resolved: BackupInfo[] = []
  for (const ref of refs) {
    if (isBackupArn(ref)) {
      resolved.push(backupInfo(backupDetail(await describeBackupByArn(conn, ref))))
      continue
    }
    resolved.push(byName(all, ref, conn.label))
  }
  return resolved
}

export interface DeleteBackupsResult {
  deleted: BackupInfo[]
  failed: { backup: BackupInfo; error: string }[]
}

/** Deletes the given backups one by one; a failure is reported and the rest still go. */
export async function deleteBackupList(conn: Connection, backups: BackupInfo[], onProgress?: (p: BackupProgress) => void): Promise<DeleteBackupsResult> {
  const result: DeleteBackupsResult = { deleted: [], failed: [] }
  for (const backup of backups) {
    onProgress?.({ stage: 'delete', table: backup.table, message: `deleting ${backup.name}` })
    try {
      try {
        await call(conn, 'DeleteBackup', () => conn.dynamodb.send(new DeleteBackupCommand({ BackupArn: backup.arn })))
      } catch (err) {
        // The SDK's retry of a delete whose answer was lost finds the backup gone: that is the delete.
        if (!isDeletedByEarlierAttempt(err)) throw err
      }
      result.deleted.push(backup)
    } catch (err) {
      result.failed.push({ backup, error: (err as Error).message })
    }
  }
  return result
}

export interface DeleteBackupsOptions {
  /** Called with the resolved backups before any is deleted (a confirmation); throw to stop. */
  beforeDelete?: (backups: BackupInfo[]) => Promise<void> | void
  onProgress?: (p: BackupProgress) => void
}

/** Deletes backups by name or ARN; every reference is resolved first, so a typo deletes nothing. */
export async function deleteBackups(conn: Connection, refs: string[], options: DeleteBackupsOptions = {}): Promise<DeleteBackupsResult> {
  const backups = await resolveBackups(conn, refs)
  const busy = backups.filter((b) => b.status !== 'AVAILABLE')
  if (busy.length) {
    throw new UserInputError(
      `DynamoDB deletes only AVAILABLE backups: ${busy.map((b) => `${b.name} is ${b.status}`).join(', ')}. Nothing was deleted.`,
      'Wait until it is AVAILABLE (`dynx backup describe NAME` shows its status), then delete it.',
    )
  }
  await options.beforeDelete?.(backups)
  return deleteBackupList(conn, backups, options.onProgress)
}
