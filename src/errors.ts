/**
 * Typed errors. Each carries a stable exit code and says what the user must do next,
 * so the CLI can map them in one place and library users can branch on `instanceof`.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badInput: 2,
  drift: 3,
  interrupted: 130,
} as const

export class DynxError extends Error {
  readonly exitCode: number = ExitCode.failure
  /** What to do about it, shown under the message. */
  readonly hint?: string

  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.hint = hint
  }
}

/** Bad flags, arguments or files: nothing was changed. */
export class UserInputError extends DynxError {
  override readonly exitCode: number = ExitCode.badInput
}

export class TableNotFoundError extends UserInputError {
  constructor(
    readonly table: string,
    endpointLabel?: string,
  ) {
    super(
      `Table "${table}" does not exist${endpointLabel ? ` on ${endpointLabel}` : ''}.`,
      'Check the name and --prefix/--region/--endpoint, or list tables with `dynx tables list`.',
    )
  }
}

export class TableExistsError extends UserInputError {
  constructor(
    readonly table: string,
    hint = 'Pass --if-not-exists to accept an existing table, or choose another name.',
  ) {
    super(`Table "${table}" already exists.`, hint)
  }
}

export interface SpecIssue {
  path: string
  message: string
}

export class SpecValidationError extends UserInputError {
  constructor(
    readonly file: string,
    readonly issues: SpecIssue[],
  ) {
    super(
      `${file} is not a valid dynx spec:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
      'Fix the fields named above; the spec format is documented in the README under "Spec files".',
    )
  }
}

/** A dynx.config file that does not parse or fails validation; every problem is named by its path. */
export class ConfigValidationError extends UserInputError {
  constructor(
    readonly file: string,
    readonly issues: SpecIssue[],
  ) {
    super(
      `${file} is not a valid dynx config:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
      'Fix the fields named above; the format is in the README under "Environments and dynx.config".',
    )
  }
}

export class SchemaMismatchError extends UserInputError {}

/** The endpoint did not answer (refused, DNS, TLS or timeout). */
export class EndpointUnreachableError extends DynxError {
  constructor(
    readonly endpoint: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot reach DynamoDB at ${endpoint}: ${reason}.`, 'Check --endpoint/--region and the network; for the embedded engine use --local.', options)
  }
}

/**
 * The engine behind the endpoint does not implement an operation (dynalite lacks backups, PITR,
 * TTL updates...). Nothing was changed, and the fix is to point elsewhere: bad input, exit 2.
 */
export class UnsupportedByEngineError extends UserInputError {
  constructor(
    readonly operation: string,
    readonly endpoint: string,
  ) {
    super(
      `${endpoint.startsWith('the embedded') ? 'The embedded --local engine' : `The DynamoDB engine at ${endpoint}`} does not support ${operation}.`,
      'The embedded --local engine (dynalite) and DynamoDB Local have no backups or point-in-time recovery, and dynalite no TTL updates or CloudWatch; run this against AWS (or moto server for a rehearsal).',
    )
  }
}

export class LocalStoreLockedError extends DynxError {
  constructor(
    readonly storePath: string,
    readonly pid: number,
  ) {
    super(
      `The local store ${storePath} is in use by another dynx process (pid ${pid}).`,
      'Wait for that command to finish (or stop `dynx local serve`), point --local at that server with --endpoint, or set DYNX_LOCAL_PATH to another folder.',
    )
  }
}

export class TimeoutWaitingError extends DynxError {}

const PARTIAL = Symbol.for('dynx.partialResult')

/**
 * A scan or verify that fails part-way attaches what it had done (items read, the checkpoint) to
 * the error it throws, so the failure still tells the truth about the work; read it back with
 * partialResultOf (which also looks through `cause`, e.g. after explainAwsError).
 */
export function attachPartialResult(err: unknown, partial: object): void {
  if (typeof err === 'object' && err !== null && Object.isExtensible(err)) Object.defineProperty(err, PARTIAL, { value: partial, configurable: true })
}

export function partialResultOf(err: unknown): Record<string, unknown> | undefined {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const partial = (e as Record<symbol, unknown>)[PARTIAL]
    if (partial) return partial as Record<string, unknown>
  }
  return undefined
}

/**
 * Writes that DynamoDB kept handing back unprocessed (throttled) for the whole retry window: the
 * items are fine, so they are not dead-lettered; the page stays uncommitted and a re-run resends it.
 */
export class NoProgressError extends DynxError {}

/** Stopped by Ctrl-C/SIGTERM after saving what can be saved; exit 130. */
export class InterruptedError extends DynxError {
  override readonly exitCode: number = ExitCode.interrupted
}

/** The user declined a confirmation (or could not be asked): nothing was changed. */
export class NotConfirmedError extends UserInputError {}

const unreachableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE'])

/** What dynx reads off an error or one it wraps. */
export interface ErrorFields {
  name?: string
  code?: string
  message?: string
  cause?: unknown
  errors?: unknown
  $metadata?: { httpStatusCode?: number; attempts?: number; totalRetryDelay?: number }
}

/**
 * The error and the errors it wraps, outermost first: its `cause` chain (dynx wraps SDK errors in
 * typed ones) and an AggregateError's `errors` (happy-eyeballs connects to localhost, ::1 and
 * 127.0.0.1, keep the real codes inside).
 */
export function errorChain(err: unknown): ErrorFields[] {
  const chain: ErrorFields[] = []
  const walk = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || depth > 5 || chain.includes(e as ErrorFields)) return
    chain.push(e as ErrorFields)
    const { errors, cause } = e as ErrorFields
    if (Array.isArray(errors)) for (const inner of errors) walk(inner, depth + 1)
    walk(cause, depth + 1)
  }
  walk(err, 0)
  return chain
}

/** The first error code (ECONNREFUSED, ETIMEDOUT...) of an error or of those it wraps. */
export function errorCode(err: unknown): string | undefined {
  return errorChain(err).find((e) => typeof e.code === 'string')?.code
}

/**
 * Turns transport and "unknown operation" failures from the SDK into typed dynx errors
 * naming the endpoint; anything else is returned unchanged.
 */
export function explainAwsError(err: unknown, endpoint: string, operation?: string): unknown {
  if (err instanceof DynxError) return err
  if (typeof err !== 'object' || err === null) return err
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const code = errorCode(err)
  // The SDK counts the attempts the retry policy made.
  const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1
  const tries = attempts > 1 ? `, after ${attempts} attempts` : ''
  // NodeHttpHandler names a reset or a refusal TimeoutError too; the code says which it was.
  if (code && code !== 'ETIMEDOUT' && unreachableCodes.has(code)) {
    const what = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ECONNRESET' ? 'connection reset (ECONNRESET)' : code
    return new EndpointUnreachableError(endpoint, `${what}${tries}`, { cause: err })
  }
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout' || code === 'ETIMEDOUT') {
    return new EndpointUnreachableError(endpoint, `no answer before the timeout${tries}`, { cause: err })
  }
  if (isUnknownOperation(err)) return new UnsupportedByEngineError(operation ?? 'this operation', endpoint)
  return err
}

export function isUnknownOperation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const e = err as { name?: string; __type?: string; message?: string }
  return (
    e.name === 'UnknownOperationException' ||
    (typeof e.__type === 'string' && e.__type.endsWith('UnknownOperationException')) ||
    // DynamoDB Local and moto answer some unimplemented calls this way.
    (e.name === 'UnrecognizedClientException' && /operation|not (yet )?implemented/i.test(e.message ?? '')) ||
    /not (yet )?(been )?implemented|unknown operation/i.test(e.message ?? '')
  )
}

/**
 * Capacity raised by dynx could not (yet) be put back; the ledger stays open. `retryAt` is the
 * earliest time DynamoDB's decrease quota lets the restore succeed, `command` what to run then.
 */
export class CapacityRestoreError extends DynxError {
  constructor(
    message: string,
    hint: string,
    readonly ledger: string,
    readonly command: string,
    readonly retryAt?: string,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options)
  }
}

/**
 * A capacity update that DynamoDB accepted and finished (the table ACTIVE again), yet the table
 * does not read the values it set: a later-ending update (a retry of an earlier call that the
 * service applied twice) put other values back. The step that sent it is tried again
 * (keepTrying counts it as 'busy'); it is never taken as done.
 */
export class CapacityNotSetError extends DynxError {}

/** A bump whose restore DynamoDB's decrease quota would refuse; nothing was changed. */
export class DecreaseQuotaError extends UserInputError {
  constructor(
    message: string,
    hint: string,
    readonly allowedAt: string,
  ) {
    super(message, hint)
  }
}

/** No backup has that name or ARN (or it was deleted). */
export class BackupNotFoundError extends UserInputError {
  constructor(
    readonly backup: string,
    where: string,
  ) {
    super(`No backup named "${backup}" on ${where}.`, 'List backups with `dynx backup list` (user, system and AWS Backup ones) and pass the name or ARN shown.')
  }
}

/** A backup name that matches several backups (names are not unique in DynamoDB). */
export class AmbiguousBackupError extends UserInputError {
  constructor(
    readonly backup: string,
    readonly matches: { arn: string; table: string; createdAt?: string }[],
  ) {
    super(
      `${matches.length} backups are named "${backup}":\n${matches.map((m) => `  ${m.arn}  (table ${m.table}${m.createdAt ? `, created ${m.createdAt}` : ''})`).join('\n')}`,
      'Pass the ARN of the one you mean instead of the name.',
    )
  }
}

/** Point-in-time recovery is off on the source of a PITR restore. */
export class PitrNotEnabledError extends UserInputError {
  constructor(readonly table: string) {
    super(
      `Point-in-time recovery is not enabled on "${table}", so it has no restorable window.`,
      `Enable it with \`dynx pitr enable ${table}\` (it covers changes from then on), or restore from an on-demand backup with \`dynx backup restore\`.`,
    )
  }
}

/** DynamoDB's export to S3 ended FAILED; its reason is in the message. */
export class ExportFailedError extends DynxError {
  constructor(
    readonly exportArn: string,
    readonly failureCode: string | undefined,
    readonly failureMessage: string | undefined,
  ) {
    super(
      `Export ${exportArn} FAILED${failureCode ? ` (${failureCode})` : ''}: ${failureMessage ?? 'DynamoDB gave no reason'}.`,
      'Fix what the reason names (bucket, its policy or KMS key, the export time) and run the command again; a failed export is not followed, so a new one starts.',
    )
  }
}

/** DynamoDB's import from S3 ended FAILED or CANCELLED, or items failed to import. */
export class ImportFailedError extends DynxError {}

/** A restore time outside the table's restorable window; nothing was restored. */
export class RestoreWindowError extends UserInputError {
  constructor(
    readonly table: string,
    readonly time: string,
    readonly earliest: string,
    readonly latest: string,
  ) {
    super(
      `${time} is outside the restorable window of "${table}": ${earliest} to ${latest} (UTC).`,
      'Pick a time inside the window, or pass --latest for the latest restorable time.',
    )
  }
}

// AWS errors whose cause is the request the user made, not the tool.
const BAD_INPUT_ERRORS = new Set([
  'ValidationException',
  'LimitExceededException',
  'InvalidRestoreTimeException',
  'PointInTimeRecoveryUnavailableException',
  'InvalidExportTimeException',
  'TableAlreadyExistsException',
  'BackupInUseException',
])
const CREDENTIAL_ERRORS = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'AccessDeniedException', 'CredentialsProviderError'])

/**
 * Any failure as a DynxError with a message, a hint and a documented exit code: dynx's own errors
 * as they are, transport and unknown-operation failures named after `endpoint` (explainAwsError),
 * AWS rejecting the request as bad input (exit 2), refused credentials and anything else as a failure (exit 1).
 */
export function toDynxError(err: unknown, endpoint: string): DynxError {
  const explained = explainAwsError(err, endpoint)
  if (explained instanceof DynxError) return explained
  const e = explained as Error & { name: string }
  if (BAD_INPUT_ERRORS.has(e.name))
    return new UserInputError(`DynamoDB rejected the request: ${e.message}`, 'Fix the input named in the message; nothing was changed by the rejected call.', { cause: err })
  if (CREDENTIAL_ERRORS.has(e.name)) {
    return new DynxError(`AWS refused the credentials (${e.name}): ${e.message}`, 'Check --profile/AWS_PROFILE, refresh an SSO session with `aws sso login`, or use --local.', {
      cause: err,
    })
  }
  return new DynxError(`${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}`, undefined, { cause: err })
}
