import {
  BackupNotFoundException,
  CreateBackupCommand,
  DeleteBackupCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  LimitExceededException,
  ListBackupsCommand,
  CreateTableCommand,
  ResourceNotFoundException,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it } from 'vitest'

import { createBackup, deleteBackups } from '../../src/backup/backups.js'
import { restoreBackup } from '../../src/backup/restore.js'
import { createConnection } from '../../src/connection/clients.js'
import { RetryHeldError, singleAttempt } from '../../src/connection/idempotent.js'
import { keepTrying } from '../../src/connection/keep-trying.js'
import { TimeBoundRetryStrategy } from '../../src/connection/retry.js'
import { EndpointUnreachableError, TableExistsError } from '../../src/errors.js'
import { restoreToPointInTime } from '../../src/pitr/pitr.js'
import { updateTableAndWait } from '../../src/tables/apply.js'
import { createTable } from '../../src/tables/create.js'
import { setTimeToLive } from '../../src/tables/settings.js'
import { connect } from '../helpers.js'

/**
 * Each case stands for one thing the real service does after a reset-after-apply: the first
 * attempt was applied, its answer was lost (connection reset, timeout), and the SDK's retry met the
 * first attempt's effect. `$metadata.attempts: 2` is what the SDK sets on the error it then throws.
 */
const afterRetry = <E extends Error>(err: E): E => Object.assign(err, { $metadata: { httpStatusCode: 400, attempts: 2 } })
const named = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: 'client' as const, $metadata: { httpStatusCode: 400 } })
const notFound = () => new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} })
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })

let cleanup: Array<() => void> = []
afterEach(() => {
  for (const c of cleanup) c()
  cleanup = []
})
function fake() {
  const conn = connect('http://127.0.0.1:1')
  const mock = mockClient(conn.dynamodb)
  cleanup.push(() => {
    mock.restore()
    conn.destroy()
  })
  return { conn, mock }
}

const spec = { name: 'users', hashKey: { name: 'pk', type: 'S' as const }, rangeKey: { name: 'sk', type: 'N' as const }, billing: 'PAY_PER_REQUEST' as const }
const usersTable = (over: Partial<TableDescription> = {}): TableDescription => ({
  TableName: 'users',
  TableStatus: 'CREATING',
  TableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/users',
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'N' },
  ],
  ...over,
})

describe('CreateTable retried after it was applied (ResourceInUseException for the table the first attempt made)', () => {
  const inUse = () => named('ResourceInUseException', 'Table already exists: users')

  it('the SDK retried and the table is ours (same keys, CREATING): created, no error', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).rejectsOnce(notFound()).resolves({ Table: usersTable() })
    mock.on(CreateTableCommand).rejects(afterRetry(inUse()))
    const result = await createTable(conn, spec)
    expect(result).toMatchObject({ table: 'users', created: true, status: 'CREATING', arn: usersTable().TableArn })
  })

  it("the SDK retried but the table has other keys: someone else's, TableExistsError", async () => {
    const { conn, mock } = fake()
    mock
      .on(DescribeTableCommand)
      .rejectsOnce(notFound())
      .resolves({
        Table: usersTable({
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
        }),
      })
    mock.on(CreateTableCommand).rejects(afterRetry(inUse()))
    await expect(createTable(conn, spec)).rejects.toBeInstanceOf(TableExistsError)
  })

  it('ResourceInUseException on the only attempt (no retry): another creator won the race, TableExistsError even with the same keys', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).rejectsOnce(notFound()).resolves({ Table: usersTable() })
    mock.on(CreateTableCommand).rejects(inUse())
    await expect(createTable(conn, spec)).rejects.toBeInstanceOf(TableExistsError)
  })

  it('the SDK retried but the table is being deleted (DELETING): not ours, TableExistsError', async () => {
    const { conn, mock } = fake()
    mock
      .on(DescribeTableCommand)
      .rejectsOnce(notFound())
      .resolves({ Table: usersTable({ TableStatus: 'DELETING' }) })
    mock.on(CreateTableCommand).rejects(afterRetry(inUse()))
    await expect(createTable(conn, spec)).rejects.toBeInstanceOf(TableExistsError)
  })
})

describe('CreateBackup has no ClientToken: after a retryable failure, ListBackups is asked before it is sent again', () => {
  const now = new Date('2026-03-10T12:00:00Z')
  const name = 'users-20260310-120000'
  const backupArn = 'arn:aws:dynamodb:us-east-1:123456789012:table/users/backup/01700000000000-abcdef12'
  const summary = { TableName: 'users', BackupName: name, BackupArn: backupArn, BackupStatus: 'CREATING' as const, BackupType: 'USER' as const, BackupCreationDateTime: new Date() }

  it("the first attempt was applied and its answer lost to a reset (the SDK's retry held): the backup is found, CreateBackup is not sent again", async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock.on(CreateBackupCommand).rejects(new RetryHeldError(reset()))
    mock.on(ListBackupsCommand).resolves({ BackupSummaries: [summary] })
    const result = await createBackup(conn, ['users'], { now, checkFirst: { baseMs: 1, capMs: 5 } })
    expect(result.failed).toEqual([])
    expect(result.backups).toMatchObject([{ name, arn: backupArn, table: 'users' }])
    expect(mock.commandCalls(CreateBackupCommand)).toHaveLength(1)
    const asked = mock.commandCalls(ListBackupsCommand)[0].args[0].input
    expect(asked).toMatchObject({ TableName: 'users', BackupType: 'USER' })
  })

  it('the first attempt failed before it was applied (500): nothing found, sent once more, one backup', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock
      .on(CreateBackupCommand)
      .rejectsOnce(Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }))
      .resolves({ BackupDetails: { BackupName: name, BackupArn: backupArn, BackupStatus: 'CREATING', BackupType: 'USER', BackupCreationDateTime: new Date(), BackupSizeBytes: 0 } })
    // Another backup of the table with another name does not count.
    mock.on(ListBackupsCommand).resolves({ BackupSummaries: [{ ...summary, BackupName: 'users-manual', BackupArn: `${backupArn}x` }] })
    const result = await createBackup(conn, ['users'], { now, checkFirst: { baseMs: 1, capMs: 5 } })
    expect(result.backups).toMatchObject([{ name, arn: backupArn }])
    expect(mock.commandCalls(CreateBackupCommand)).toHaveLength(2)
  })

  it("keeps trying only for the connection's retry window (--retry-for), not the 5-minute default", async () => {
    // --retry-for 0: one failure (a 500), nothing found by ListBackups, and the window is already over.
    const conn = createConnection({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, retryWindowMs: 0 })
    const mock = mockClient(conn.dynamodb)
    cleanup.push(() => {
      mock.restore()
      conn.destroy()
    })
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock
      .on(CreateBackupCommand)
      .rejectsOnce(Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }))
      .resolves({ BackupDetails: { BackupName: name, BackupArn: backupArn, BackupStatus: 'CREATING', BackupType: 'USER', BackupCreationDateTime: new Date(), BackupSizeBytes: 0 } })
    mock.on(ListBackupsCommand).resolves({ BackupSummaries: [] })
    const result = await createBackup(conn, ['users'], { now, checkFirst: { baseMs: 1, capMs: 5 } })
    expect(result.backups).toEqual([])
    expect(result.failed).toEqual([{ table: 'users', error: 'Internal server error' }])
    expect(mock.commandCalls(CreateBackupCommand)).toHaveLength(1)
  })

  it('a refusal that is not retryable (the table is being created) is not retried or looked for', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock.on(CreateBackupCommand).rejects(named('TableInUseException', 'Table is being created'))
    const result = await createBackup(conn, ['users'], { now, checkFirst: { baseMs: 1, capMs: 5 } })
    expect(result.failed).toEqual([{ table: 'users', error: 'Table is being created' }])
    expect(mock.commandCalls(CreateBackupCommand)).toHaveLength(1)
    expect(mock.commandCalls(ListBackupsCommand)).toHaveLength(0)
  })

  it('singleAttempt: on a real SDK client, a reset makes one request only and surfaces as RetryHeldError carrying the reset', async () => {
    let requests = 0
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 5,
      requestHandler: {
        handle: async () => {
          requests++
          throw reset()
        },
      },
    })
    const command = new CreateBackupCommand({ TableName: 'users', BackupName: name })
    singleAttempt(command.middlewareStack)
    const err = await client.send(command).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RetryHeldError)
    expect(((err as RetryHeldError).firstError as { code?: string }).code).toBe('ECONNRESET')
    expect(requests).toBe(1)
    // Without it the same client retries the reset (so the middleware is what held it).
    requests = 0
    await client.send(new CreateBackupCommand({ TableName: 'users', BackupName: name })).catch(() => undefined)
    expect(requests).toBe(5)
    client.destroy()
  })
})

describe('singleAttempt under the time-bounded strategy dynx wires into every client (connection/retry.ts)', () => {
  it('a reset ("socket hang up") is not retried behind our back: one request, RetryHeldError', async () => {
    let requests = 0
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      retryStrategy: new TimeBoundRetryStrategy({ windowMs: 2_000, baseMs: 1, capMs: 5 }),
      requestHandler: {
        handle: async () => {
          requests++
          throw reset()
        },
      },
    })
    const command = new CreateBackupCommand({ TableName: 'users', BackupName: 'users-1' })
    singleAttempt(command.middlewareStack)
    const err = await client.send(command).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RetryHeldError)
    expect(requests).toBe(1)
    // The strategy gave up on the held retry at once: one attempt sent, one held.
    expect((err as { $metadata?: { attempts?: number } }).$metadata?.attempts).toBe(2)
    client.destroy()
  })
})

describe('keepTrying (the hand-written loop for what the SDK strategy cannot retry)', () => {
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })

  it('an endpoint that never answered (ECONNREFUSED) gets three tries, not the whole window', async () => {
    let tries = 0
    const err = await keepTrying(
      async () => {
        tries++
        throw refused()
      },
      { windowMs: 60_000, baseMs: 1, capMs: 2 },
    ).catch((e: unknown) => e)
    expect((err as { code?: string }).code).toBe('ECONNREFUSED')
    expect(tries).toBe(3)
  })

  it('a connect timeout (no code), wrapped as dynx wraps it, counts as never answered too: three tries', async () => {
    // What NodeHttpHandler throws when a blackholed endpoint never accepts the connection.
    const connectTimeout = () => Object.assign(new Error('Socket timed out without establishing a connection within 1000 ms'), { name: 'TimeoutError', $metadata: { attempts: 3 } })
    let tries = 0
    const err = await keepTrying(
      async () => {
        tries++
        if (tries > 5) return 'answered'
        throw new EndpointUnreachableError('http://10.255.255.1', 'no answer before the timeout, after 3 attempts', { cause: connectTimeout() })
      },
      { windowMs: 60_000, baseMs: 1, capMs: 2 },
    ).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EndpointUnreachableError)
    expect(tries).toBe(3)
  })

  it('a daily quota (billing mode once a day) stops at once; too many operations at once is waited out', async () => {
    const daily = new LimitExceededException({ message: 'Update to PayPerRequest mode are limited to once in 1 day(s).', $metadata: { httpStatusCode: 400 } })
    let tries = 0
    await expect(
      keepTrying(
        async () => {
          tries++
          throw daily
        },
        { windowMs: 10_000, baseMs: 1, capMs: 2 },
      ),
    ).rejects.toBe(daily)
    expect(tries).toBe(1)
    const concurrent = new LimitExceededException({
      message: 'Subscriber limit exceeded: Only 10 tables can be created, updated, or deleted simultaneously',
      $metadata: { httpStatusCode: 400 },
    })
    tries = 0
    const result = await keepTrying(
      async () => {
        if (++tries < 3) throw concurrent
        return 'done'
      },
      { windowMs: 10_000, baseMs: 1, capMs: 2 },
    )
    expect(result).toBe('done')
    expect(tries).toBe(3)
  })

  it('once the endpoint was reached, refusals are retried until the window ends', async () => {
    let tries = 0
    const started = Date.now()
    await expect(
      keepTrying(
        async () => {
          tries++
          throw refused()
        },
        { windowMs: 150, baseMs: 1, capMs: 5, reached: true },
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(tries).toBeGreaterThan(3)
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
  })

  it('the decrease quota and bad input are not retried', async () => {
    for (const error of [
      new LimitExceededException({ message: 'Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day.', $metadata: {} }),
      named('ValidationException', 'One or more parameter values were invalid'),
    ]) {
      let tries = 0
      await expect(
        keepTrying(
          async () => {
            tries++
            throw error
          },
          { windowMs: 10_000, baseMs: 1, capMs: 2 },
        ),
      ).rejects.toBe(error)
      expect(tries).toBe(1)
    }
  })
})

describe('restores answered TableAlreadyExistsException after a reset (the restore we started, or the name taken)', () => {
  const backupArn = 'arn:aws:dynamodb:us-east-1:123456789012:table/users/backup/01700000000000-abcdef12'
  const alreadyExists = () => named('TableAlreadyExistsException', 'Table already exists: users_restored')
  function backupMocks(mock: ReturnType<typeof fake>['mock'], target: TableDescription) {
    mock.on(DescribeBackupCommand).resolves({
      BackupDescription: {
        BackupDetails: { BackupName: 'users-1', BackupArn: backupArn, BackupStatus: 'AVAILABLE', BackupType: 'USER', BackupCreationDateTime: new Date(), BackupSizeBytes: 10 },
        SourceTableDetails: {
          TableName: 'users',
          TableId: 'id',
          KeySchema: usersTable().KeySchema,
          TableCreationDateTime: new Date(),
          ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
        },
      },
    })
    mock.on(DescribeTableCommand, { TableName: 'users_restored' }).rejectsOnce(notFound()).resolves({ Table: target })
  }

  it('RestoreTableFromBackup retried after it was applied: the table names our backup in its RestoreSummary, so the restore goes on', async () => {
    const { conn, mock } = fake()
    backupMocks(mock, usersTable({ TableName: 'users_restored', RestoreSummary: { SourceBackupArn: backupArn, RestoreDateTime: new Date(), RestoreInProgress: true } }))
    mock.on(RestoreTableFromBackupCommand).rejects(afterRetry(alreadyExists()))
    const result = await restoreBackup(conn, backupArn, 'users_restored', { reconcile: false })
    expect(result).toMatchObject({ source: 'users', target: 'users_restored', status: 'CREATING' })
  })

  it("a table of that name restored from another backup is the user's: TableExistsError, nothing else done", async () => {
    const { conn, mock } = fake()
    backupMocks(
      mock,
      usersTable({
        TableName: 'users_restored',
        TableStatus: 'ACTIVE',
        RestoreSummary: { SourceBackupArn: `${backupArn}-other`, RestoreDateTime: new Date(), RestoreInProgress: false },
      }),
    )
    mock.on(RestoreTableFromBackupCommand).rejects(afterRetry(alreadyExists()))
    await expect(restoreBackup(conn, backupArn, 'users_restored', { reconcile: false })).rejects.toBeInstanceOf(TableExistsError)
  })

  it('a plain ACTIVE table of that name (no restore) on the first attempt: TableExistsError', async () => {
    const { conn, mock } = fake()
    backupMocks(mock, usersTable({ TableName: 'users_restored', TableStatus: 'ACTIVE' }))
    mock.on(RestoreTableFromBackupCommand).rejects(alreadyExists())
    await expect(restoreBackup(conn, backupArn, 'users_restored', { reconcile: false })).rejects.toBeInstanceOf(TableExistsError)
  })

  it('RestoreTableToPointInTime retried after it was applied: still CREATING before its RestoreSummary shows, taken as ours', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand, { TableName: 'users' }).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock
      .on(DescribeTableCommand, { TableName: 'users_restored' })
      .rejectsOnce(notFound())
      .resolves({ Table: usersTable({ TableName: 'users_restored' }) })
    mock.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          EarliestRestorableDateTime: new Date(Date.now() - 3_600_000),
          LatestRestorableDateTime: new Date(),
        },
      },
    })
    mock.on(RestoreTableToPointInTimeCommand).rejects(afterRetry(alreadyExists()))
    const result = await restoreToPointInTime(conn, 'users', 'users_restored', { latest: true, reconcile: false })
    expect(result).toMatchObject({ source: 'users', target: 'users_restored', status: 'CREATING', restoredTo: 'latest' })
    // The same answer on a single attempt is someone else's table.
    mock
      .on(DescribeTableCommand, { TableName: 'users_restored' })
      .rejectsOnce(notFound())
      .resolves({ Table: usersTable({ TableName: 'users_restored' }) })
    mock.on(RestoreTableToPointInTimeCommand).rejects(alreadyExists())
    await expect(restoreToPointInTime(conn, 'users', 'users_restored', { latest: true, reconcile: false })).rejects.toBeInstanceOf(TableExistsError)
  })
})

describe('UpdateTable by apply, retried after it was applied', () => {
  const unchanged = () =>
    named(
      'ValidationException',
      'The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: 9. Requested ReadCapacityUnits: 9.',
    )
  const busy = () => named('ResourceInUseException', 'Attempt to change a resource which is still in use: Table is being updated: users')
  const input = { TableName: 'users', ProvisionedThroughput: { ReadCapacityUnits: 9, WriteCapacityUnits: 7 } }

  it('the SDK\'s retry met the table UPDATING from the first attempt (ResourceInUseException): waits for ACTIVE, sends again, "will not change" is success', async () => {
    const { conn, mock } = fake()
    mock
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: usersTable({ TableStatus: 'UPDATING' }) })
      .resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock.on(UpdateTableCommand).rejectsOnce(afterRetry(busy())).rejects(unchanged())
    await expect(updateTableAndWait(conn, input)).resolves.toBeUndefined()
    expect(mock.commandCalls(UpdateTableCommand)).toHaveLength(2)
  })

  it('"will not change" on the SDK\'s retry: success at once', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock.on(UpdateTableCommand).rejects(afterRetry(unchanged()))
    await expect(updateTableAndWait(conn, input)).resolves.toBeUndefined()
  })

  it("ResourceInUseException on the only attempt (someone else's update runs) stays an error", async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    mock.on(UpdateTableCommand).rejects(busy())
    await expect(updateTableAndWait(conn, input)).rejects.toThrow('still in use')
    expect(mock.commandCalls(UpdateTableCommand)).toHaveLength(1)
  })
})

describe('UpdateTable by apply: a retry of an applied change is checked against the table, not the error text', () => {
  const alreadyStreaming = () => named('ValidationException', 'Table already has an enabled stream: TableName: users')
  const busy = () => named('ResourceInUseException', 'Attempt to change a resource which is still in use: Table is being updated: users')
  const streamOn = { TableName: 'users', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const } }
  const streaming = usersTable({ TableStatus: 'ACTIVE', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } })

  it('stream enable applied, connection reset, the SDK\'s retry answered ValidationException "Table already has an enabled stream" (real DynamoDB): done', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: streaming })
    mock.on(UpdateTableCommand).rejects(afterRetry(alreadyStreaming()))
    await expect(updateTableAndWait(conn, streamOn)).resolves.toBeUndefined()
    expect(mock.commandCalls(UpdateTableCommand)).toHaveLength(1)
  })

  it('stream enable applied, the SDK\'s retry met the table UPDATING (ResourceInUseException): once ACTIVE the stream is there, so it is not sent again into "already has an enabled stream"', async () => {
    const { conn, mock } = fake()
    mock
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { ...streaming, TableStatus: 'UPDATING' } })
      .resolves({ Table: streaming })
    mock.on(UpdateTableCommand).rejectsOnce(afterRetry(busy())).rejects(alreadyStreaming())
    await expect(updateTableAndWait(conn, streamOn)).resolves.toBeUndefined()
  })

  it.each([
    [
      'SSE with a KMS key',
      { SSESpecification: { Enabled: true, SSEType: 'KMS' as const, KMSMasterKeyId: 'k-1' } },
      { SSEDescription: { Status: 'UPDATING' as const, SSEType: 'KMS' as const, KMSMasterKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k-1' } },
    ],
    ['table class', { TableClass: 'STANDARD_INFREQUENT_ACCESS' as const }, { TableClassSummary: { TableClass: 'STANDARD_INFREQUENT_ACCESS' as const } }],
    ['billing', { BillingMode: 'PAY_PER_REQUEST' as const }, { BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' as const } }],
  ])("%s applied, the SDK's retry refused (ValidationException): the table shows it, so done; a table that does not stays a failure", async (_, change, shown) => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE', ...shown }) })
    mock.on(UpdateTableCommand).rejects(afterRetry(named('ValidationException', 'the change is already in effect')))
    await expect(updateTableAndWait(conn, { TableName: 'users', ...change })).resolves.toBeUndefined()
    mock.on(DescribeTableCommand).resolves({ Table: usersTable({ TableStatus: 'ACTIVE' }) })
    await expect(updateTableAndWait(conn, { TableName: 'users', ...change })).rejects.toThrow('already in effect')
  })

  it('"Table already has an enabled stream" on a first attempt (a stream someone else enabled) is still an error', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: streaming })
    mock.on(UpdateTableCommand).rejects(alreadyStreaming())
    await expect(updateTableAndWait(conn, streamOn)).rejects.toThrow('already has an enabled stream')
  })

  it('on a retry, a stream of another view type is not ours: still an error', async () => {
    const { conn, mock } = fake()
    mock.on(DescribeTableCommand).resolves({ Table: { ...streaming, StreamSpecification: { StreamEnabled: true, StreamViewType: 'KEYS_ONLY' } } })
    mock.on(UpdateTableCommand).rejects(afterRetry(alreadyStreaming()))
    await expect(updateTableAndWait(conn, streamOn)).rejects.toThrow('already has an enabled stream')
  })
})

describe('settings and deletes retried after they were applied', () => {
  it('UpdateTimeToLive answered "TimeToLive is already enabled" when it is on that attribute: done', async () => {
    const { conn, mock } = fake()
    mock.on(UpdateTimeToLiveCommand).rejects(afterRetry(named('ValidationException', 'TimeToLive is already enabled')))
    mock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLING' } })
    await expect(setTimeToLive(conn, 'users', 'expiresAt', true)).resolves.toBeUndefined()
  })

  it('"TimeToLive is already enabled" on another attribute is a real refusal', async () => {
    const { conn, mock } = fake()
    mock.on(UpdateTimeToLiveCommand).rejects(named('ValidationException', 'TimeToLive is already enabled'))
    mock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' } })
    await expect(setTimeToLive(conn, 'users', 'expiresAt', true)).rejects.toThrow('TimeToLive is already enabled')
  })

  it("DeleteBackup retried after it was applied (BackupNotFoundException on the SDK's retry): deleted; on a single attempt it stays a failure", async () => {
    const { conn, mock } = fake()
    const arn = 'arn:aws:dynamodb:us-east-1:123456789012:table/users/backup/01700000000000-abcdef12'
    mock.on(DescribeBackupCommand).resolves({
      BackupDescription: {
        BackupDetails: { BackupName: 'users-1', BackupArn: arn, BackupStatus: 'AVAILABLE', BackupType: 'USER', BackupCreationDateTime: new Date(), BackupSizeBytes: 1 },
        SourceTableDetails: {
          TableName: 'users',
          TableId: 'id',
          KeySchema: usersTable().KeySchema,
          TableCreationDateTime: new Date(),
          ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
        },
      },
    })
    mock.on(DeleteBackupCommand).rejects(afterRetry(new BackupNotFoundException({ message: 'Backup not found', $metadata: {} })))
    const result = await deleteBackups(conn, [arn])
    expect(result.deleted.map((b) => b.arn)).toEqual([arn])
    expect(result.failed).toEqual([])

    mock.on(DeleteBackupCommand).rejects(new BackupNotFoundException({ message: 'Backup not found', $metadata: {} }))
    const again = await deleteBackups(conn, [arn])
    expect(again.deleted).toEqual([])
    expect(again.failed).toHaveLength(1)
  })
})
