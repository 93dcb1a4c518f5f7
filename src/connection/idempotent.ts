import type { AttributeDefinition, CreateTableCommandInput, KeySchemaElement, ProvisionedThroughput, TableDescription, UpdateTableCommandInput } from '@aws-sdk/client-dynamodb'
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer, MiddlewareStack } from '@smithy/types'
import { setTimeout as sleep } from 'node:timers/promises'

import { backoffDelay, DEFAULT_RETRY_WINDOW_MS, isRetryableError } from './retry.js'

/**
 * Calls that may have been applied before the connection dropped, and how their retry is made to
 * come out right (README: "Calls that may be applied twice"). The SDK strategy retries a call
 * whose answer was lost; the retry then meets the first attempt's effect and fails with an
 * "already" error. These helpers tell such an error from a real refusal.
 */

interface ErrorLike {
  name?: string
  message?: string
  $metadata?: { attempts?: number }
}

/**
 * The SDK sent this call more than once before this error: an earlier attempt may have been
 * applied (its answer lost to a reset or a timeout), so an "already exists/done" answer may be ours.
 */
export function wasRetried(err: unknown): boolean {
  return ((err as ErrorLike | undefined)?.$metadata?.attempts ?? 1) > 1
}

/**
 * UpdateTable asking for what is already set: "The provisioned throughput for the table will not
 * change. The requested value equals the current value." (also said of a GSI). The wanted state
 * holds, whether an earlier attempt set it or it was so already: success.
 */
export function isUnchangedUpdate(err: unknown): boolean {
  const e = err as ErrorLike | undefined
  return e?.name === 'ValidationException' && /will not change|equals the current value/i.test(e.message ?? '')
}

/** UpdateTimeToLive to the state it is in: "TimeToLive is already enabled" (or disabled). */
export function isTimeToLiveAlreadySet(err: unknown, enabled: boolean): boolean {
  const e = err as ErrorLike | undefined
  return e?.name === 'ValidationException' && new RegExp(`TimeToLive is already ${enabled ? 'enabled' : 'disabled'}`, 'i').test(e.message ?? '')
}

/**
 * Thrown inside the SDK's retry loop in place of a second attempt of a call that must not be sent
 * twice blindly: it carries no retryable traits (no `cause` or code, which classifiers follow, and
 * not the first error's message, which they read too), so the SDK gives up and hands it to
 * `sendCheckingFirst`, which looks before sending again.
 */
export class RetryHeldError extends Error {
  override readonly name = 'RetryHeldError'
  constructor(readonly firstError: unknown) {
    super('held back a retry to check whether the first attempt was applied')
  }
}

/** Lets the SDK make only the first attempt of a command (pass its middlewareStack): a retry becomes a RetryHeldError. */
export function singleAttempt<I extends object, O extends MetadataBearer>(stack: MiddlewareStack<I, O>): void {
  stack.add(
    (next: FinalizeHandler<I, O>) => {
      let attempts = 0
      let lastError: unknown
      return async (args: FinalizeHandlerArguments<I>) => {
        if (attempts++ > 0) throw new RetryHeldError(lastError)
        try {
          return await next(args)
        } catch (err) {
          lastError = err
          throw err
        }
      }
    },
    // Inside the retry middleware (finalizeRequest, high), so it sees every attempt.
    { step: 'finalizeRequest', priority: 'low', name: 'dynxSingleAttempt', override: true },
  )
}

/** The error a held retry stands for. */
export function unwrapHeld(err: unknown): unknown {
  return err instanceof RetryHeldError ? err.firstError : err
}

export interface CheckFirstOptions {
  /** Keep trying for this long (default DEFAULT_RETRY_WINDOW_MS; createBackup: the connection's --retry-for). */
  windowMs?: number
  baseMs?: number
  capMs?: number
}

/**
 * Sends a call that has no idempotency token (CreateBackup) so that it is never applied twice:
 * the SDK makes one attempt; after a retryable failure (5xx, throttling, a reset that may have
 * come after the call was applied) `applied()` looks for its effect, and only when there is none
 * is the call sent again. Non-retryable errors are thrown as they came.
 */
export async function sendCheckingFirst<T extends MetadataBearer, R>(
  send: () => Promise<T>,
  accept: (out: T) => R,
  applied: () => Promise<R | undefined>,
  options: CheckFirstOptions = {},
): Promise<R> {
  const windowMs = options.windowMs ?? DEFAULT_RETRY_WINDOW_MS
  let firstFailure: number | undefined
  for (let attempt = 1; ; attempt++) {
    let failure: unknown
    try {
      return accept(await send())
    } catch (err) {
      failure = unwrapHeld(err)
      if (!isRetryableError(failure)) throw failure
    }
    firstFailure ??= Date.now()
    const found = await applied()
    if (found !== undefined) return found
    const failingForMs = Date.now() - firstFailure
    if (failingForMs >= windowMs) throw failure
    await sleep(Math.min(backoffDelay(attempt, { baseMs: options.baseMs ?? 200, capMs: options.capMs ?? 10_000 }), windowMs - failingForMs))
  }
}

/** BackupNotFoundException from a DeleteBackup the SDK sent more than once: an earlier attempt deleted it. */
export function isDeletedByEarlierAttempt(err: unknown): boolean {
  return (err as ErrorLike | undefined)?.name === 'BackupNotFoundException' && wasRetried(err)
}

const sameThroughput = (want: ProvisionedThroughput | undefined, have: { ReadCapacityUnits?: number; WriteCapacityUnits?: number } | undefined) =>
  want === undefined || (have?.ReadCapacityUnits === want.ReadCapacityUnits && have?.WriteCapacityUnits === want.WriteCapacityUnits)

/**
 * Whether table `d` already is as UpdateTable `input` asks, for every part of the input: billing
 * mode, throughput, GSIs created, updated or deleted, stream, encryption, table class, deletion
 * protection. After an UpdateTable whose earlier attempt may have been applied (the SDK retried it,
 * or dynx sent it again) failed, this, not the error's wording, tells "done by that attempt" from
 * a real refusal. A part it does not know counts as not done.
 */
export function isUpdateApplied(input: UpdateTableCommandInput, d: TableDescription): boolean {
  const known = new Set([
    'TableName',
    'AttributeDefinitions',
    'BillingMode',
    'ProvisionedThroughput',
    'GlobalSecondaryIndexUpdates',
    'StreamSpecification',
    'SSESpecification',
    'TableClass',
    'DeletionProtectionEnabled',
  ])
  if (Object.entries(input).some(([k, v]) => v !== undefined && !known.has(k))) return false
  if (input.BillingMode && (d.BillingModeSummary?.BillingMode ?? 'PROVISIONED') !== input.BillingMode) return false
  if (!sameThroughput(input.ProvisionedThroughput, d.ProvisionedThroughput)) return false
  for (const u of input.GlobalSecondaryIndexUpdates ?? []) {
    const name = u.Create?.IndexName ?? u.Update?.IndexName ?? u.Delete?.IndexName
    const index = d.GlobalSecondaryIndexes?.find((g) => g.IndexName === name)
    if (u.Create && (!index || keysOf(index.KeySchema) !== keysOf(u.Create.KeySchema))) return false
    if (u.Update && (!index || !sameThroughput(u.Update.ProvisionedThroughput, index.ProvisionedThroughput))) return false
    if (u.Delete && index && index.IndexStatus !== 'DELETING') return false
  }
  const stream = input.StreamSpecification
  if (stream) {
    const have = d.StreamSpecification
    if (stream.StreamEnabled ? !have?.StreamEnabled || have.StreamViewType !== stream.StreamViewType : have?.StreamEnabled) return false
  }
  const sse = input.SSESpecification
  if (sse) {
    const have = d.SSEDescription
    const on = have?.Status === 'ENABLED' || have?.Status === 'ENABLING' || have?.Status === 'UPDATING'
    if (sse.Enabled) {
      const key = sse.KMSMasterKeyId
      if (!on || (key && have?.KMSMasterKeyArn !== key && !have?.KMSMasterKeyArn?.endsWith(`:key/${key}`))) return false
    } else if (on) return false
  }
  if (input.TableClass && (d.TableClassSummary?.TableClass ?? 'STANDARD') !== input.TableClass) return false
  if (input.DeletionProtectionEnabled !== undefined && (d.DeletionProtectionEnabled ?? false) !== input.DeletionProtectionEnabled) return false
  return true
}

const keysOf = (schema: KeySchemaElement[] | undefined) => (schema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(',')
const typesOf = (defs: AttributeDefinition[] | undefined, schema: KeySchemaElement[] | undefined) =>
  (schema ?? []).map((k) => `${k.AttributeName}:${defs?.find((d) => d.AttributeName === k.AttributeName)?.AttributeType ?? '?'}`).join(',')
const indexesOf = (list: Array<{ IndexName?: string; KeySchema?: KeySchemaElement[] }> | undefined) =>
  (list ?? [])
    .map((i) => `${i.IndexName}(${keysOf(i.KeySchema)})`)
    .sort()
    .join(';')

/**
 * Whether `d` is the table a CreateTable with `input` makes: same keys and key types, same GSI and
 * LSI names and keys, and CREATING or ACTIVE. After a retried CreateTable answered
 * ResourceInUseException, such a table is taken as the first attempt's; any other is someone else's.
 */
export function isOwnCreatedTable(input: CreateTableCommandInput, d: TableDescription | undefined): boolean {
  if (!d || (d.TableStatus !== 'CREATING' && d.TableStatus !== 'ACTIVE')) return false
  return (
    keysOf(input.KeySchema) === keysOf(d.KeySchema) &&
    typesOf(input.AttributeDefinitions, input.KeySchema) === typesOf(d.AttributeDefinitions, d.KeySchema) &&
    indexesOf(input.GlobalSecondaryIndexes) === indexesOf(d.GlobalSecondaryIndexes) &&
    indexesOf(input.LocalSecondaryIndexes) === indexesOf(d.LocalSecondaryIndexes)
  )
}

/**
 * Whether `d` is the restore dynx started, after RestoreTableFromBackup or RestoreTableToPointInTime
 * answered TableAlreadyExistsException: its RestoreSummary names our source (the backup's ARN, or
 * the source table), or the SDK retried the call and the table is still CREATING (the summary may
 * not be there yet). Anything else is a table that already had the name.
 */
export function isOwnRestore(err: unknown, d: TableDescription | undefined, source: { backupArn?: string; table?: string }): boolean {
  if (!d) return false
  const summary = d.RestoreSummary
  if (summary) {
    if (source.backupArn && summary.SourceBackupArn === source.backupArn) return true
    if (source.table && summary.SourceTableArn?.endsWith(`:table/${source.table}`)) return true
    return false
  }
  return wasRetried(err) && d.TableStatus === 'CREATING'
}
