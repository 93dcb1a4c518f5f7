import {
  DescribeImportCommand,
  ImportTableCommand,
  ListImportsCommand,
  UpdateTableCommand,
  type ImportTableDescription,
  type TableCreationParameters,
} from '@aws-sdk/client-dynamodb'

import { existingTargetHint } from '../backup/restore.js'
import { reconcileRestoredTable, type ReconcileOutcome, type ReconcileResult } from '../backup/reconcile.js'
import { call, requireFeature } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import type { Outcome } from '../outcome.js'
import { ImportFailedError, InterruptedError, TableExistsError, TimeoutWaitingError, UserInputError } from '../errors.js'
import { applyPlan, planApply } from '../tables/apply.js'
import { toCreateTableInput } from '../tables/convert.js'
import { assertValidTableName } from '../connection/names.js'
import { describeTable, findTable } from '../tables/describe.js'
import { applySetting } from '../tables/settings.js'
import type { TableSpec } from '../tables/spec.js'
import { pollUntil, waitForTableActive } from '../tables/wait.js'
import { requestToken } from './export.js'
import { listObjects, readObjectText } from './s3.js'
import { parseExportFolderUrl, s3Url, type ExportFolder } from './s3-url.js'

export interface ImportOptions {
  /** The table whose definition (keys, GSIs, billing, SSE) the new table takes, and whose settings are re-applied after. */
  like?: string
  /** Or a spec: its table's definition, and its TTL, PITR, stream, tags and deletion protection after. */
  spec?: TableSpec
  /** The export's data format when it has no manifest-summary.json to say (default dynamodb-json). */
  format?: 'dynamodb-json' | 'ion'
  /** Wait for the import to end (and then reconcile). */
  wait?: boolean
  waitOptions?: { signal?: AbortSignal; intervalMs?: number; timeoutMs?: number }
  onProgress?: (p: { stage: 'check' | 'import' | 'wait' | 'reconcile'; message: string }) => void
  /**
   * How many imports of this same request FAILED before (a caller that records them, as copy --via
   * does): DynamoDB answers a ClientToken used in the last 8 hours with the import it named, FAILED
   * ones too, so each new attempt goes under its own token.
   */
  attempt?: number
}

export interface ImportResult {
  table: string
  importArn: string
  status: string
  /** s3:// of the export folder, and of the data prefix given to ImportTable. */
  folder: string
  data: string
  format: string
  /** True when the import this same request started before was found (the table exists) and followed. */
  followed: boolean
  tableArn?: string
  processedItems?: number
  processedBytes?: number
  importedItems?: number
  errors?: number
  /** Where DynamoDB logs the items it could not import. */
  logGroup?: string
  /** What ImportTable cannot set, re-applied once the table is ACTIVE. */
  reconcile?: ReconcileResult
  /** partial when items failed to import (see logGroup) or a setting could not be re-applied. */
  outcome: Outcome
}

/** Imports of big tables take hours; waiting gives up only after this long. */
export const IMPORT_WAIT_MS = 24 * 60 * 60_000

/** The parts of a table definition ImportTable takes; LSIs it cannot create, so a table with them is refused. */
export function tableCreationParameters(spec: TableSpec, source: string): TableCreationParameters {
  if (spec.localIndexes?.length) {
    throw new UserInputError(
      `${source} has local secondary indexes (${spec.localIndexes.map((l) => l.name).join(', ')}), and DynamoDB's ImportTable cannot create them (an LSI exists only from a table's creation).`,
      'Use `dynx copy SOURCE TARGET` instead, or create the table with `dynx create TARGET --from SOURCE` and fill it with `dynx load TARGET s3://.../AWSDynamoDB/<export-id>/`.',
    )
  }
  const input = toCreateTableInput(spec)
  return {
    TableName: spec.name,
    AttributeDefinitions: input.AttributeDefinitions,
    KeySchema: input.KeySchema,
    BillingMode: input.BillingMode,
    ...(input.ProvisionedThroughput ? { ProvisionedThroughput: input.ProvisionedThroughput } : {}),
    ...(input.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: input.GlobalSecondaryIndexes } : {}),
    ...(input.SSESpecification ? { SSESpecification: input.SSESpecification } : {}),
  }
}

/** What the export folder says of itself: its format and type from manifest-summary.json (when there is one), and that it has data. */
async function checkExportFolder(conn: Connection, folder: ExportFolder, fallback: 'DYNAMODB_JSON' | 'ION'): Promise<'DYNAMODB_JSON' | 'ION'> {
  const summaryText = await readObjectText(conn, { bucket: folder.bucket, key: `${folder.key}manifest-summary.json` })
  const summary = summaryText ? (JSON.parse(summaryText) as { outputFormat?: string; exportType?: string }) : {}
  if (summary.exportType === 'INCREMENTAL_EXPORT')
    throw new UserInputError(`${s3Url(folder)} is an incremental export (changes), which ImportTable cannot make a table of.`, 'Import a full export.')
  const data = await listObjects(conn, { bucket: folder.bucket, key: `${folder.key}data/` }, 1)
  if (!data.length)
    throw new UserInputError(
      `${s3Url(folder)} holds no data/ objects: not a finished export.`,
      'Check the URL (`dynx export describe ARN` prints the folder) and that the export is COMPLETED.',
    )
  return summary.outputFormat === 'ION' ? 'ION' : summary.outputFormat === 'DYNAMODB_JSON' ? 'DYNAMODB_JSON' : fallback
}

function importInfo(d: ImportTableDescription): Omit<ImportResult, 'table' | 'folder' | 'data' | 'format' | 'outcome' | 'followed'> {
  return {
    importArn: d.ImportArn ?? '',
    status: d.ImportStatus ?? 'UNKNOWN',
    ...(d.TableArn ? { tableArn: d.TableArn } : {}),
    ...(d.ProcessedItemCount !== undefined ? { processedItems: d.ProcessedItemCount } : {}),
    ...(d.ProcessedSizeBytes !== undefined ? { processedBytes: d.ProcessedSizeBytes } : {}),
    ...(d.ImportedItemCount !== undefined ? { importedItems: d.ImportedItemCount } : {}),
    ...(d.ErrorCount !== undefined ? { errors: d.ErrorCount } : {}),
    ...(d.CloudWatchLogGroupArn ? { logGroup: d.CloudWatchLogGroupArn } : {}),
  }
}

/** Where the errors of an import are, for messages. */
export const logGroupText = (logGroup: string | undefined) => (logGroup ? `CloudWatch Logs group ${logGroup}` : 'CloudWatch Logs group /aws-dynamodb/imports')

/**
 * Creates a table from a DynamoDB export in S3 with ImportTable (no write capacity used). The
 * definition comes from `like` or `spec`; a table with LSIs is refused. With `wait`, once the
 * import is COMPLETED and the table ACTIVE, what ImportTable cannot set (TTL, PITR, stream, tags,
 * auto scaling, deletion protection) is re-applied: from `like` by the reconcile backup restores
 * use, from `spec` by applying it. FAILED or CANCELLED throws ImportFailedError naming the log group.
 */
export async function importTableFromS3(conn: Connection, url: string, table: string, options: ImportOptions): Promise<ImportResult> {
  const folder = parseExportFolderUrl(url)
  if (Boolean(options.like) === Boolean(options.spec))
    throw new UserInputError('Say what the new table looks like: exactly one of --like SOURCE and --spec FILE.', 'Example: --like users')
  requireFeature(conn, 'exports', 'import from S3')
  const spec: TableSpec = options.like ? { ...(await describeTable(conn, options.like)).spec, name: table } : { ...options.spec!, name: table }
  const params = tableCreationParameters(spec, options.like ?? 'The spec')
  assertValidTableName(table)
  options.onProgress?.({ stage: 'check', message: `reading ${s3Url(folder)}` })
  const format = await checkExportFolder(conn, folder, options.format === 'ion' ? 'ION' : 'DYNAMODB_JSON')
  const data = { bucket: folder.bucket, key: `${folder.key}data/` }
  const request = {
    S3BucketSource: { S3Bucket: data.bucket, S3KeyPrefix: data.key },
    InputFormat: format,
    InputCompressionType: 'GZIP' as const,
    TableCreationParameters: params,
  }
  // The same command run again asks for the same import: a hash of the request is its ClientToken.
  const tokenOf = (attempt: number) => requestToken(attempt ? { request, attempt } : request)
  let attempt = options.attempt ?? 0
  let token = tokenOf(attempt)
  const existing = await findTable(conn, table)
  // A table being imported is CREATING until the import ends; only then can it be this request's own.
  const own = existing?.TableStatus === 'CREATING' ? await ownImport(conn, existing.TableArn, token) : undefined
  if (existing && !own) throw new TableExistsError(table, existingTargetHint)
  let description = own
  if (!description) {
    options.onProgress?.({ stage: 'import', message: `starting the import of ${s3Url(folder)} into ${table}` })
    for (;;) {
      description = (await call(conn, 'ImportTable', () => conn.dynamodb.send(new ImportTableCommand({ ...request, ClientToken: token })))).ImportTableDescription ?? {}
      // For 8 hours DynamoDB answers a ClientToken with the import it named, a FAILED or CANCELLED
      // one too (which left no table): the same command run again after a failure asks anew under
      // the next attempt's token.
      if (!FINISHED_BADLY.has(description.ImportStatus ?? '') || attempt >= (options.attempt ?? 0) + MAX_FAILED_ATTEMPTS) break
      token = tokenOf(++attempt)
    }
  }
  const base = { table, folder: s3Url(folder), data: s3Url(data), format, followed: own !== undefined }
  const started = { ...base, ...importInfo(description), outcome: 'ok' as const }
  if (!options.wait) return started
  return { ...base, ...(await finishImport(conn, started.importArn, table, spec, options)) }
}

const FINISHED_BADLY = new Set(['FAILED', 'CANCELLED'])
/** Failed imports of one request within DynamoDB's 8-hour token memory that a re-run asks past. */
const MAX_FAILED_ATTEMPTS = 20

/**
 * The end of an import (started by this run or an earlier one): waits for it to be COMPLETED and
 * the table ACTIVE, then re-applies what ImportTable cannot set, from `options.like` (the restore
 * reconcile, on this connection) or else from `spec` (applied as `dynx apply` would).
 */
export async function finishImport(
  conn: Connection,
  importArn: string,
  table: string,
  spec: TableSpec,
  options: Pick<ImportOptions, 'like' | 'waitOptions' | 'onProgress'>,
): Promise<Omit<ImportResult, 'table' | 'folder' | 'data' | 'format' | 'followed'>> {
  const done = await waitForImport(conn, importArn, options)
  await waitForTableActive(conn, table, { timeoutMs: IMPORT_WAIT_MS, ...(options.waitOptions?.signal ? { signal: options.waitOptions.signal } : {}) })
  options.onProgress?.({ stage: 'reconcile', message: `re-applying what ImportTable cannot set on ${table}` })
  const reconcile = await reconcileImported(conn, table, spec, options)
  // The real service ends COMPLETED with items it could not import counted in ErrorCount (and logged).
  return { ...done, reconcile, outcome: (done.errors ?? 0) > 0 || reconcile.failed ? 'partial' : 'ok' }
}

/**
 * The import that is creating `tableArn` under this ClientToken, if any (the table exists because
 * the same command ran before and its import goes on).
 */
async function ownImport(conn: Connection, tableArn: string | undefined, token: string): Promise<ImportTableDescription | undefined> {
  if (!tableArn) return undefined
  let next: string | undefined
  do {
    const page = await call(conn, 'ListImports', () => conn.dynamodb.send(new ListImportsCommand({ TableArn: tableArn, ...(next ? { NextToken: next } : {}) })))
    for (const s of page.ImportSummaryList ?? []) {
      if (!s.ImportArn) continue
      const d = (await call(conn, 'DescribeImport', () => conn.dynamodb.send(new DescribeImportCommand({ ImportArn: s.ImportArn })))).ImportTableDescription
      if (d?.ClientToken === token) return d
    }
    next = page.NextToken
  } while (next)
  return undefined
}

/** Polls DescribeImport until it ends; FAILED or CANCELLED throws ImportFailedError. */
export async function waitForImport(conn: Connection, arn: string, options: Pick<ImportOptions, 'waitOptions' | 'onProgress'> = {}): Promise<ReturnType<typeof importInfo>> {
  const w = options.waitOptions ?? {}
  const later = `It goes on in DynamoDB; DescribeImport ${arn} (aws dynamodb describe-import) shows how far it is.`
  let done: ReturnType<typeof importInfo>
  try {
    done = await pollUntil(
      conn,
      async (elapsedMs) => {
        const d = await call(conn, 'DescribeImport', () => conn.dynamodb.send(new DescribeImportCommand({ ImportArn: arn })))
        const info = importInfo(d.ImportTableDescription ?? {})
        options.onProgress?.({
          stage: 'wait',
          message: `import ${info.status}: ${info.processedItems ?? 0} items, ${info.processedBytes ?? 0} bytes processed, ${info.errors ?? 0} errors (${Math.round(elapsedMs / 1000)}s)`,
        })
        return info
      },
      (info) => info.status !== 'IN_PROGRESS' && info.status !== 'CANCELLING',
      (info, elapsedMs) => new TimeoutWaitingError(`Import ${arn} is still ${info.status} after ${Math.round(elapsedMs / 1000)}s.`, later),
      { timeoutMs: w.timeoutMs ?? IMPORT_WAIT_MS, ...(w.intervalMs ? { intervalMs: w.intervalMs } : {}), ...(w.signal ? { signal: w.signal } : {}) },
    )
  } catch (err) {
    if (w.signal?.aborted) throw new InterruptedError(`Stopped waiting for import ${arn}; nothing was reconciled.`, later, { cause: err })
    throw err
  }
  if (done.status !== 'COMPLETED') {
    const d = await call(conn, 'DescribeImport', () => conn.dynamodb.send(new DescribeImportCommand({ ImportArn: arn })))
    const desc = d.ImportTableDescription ?? {}
    throw new ImportFailedError(
      `Import ${arn} ended ${done.status}${desc.FailureCode ? ` (${desc.FailureCode})` : ''}: ${desc.FailureMessage ?? 'DynamoDB gave no reason'}; ${done.importedItems ?? 0} of ${done.processedItems ?? 0} items imported, ${done.errors ?? 0} errors.`,
      `The items that failed are in the ${logGroupText(done.logGroup)}. A failed import leaves no table; fix the data or definition and import again.`,
    )
  }
  return done
}

/** After the import: settings from the source table by the restore reconcile (plus deletion protection), or from the spec by applying it. */
async function reconcileImported(conn: Connection, table: string, spec: TableSpec, options: Pick<ImportOptions, 'like' | 'onProgress'>): Promise<ReconcileResult> {
  const progress = (message: string) => options.onProgress?.({ stage: 'reconcile', message })
  if (options.like) {
    const result = await reconcileRestoredTable(conn, table, { table: options.like }, (p) => progress(p.message))
    if (spec.deletionProtection) {
      const outcome: ReconcileOutcome = await applySetting('deletionProtection', 'deletion protection on', async () => {
        await call(conn, 'UpdateTable', () => conn.dynamodb.send(new UpdateTableCommand({ TableName: table, DeletionProtectionEnabled: true })), table)
      }).catch((err: Error) => ({ setting: 'deletionProtection', status: 'failed' as const, detail: `deletion protection on: ${err.message}` }))
      result.settings.push(outcome)
      result.failed ||= outcome.status === 'failed'
    }
    return result
  }
  // The spec as applied to an existing table: what differs from it is updated (TTL, PITR, stream, tags, deletion protection...).
  const plan = await planApply(conn, [spec])
  const applied = await applyPlan(conn, plan, { applyUpdates: true, onProgress: (p) => progress(p.message) })
  const settings: ReconcileOutcome[] = (applied.tables[0]?.changes ?? []).map((c) => ({
    setting: c.setting,
    status: c.outcome === 'applied' ? 'applied' : c.outcome === 'failed' ? 'failed' : 'skipped',
    detail: c.detail ?? c.description,
  }))
  return { from: 'table', source: 'spec', settings, notes: [], failed: settings.some((s) => s.status === 'failed') }
}
