import {
  DescribeExportCommand,
  ExportTableToPointInTimeCommand,
  ListExportsCommand,
  type ExportDescription,
  type ExportTableToPointInTimeCommandInput,
} from '@aws-sdk/client-dynamodb'
import { createHash } from 'node:crypto'

import { call, requireFeature } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { ExportFailedError, InterruptedError, TimeoutWaitingError, UserInputError } from '../errors.js'
import { describeContinuousBackups, describeTableRaw, pitrStateOf } from '../tables/describe.js'
import { setPointInTimeRecovery } from '../tables/settings.js'
import { pollUntil } from '../tables/wait.js'
import { parseS3Url, s3Url, type S3Location } from './s3-url.js'

export type ExportFormatName = 'dynamodb-json' | 'ion'
export type ExportViewName = 'new' | 'new-and-old'

export interface ExportOptions {
  format?: ExportFormatName
  /** The moment exported (in the PITR window); default: now. Not with incremental. */
  time?: Date
  /** An incremental export: the changes between two moments. */
  incremental?: { from: Date; to: Date; view?: ExportViewName }
  /** The account that owns the bucket, when it is not the table's. */
  s3Owner?: string
  /** A KMS key for the exported objects (SSE-KMS); default SSE-S3. */
  kmsKey?: string
  /** Turn on point-in-time recovery when it is off (an export needs it); without, PITR off is bad input. */
  enablePitr?: boolean
  /** Wait for COMPLETED (or FAILED). */
  wait?: boolean
  waitOptions?: { signal?: AbortSignal; intervalMs?: number; timeoutMs?: number }
  onProgress?: (p: ExportProgress) => void
}

export interface ExportProgress {
  stage: 'pitr' | 'export' | 'wait'
  message: string
}

/** One export, as DescribeExport tells it. */
export interface ExportInfo {
  exportArn: string
  status: string
  tableArn?: string
  table?: string
  s3: string
  format?: string
  type?: string
  exportTime?: string
  startTime?: string
  endTime?: string
  itemCount?: number
  billedSizeBytes?: number
  /** s3:// URL of manifest-summary.json (AWS names it once the export completes). */
  manifest?: string
  /** s3:// URL of the export's folder (manifest files and data/): what `dynx import` and `dynx load` take. */
  folder?: string
  clientToken?: string
  failureCode?: string
  failureMessage?: string
  incremental?: { from?: string; to?: string; view?: string }
}

export interface ExportResult extends ExportInfo {
  table: string
  /** True when an export started earlier by the same command was found and followed instead of starting another. */
  followed: boolean
  /** Point-in-time recovery was turned on by this run (--enable-pitr). */
  pitrEnabled: boolean
}

/** Exports run for minutes to hours; waiting gives up after this long (the export goes on). */
export const EXPORT_WAIT_MS = 24 * 60 * 60_000

const FORMATS: Record<ExportFormatName, 'DYNAMODB_JSON' | 'ION'> = { 'dynamodb-json': 'DYNAMODB_JSON', ion: 'ION' }
const VIEWS: Record<ExportViewName, 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES'> = { new: 'NEW_IMAGE', 'new-and-old': 'NEW_AND_OLD_IMAGES' }
const iso = (d: Date | undefined) => d?.toISOString()

export function exportInfo(d: ExportDescription): ExportInfo {
  const bucket = d.S3Bucket ?? ''
  const manifest = d.ExportManifest ? `s3://${bucket}/${d.ExportManifest}` : undefined
  // On AWS the folder is <prefix>/AWSDynamoDB/<export-id>/ with the id ending the ARN; the manifest names it for sure.
  const id = /\/export\/([^/]+)$/.exec(d.ExportArn ?? '')?.[1]
  const folder = manifest ? manifest.slice(0, manifest.lastIndexOf('/') + 1) : id ? s3Url({ bucket, key: `${d.S3Prefix ? `${d.S3Prefix}/` : ''}AWSDynamoDB/${id}/` }) : undefined
  const inc = d.IncrementalExportSpecification
  const table = /:table\/([^/]+)/.exec(d.TableArn ?? '')?.[1]
  return {
    exportArn: d.ExportArn ?? '',
    status: d.ExportStatus ?? 'UNKNOWN',
    ...(d.TableArn ? { tableArn: d.TableArn } : {}),
    ...(table ? { table } : {}),
    s3: s3Url({ bucket, key: d.S3Prefix ?? '' }),
    ...(d.ExportFormat ? { format: d.ExportFormat } : {}),
    ...(d.ExportType ? { type: d.ExportType } : {}),
    ...(d.ExportTime ? { exportTime: iso(d.ExportTime) } : {}),
    ...(d.StartTime ? { startTime: iso(d.StartTime) } : {}),
    ...(d.EndTime ? { endTime: iso(d.EndTime) } : {}),
    ...(d.ItemCount !== undefined ? { itemCount: d.ItemCount } : {}),
    ...(d.BilledSizeBytes !== undefined ? { billedSizeBytes: d.BilledSizeBytes } : {}),
    ...(manifest ? { manifest } : {}),
    ...(folder ? { folder } : {}),
    ...(d.ClientToken ? { clientToken: d.ClientToken } : {}),
    ...(d.FailureCode ? { failureCode: d.FailureCode } : {}),
    ...(d.FailureMessage ? { failureMessage: d.FailureMessage } : {}),
    ...(inc ? { incremental: { from: iso(inc.ExportFromTime), to: iso(inc.ExportToTime), view: inc.ExportViewType } } : {}),
  }
}

/** Checks the options and builds the request (all but TableArn and ClientToken); bad input throws before any call. */
export function exportRequest(loc: S3Location, options: ExportOptions): Omit<ExportTableToPointInTimeCommandInput, 'TableArn'> {
  const format = FORMATS[options.format ?? 'dynamodb-json']
  if (!format) throw new UserInputError(`Unknown export format "${options.format}".`, 'Use dynamodb-json or ion.')
  const inc = options.incremental
  if (inc) {
    if (options.time) throw new UserInputError('--time/--ago set the moment of a full export; an incremental export takes --from and --to.', 'Drop --time, or drop --incremental.')
    if (inc.to.getTime() <= inc.from.getTime()) throw new UserInputError(`--to ${inc.to.toISOString()} is not after --from ${inc.from.toISOString()}.`, 'Give a later --to.')
    // DynamoDB's limits for an incremental export's period.
    const span = inc.to.getTime() - inc.from.getTime()
    if (span < 15 * 60_000 || span > 24 * 60 * 60_000)
      throw new UserInputError('An incremental export covers between 15 minutes and 24 hours.', 'Choose --from and --to at least 15 minutes and at most 24 hours apart.')
    if (inc.view && !VIEWS[inc.view]) throw new UserInputError(`Unknown --view ${inc.view}.`, 'Use new or new-and-old.')
  }
  if (options.time && options.time.getTime() > Date.now() + 60_000)
    throw new UserInputError(`--time ${options.time.toISOString()} is in the future.`, 'Give a past time, or none for now.')
  return {
    S3Bucket: loc.bucket,
    ...(loc.key.replace(/\/+$/, '') ? { S3Prefix: loc.key.replace(/\/+$/, '') } : {}),
    ...(options.s3Owner ? { S3BucketOwner: options.s3Owner } : {}),
    ...(options.kmsKey ? { S3SseAlgorithm: 'KMS' as const, S3SseKmsKeyId: options.kmsKey } : {}),
    ExportFormat: format,
    ...(options.time ? { ExportTime: options.time } : {}),
    ...(inc
      ? {
          ExportType: 'INCREMENTAL_EXPORT' as const,
          IncrementalExportSpecification: { ExportFromTime: inc.from, ExportToTime: inc.to, ExportViewType: VIEWS[inc.view ?? 'new-and-old'] },
        }
      : { ExportType: 'FULL_EXPORT' as const }),
  }
}

/**
 * The ClientToken of an export: a hash of the table's ARN and the request, so the same command
 * run again is the same request to DynamoDB, which answers with the export it already started
 * (for 8 hours after it ends) instead of starting and billing a second. `attempt` counts exports
 * of this request that FAILED: a re-run after a failure asks again under a new token.
 */
export function exportClientToken(tableArn: string, request: object, attempt = 0): string {
  return requestToken({ tableArn, request, attempt })
}

/** A ClientToken for a request: 32 hex digits of the SHA-256 of its JSON (times as ISO text). */
export function requestToken(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Date ? v.toISOString() : v))
  return createHash('sha256').update(text).digest('hex').slice(0, 32)
}

/** Every export of a table (ListExports through its pages), described. */
async function describeExportsOf(conn: Connection, tableArn: string): Promise<ExportDescription[]> {
  const out: ExportDescription[] = []
  let token: string | undefined
  do {
    const page = await call(conn, 'ListExports', () => conn.dynamodb.send(new ListExportsCommand({ TableArn: tableArn, ...(token ? { NextToken: token } : {}) })))
    for (const s of page.ExportSummaries ?? []) {
      if (s.ExportArn) out.push(await describeExportRaw(conn, s.ExportArn))
    }
    token = page.NextToken
  } while (token)
  return out
}

/**
 * The export this request already started, if any. DynamoDB echoes the ClientToken; an engine that
 * does not (moto) is matched on bucket, prefix, format, type and time instead, FAILED ones left out.
 */
function sameRequest(d: ExportDescription, request: ReturnType<typeof exportRequest>, token: string): boolean {
  if (d.ClientToken) return d.ClientToken === token
  if (d.ExportStatus === 'FAILED') return false
  const sameTime = !request.ExportTime || d.ExportTime?.getTime() === request.ExportTime.getTime()
  return d.S3Bucket === request.S3Bucket && (d.S3Prefix ?? '') === (request.S3Prefix ?? '') && (d.ExportType ?? 'FULL_EXPORT') === request.ExportType && sameTime
}

async function describeExportRaw(conn: Connection, arn: string): Promise<ExportDescription> {
  const out = await call(conn, 'DescribeExport', () => conn.dynamodb.send(new DescribeExportCommand({ ExportArn: arn })))
  return out.ExportDescription ?? { ExportArn: arn }
}

/**
 * Point-in-time recovery must be on to export; --enable-pitr turns it on (and waits for ENABLED),
 * else nothing is started (exit 2). Returns whether it was turned on.
 */
export async function ensurePitrForExport(conn: Connection, table: string, options: Pick<ExportOptions, 'enablePitr' | 'onProgress'> & { signal?: AbortSignal }): Promise<boolean> {
  const state = pitrStateOf(await describeContinuousBackups(conn, table))
  if (state.status === 'ENABLED') return false
  if (!options.enablePitr) {
    throw new UserInputError(
      `Point-in-time recovery is ${state.status === 'ENABLING' ? 'still being enabled' : 'off'} on "${table}", and DynamoDB exports to S3 only from it.`,
      `Pass --enable-pitr to turn it on first (it is billed per GB-month of table size), or \`dynx pitr enable ${table}\`; nothing was started.`,
    )
  }
  options.onProgress?.({ stage: 'pitr', message: `enabling point-in-time recovery on ${table}` })
  await setPointInTimeRecovery(conn, table, true)
  // Right after turning it on the real service may not report ENABLED yet; an export asked before ENABLED is refused.
  try {
    await pollUntil(
      conn,
      async () => pitrStateOf(await describeContinuousBackups(conn, table)).status,
      (status) => status === 'ENABLED',
      (status) => new TimeoutWaitingError(`Point-in-time recovery of ${table} is still ${status}.`, 'Run the export again once `dynx pitr status` says ENABLED.'),
      { timeoutMs: 10 * 60_000, ...(options.signal ? { signal: options.signal } : {}) },
    )
  } catch (err) {
    if (options.signal?.aborted)
      throw new InterruptedError(
        `Stopped waiting for point-in-time recovery of ${table} to be enabled (it goes on).`,
        'Run the same command again: it waits for ENABLED and then exports; nothing else was started.',
        { cause: err },
      )
    throw err
  }
  return true
}

/**
 * Exports a table to S3 with DynamoDB's own export (ExportTableToPointInTime): no read capacity,
 * from the point-in-time recovery data. Running the same request again follows the export it
 * started (see exportClientToken). With `wait`, returns once it is COMPLETED; FAILED throws
 * ExportFailedError with DynamoDB's reason.
 */
export async function exportTableToS3(conn: Connection, table: string, url: string, options: ExportOptions = {}): Promise<ExportResult> {
  const loc = parseS3Url(url, 'The export destination')
  const request = exportRequest(loc, options)
  requireFeature(conn, 'exports', 'export to S3')
  const d = await describeTableRaw(conn, table)
  const tableArn = d.TableArn ?? ''
  const pitrEnabled = await ensurePitrForExport(conn, table, { ...options, ...(options.waitOptions?.signal ? { signal: options.waitOptions.signal } : {}) })
  const existing = await describeExportsOf(conn, tableArn)
  let attempt = 0
  let token = exportClientToken(tableArn, request, attempt)
  let found = existing.find((e) => sameRequest(e, request, token))
  while (found?.ClientToken && found.ExportStatus === 'FAILED') {
    token = exportClientToken(tableArn, request, ++attempt)
    found = existing.find((e) => sameRequest(e, request, token))
  }
  let description = found
  if (!description) {
    options.onProgress?.({ stage: 'export', message: `starting the export of ${table} to ${url}` })
    const out = await call(
      conn,
      'ExportTableToPointInTime',
      () => conn.dynamodb.send(new ExportTableToPointInTimeCommand({ ...request, TableArn: tableArn, ClientToken: token })),
      table,
    )
    description = out.ExportDescription ?? {}
  }
  const started = { table, followed: found !== undefined, pitrEnabled }
  const info = exportInfo(description)
  if (!options.wait) return { ...info, ...started }
  return { ...(await waitForExport(conn, info.exportArn, options)), ...started }
}

/** Polls DescribeExport until COMPLETED; FAILED throws ExportFailedError. */
export async function waitForExport(conn: Connection, arn: string, options: Pick<ExportOptions, 'waitOptions' | 'onProgress'> = {}): Promise<ExportInfo> {
  const w = options.waitOptions ?? {}
  const later = `It goes on in DynamoDB: \`dynx export describe ${arn}\` shows how far it is.`
  try {
    const done = await pollUntil(
      conn,
      async (elapsedMs) => {
        const info = exportInfo(await describeExportRaw(conn, arn))
        const items = info.itemCount !== undefined ? `, ${info.itemCount} items` : ''
        const bytes = info.billedSizeBytes !== undefined ? `, ${info.billedSizeBytes} bytes` : ''
        options.onProgress?.({ stage: 'wait', message: `export ${info.status}${items}${bytes} (${Math.round(elapsedMs / 1000)}s)` })
        return info
      },
      (info) => info.status !== 'IN_PROGRESS',
      (info, elapsedMs) => new TimeoutWaitingError(`Export ${arn} is still ${info.status} after ${Math.round(elapsedMs / 1000)}s.`, later),
      { timeoutMs: w.timeoutMs ?? EXPORT_WAIT_MS, ...(w.intervalMs ? { intervalMs: w.intervalMs } : {}), ...(w.signal ? { signal: w.signal } : {}) },
    )
    if (done.status === 'FAILED') throw new ExportFailedError(arn, done.failureCode, done.failureMessage)
    return done
  } catch (err) {
    if (w.signal?.aborted) throw new InterruptedError(`Stopped waiting for export ${arn}.`, later, { cause: err })
    throw err
  }
}

/** One export by ARN. */
export async function describeExport(conn: Connection, arn: string): Promise<ExportInfo> {
  requireFeature(conn, 'exports', 'export to S3')
  if (!/^arn:[^:]+:dynamodb:/.test(arn)) throw new UserInputError(`"${arn}" is not an export ARN.`, '`dynx export list --table TABLE` lists the ARNs of a table’s exports.')
  return exportInfo(await describeExportRaw(conn, arn))
}

/** The exports of one table, or of every table (ListExports without a table), newest first when DynamoDB says when. */
export async function listExports(conn: Connection, table?: string): Promise<ExportInfo[]> {
  requireFeature(conn, 'exports', 'export to S3')
  const tableArn = table ? (await describeTableRaw(conn, table)).TableArn : undefined
  const out: ExportInfo[] = []
  let token: string | undefined
  do {
    const page = await call(conn, 'ListExports', () =>
      conn.dynamodb.send(new ListExportsCommand({ ...(tableArn ? { TableArn: tableArn } : {}), ...(token ? { NextToken: token } : {}) })),
    )
    for (const s of page.ExportSummaries ?? []) if (s.ExportArn) out.push(exportInfo(await describeExportRaw(conn, s.ExportArn)))
    token = page.NextToken
  } while (token)
  return out.sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''))
}
