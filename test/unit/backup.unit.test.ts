import {
  BackupNotFoundException,
  CreateBackupCommand,
  DeleteBackupCommand,
  DescribeBackupCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ListBackupsCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  ResourceNotFoundException,
  RestoreTableFromBackupCommand,
  RestoreTableToPointInTimeCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  type BackupDescription,
  type BackupSummary,
  type CreateBackupCommandInput,
  type DeleteBackupCommandInput,
  type DescribeBackupCommandInput,
  type DescribeContinuousBackupsCommandInput,
  type DescribeTableCommandInput,
  type ListBackupsCommandInput,
  type RestoreTableFromBackupCommandInput,
  type RestoreTableToPointInTimeCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it } from 'vitest'

import {
  createBackup,
  deleteBackups,
  describeBackup,
  listBackups,
  planPrune,
  reconcileRestore,
  restoreBackup,
  restoreBackupsByPrefix,
  waitForBackup,
  type BackupInfo,
  type BackupProgress,
  type PruneOptions,
} from '../../src/backup/index.js'
import { createConnection } from '../../src/connection/clients.js'
import {
  AmbiguousBackupError,
  BackupNotFoundError,
  InterruptedError,
  PitrNotEnabledError,
  RestoreWindowError,
  TableExistsError,
  TableNotFoundError,
  TimeoutWaitingError,
  UnsupportedByEngineError,
  UserInputError,
} from '../../src/errors.js'
import { pitrStatus, restoreToPointInTime, setPitr } from '../../src/pitr/index.js'
import { parseDuration, parseTime } from '../../src/time.js'
import { connect } from '../helpers.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const ACCOUNT = 'arn:aws:dynamodb:us-east-1:123456789012'
const tableArn = (table: string) => `${ACCOUNT}:table/${table}`
const backupArn = (table: string, id: string) => `${ACCOUNT}:table/${table}/backup/${id}`
const NOW = new Date('2026-03-10T12:00:00Z')

/** The settled value or the rejection reason, whichever comes; a resolve is turned into a marker error. */
const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => new Error('expected a rejection, but it resolved'),
    (e: unknown) => e,
  )
const syncFailure = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  return new Error('expected a throw, but it returned')
}

const tableNotFound = (table: string) => new ResourceNotFoundException({ message: `Requested resource not found: Table: ${table} not found`, $metadata: {} })

/** A ListBackups summary as DynamoDB sends it. */
function summary(table: string, name: string, createdIso: string, extra: Partial<BackupSummary> = {}): BackupSummary {
  return {
    TableName: table,
    TableArn: tableArn(table),
    TableId: `id-${table}`,
    BackupName: name,
    BackupArn: backupArn(table, `0${Date.parse(createdIso)}-${name}`),
    BackupCreationDateTime: new Date(createdIso),
    BackupStatus: 'AVAILABLE',
    BackupType: 'USER',
    BackupSizeBytes: 1000,
    ...extra,
  }
}

/** The DescribeBackup answer for a listed backup, as DynamoDB sends it. */
function description(s: BackupSummary, extra: Partial<NonNullable<BackupDescription['BackupDetails']>> = {}): BackupDescription {
  return {
    BackupDetails: {
      BackupArn: s.BackupArn!,
      BackupName: s.BackupName!,
      BackupStatus: s.BackupStatus!,
      BackupType: s.BackupType!,
      BackupCreationDateTime: s.BackupCreationDateTime!,
      ...(s.BackupSizeBytes !== undefined ? { BackupSizeBytes: s.BackupSizeBytes } : {}),
      ...extra,
    },
    SourceTableDetails: {
      TableName: s.TableName!,
      TableId: s.TableId!,
      TableArn: s.TableArn,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TableCreationDateTime: new Date('2026-01-01T00:00:00Z'),
      ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
      BillingMode: 'PAY_PER_REQUEST',
    },
  }
}

const activeTable = (table: string, extra: Partial<TableDescription> = {}): TableDescription => ({
  TableName: table,
  TableArn: tableArn(table),
  TableStatus: 'ACTIVE',
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  ...extra,
})

/**
 * DynamoDB's control plane for backups, faked: tables answer DescribeTable from a script (the last
 * answer repeats; a table with no script does not exist), ListBackups pages like the service, and a
 * restore makes its target table appear with the script given by restoreScript.
 */
function fakeAws() {
  const conn = connect('http://127.0.0.1:1')
  const mock = mockClient(conn.dynamodb)
  const tables = new Map<string, TableDescription[]>()
  const backups: BackupSummary[] = []
  const descriptions = new Map<string, BackupDescription[]>()
  let restoreScript: TableDescription[] = []
  let listPageSize = 100

  mock.on(DescribeTableCommand).callsFake((input: DescribeTableCommandInput) => {
    const script = tables.get(input.TableName!)
    if (!script) throw tableNotFound(input.TableName!)
    return { Table: script.length > 1 ? script.shift() : script[0] }
  })
  // Like an engine that ignores the filters: every page of every backup, LastEvaluatedBackupArn while more follow.
  mock.on(ListBackupsCommand).callsFake((input: ListBackupsCommandInput) => {
    const start = input.ExclusiveStartBackupArn
    const from = start ? backups.findIndex((b) => b.BackupArn === start) + 1 : 0
    if (start && from === 0) throw Object.assign(new Error(`Invalid ExclusiveStartBackupArn ${start}`), { name: 'ValidationException', $metadata: {} })
    const page = backups.slice(from, from + listPageSize)
    return { BackupSummaries: page, ...(from + listPageSize < backups.length ? { LastEvaluatedBackupArn: page.at(-1)!.BackupArn } : {}) }
  })
  mock.on(DescribeBackupCommand).callsFake((input: DescribeBackupCommandInput) => {
    const script = descriptions.get(input.BackupArn!)
    if (script) return { BackupDescription: script.length > 1 ? script.shift() : script[0] }
    const listed = backups.find((b) => b.BackupArn === input.BackupArn)
    if (!listed) throw new BackupNotFoundException({ message: `Backup not found: ${input.BackupArn}`, $metadata: {} })
    return { BackupDescription: description(listed) }
  })
  mock.on(DeleteBackupCommand).callsFake((input: DeleteBackupCommandInput) => {
    const listed = backups.find((b) => b.BackupArn === input.BackupArn)
    if (!listed) throw new BackupNotFoundException({ message: `Backup not found: ${input.BackupArn}`, $metadata: {} })
    return { BackupDescription: description({ ...listed, BackupStatus: 'DELETED' }) }
  })
  const restored = (target: string) => {
    if (tables.has(target)) throw Object.assign(new Error(`Table already exists: ${target}`), { name: 'TableAlreadyExistsException', $metadata: {} })
    tables.set(target, [...restoreScript])
    return {
      TableDescription: { TableName: target, TableArn: tableArn(target), TableStatus: 'CREATING' as const, RestoreSummary: { RestoreInProgress: true, RestoreDateTime: NOW } },
    }
  }
  mock.on(RestoreTableFromBackupCommand).callsFake((input: RestoreTableFromBackupCommandInput) => restored(input.TargetTableName!))
  mock.on(RestoreTableToPointInTimeCommand).callsFake((input: RestoreTableToPointInTimeCommandInput) => restored(input.TargetTableName!))

  return {
    conn,
    mock,
    tables,
    backups,
    descriptions,
    setRestoreScript: (script: TableDescription[]) => {
      restoreScript = script
    },
    setListPageSize: (n: number) => {
      listPageSize = n
    },
    /** Every call of one command, its input as sent. */
    inputs: <T>(command: abstract new (...args: never[]) => { input: T }) => mock.commandCalls(command as never).map((c) => c.args[0].input as T),
    destroy: () => {
      mock.restore()
      conn.destroy()
    },
  }
}

let cleanup: Array<() => void> = []
afterEach(() => {
  for (const c of cleanup) c()
  cleanup = []
})
function aws() {
  const a = fakeAws()
  cleanup.push(a.destroy)
  return a
}

// ---------------------------------------------------------------- 1. ListBackups

describe('listBackups (stands for DynamoDB paging ListBackups with LastEvaluatedBackupArn, and engines that ignore its filters)', () => {
  it("follows LastEvaluatedBackupArn through 3 pages, sending each page's last ARN as ExclusiveStartBackupArn, and returns every backup", async () => {
    const a = aws()
    a.setListPageSize(2)
    a.backups.push(
      summary('users', 'u1', '2026-03-01T00:00:00Z'),
      summary('users', 'u2', '2026-03-02T00:00:00Z'),
      summary('users', 'u3', '2026-03-03T00:00:00Z'),
      summary('orders', 'o1', '2026-03-04T00:00:00Z'),
      summary('orders', 'o2', '2026-03-05T00:00:00Z'),
    )
    const list = await listBackups(a.conn, { type: 'user' })
    const sent = a.inputs<ListBackupsCommandInput>(ListBackupsCommand)
    expect(sent).toHaveLength(3)
    expect(sent.map((i) => i.ExclusiveStartBackupArn)).toEqual([undefined, a.backups[1].BackupArn, a.backups[3].BackupArn])
    expect(sent[0]).toEqual({ BackupType: 'USER' })
    expect(list.map((b) => b.name).sort()).toEqual(['o1', 'o2', 'u1', 'u2', 'u3'])
    expect(list.find((b) => b.name === 'u2')).toEqual({
      name: 'u2',
      arn: a.backups[1].BackupArn,
      table: 'users',
      tableArn: tableArn('users'),
      tableId: 'id-users',
      createdAt: '2026-03-02T00:00:00.000Z',
      sizeBytes: 1000,
      status: 'AVAILABLE',
      type: 'USER',
    })
  })

  it('sorts by table name ascending, newest first within a table, and drops DELETED backups', async () => {
    const a = aws()
    a.setListPageSize(2)
    a.backups.push(
      summary('users', 'u-old', '2026-03-01T00:00:00Z'),
      summary('accounts', 'a-old', '2026-03-01T00:00:00Z'),
      summary('users', 'u-new', '2026-03-08T00:00:00Z'),
      summary('users', 'u-gone', '2026-03-09T00:00:00Z', { BackupStatus: 'DELETED' }),
      summary('accounts', 'a-new', '2026-03-07T00:00:00Z'),
      summary('users', 'u-mid', '2026-03-04T00:00:00Z', { BackupStatus: 'CREATING' }),
    )
    const list = await listBackups(a.conn)
    expect(list.map((b) => `${b.table}/${b.name}`)).toEqual(['accounts/a-new', 'accounts/a-old', 'users/u-new', 'users/u-mid', 'users/u-old'])
  })

  it('sends the filters to the service, and applies table, prefix, since, before and type itself when the service ignores them', async () => {
    const a = aws()
    a.setListPageSize(3)
    a.backups.push(
      summary('prod_users', 'keep-1', '2026-03-05T00:00:00Z'),
      summary('prod_users', 'too-old', '2026-02-27T23:59:59Z'),
      summary('prod_users', 'at-before', '2026-03-08T00:00:00Z'),
      summary('prod_users', 'at-since', '2026-03-01T00:00:00Z'),
      summary('prod_users', 'system', '2026-03-05T00:00:00Z', { BackupType: 'SYSTEM' }),
      summary('prod_orders', 'other-table', '2026-03-05T00:00:00Z'),
      summary('dev_users', 'other-prefix', '2026-03-05T00:00:00Z'),
    )
    const since = new Date('2026-03-01T00:00:00Z')
    const before = new Date('2026-03-08T00:00:00Z')
    const byTable = await listBackups(a.conn, { table: 'prod_users', since, before, type: 'user', pageSize: 3 })
    expect(a.inputs<ListBackupsCommandInput>(ListBackupsCommand)[0]).toEqual({
      TableName: 'prod_users',
      TimeRangeLowerBound: since,
      TimeRangeUpperBound: before,
      BackupType: 'USER',
      Limit: 3,
    })
    // since is inclusive, before exclusive (as DynamoDB's TimeRangeLowerBound/UpperBound).
    expect(byTable.map((b) => b.name)).toEqual(['keep-1', 'at-since'])

    const byPrefix = await listBackups(a.conn, { prefix: 'prod_', type: 'system' })
    expect(byPrefix.map((b) => b.name)).toEqual(['system'])
    const allProd = await listBackups(a.conn, { prefix: 'prod_' })
    expect(allProd.map((b) => b.name)).toEqual(['other-table', 'at-before', 'keep-1', 'system', 'at-since', 'too-old'])
  })
})

// ---------------------------------------------------------------- 2. backup CREATING -> AVAILABLE

describe('createBackup --wait (stands for a large table whose backup stays CREATING for minutes on AWS; moto makes it AVAILABLE at once)', () => {
  it('polls DescribeBackup through several CREATING answers and returns AVAILABLE with the size from the final poll', async () => {
    const a = aws()
    a.tables.set('users', [activeTable('users')])
    const arn = backupArn('users', '01773144000000-abcdef')
    a.mock.on(CreateBackupCommand).callsFake((input: CreateBackupCommandInput) => ({
      BackupDetails: { BackupArn: arn, BackupName: input.BackupName, BackupStatus: 'CREATING', BackupType: 'USER', BackupCreationDateTime: NOW },
    }))
    const listed = summary('users', 'users-20260310-120000', NOW.toISOString(), { BackupArn: arn })
    const creating = description({ ...listed, BackupStatus: 'CREATING', BackupSizeBytes: undefined })
    a.descriptions.set(arn, [creating, creating, creating, description({ ...listed, BackupSizeBytes: 987_654_321 })])
    const seen: BackupProgress[] = []
    const result = await createBackup(a.conn, ['users'], { wait: true, now: NOW, waitOptions: { intervalMs: 1 }, onProgress: (p) => seen.push(p) })

    expect(result.backups).toEqual([
      {
        name: 'users-20260310-120000',
        arn,
        table: 'users',
        tableArn: tableArn('users'),
        tableId: 'id-users',
        createdAt: NOW.toISOString(),
        sizeBytes: 987_654_321,
        status: 'AVAILABLE',
        type: 'USER',
      },
    ])
    expect(a.inputs<DescribeBackupCommandInput>(DescribeBackupCommand)).toEqual(Array(4).fill({ BackupArn: arn }))
    const waits = seen.filter((p) => p.stage === 'wait').map((p) => p.message.replace(/ \(\d+s\)$/, ''))
    expect(waits).toEqual(['users-20260310-120000: CREATING', 'users-20260310-120000: CREATING', 'users-20260310-120000: CREATING', 'users-20260310-120000: AVAILABLE'])
    expect(seen[0]).toEqual({ stage: 'create', table: 'users', message: 'backing up users as users-20260310-120000' })
  })

  it('without --wait returns the CREATING backup after one CreateBackup and no DescribeBackup', async () => {
    const a = aws()
    a.tables.set('users', [activeTable('users')])
    const arn = backupArn('users', '01773144000000-abcdef')
    a.mock
      .on(CreateBackupCommand)
      .resolves({ BackupDetails: { BackupArn: arn, BackupName: 'users-20260310-120000', BackupStatus: 'CREATING', BackupType: 'USER', BackupCreationDateTime: NOW } })
    const result = await createBackup(a.conn, ['users'], { now: NOW })
    expect(result.backups.map((b) => [b.name, b.status, b.sizeBytes])).toEqual([['users-20260310-120000', 'CREATING', undefined]])
    expect(a.mock.commandCalls(CreateBackupCommand)).toHaveLength(1)
    expect(a.mock.commandCalls(DescribeBackupCommand)).toHaveLength(0)
  })

  it('waitForBackup gives up with TimeoutWaitingError (exit 1) when the backup is still CREATING after the timeout', async () => {
    const a = aws()
    const listed = summary('users', 'slow', NOW.toISOString(), { BackupStatus: 'CREATING', BackupSizeBytes: undefined })
    a.descriptions.set(listed.BackupArn!, [description(listed)])
    const seen: string[] = []
    const err = await failure(waitForBackup(a.conn, listed.BackupArn!, { intervalMs: 1, timeoutMs: 5, onProgress: (p) => seen.push(p.message) }))
    expect(err).toBeInstanceOf(TimeoutWaitingError)
    expect((err as TimeoutWaitingError).exitCode).toBe(1)
    expect((err as Error).message).toMatch(/^Backup slow is still CREATING after \d+s\.$/)
    expect((err as TimeoutWaitingError).hint).toContain(`dynx backup describe ${listed.BackupArn}`)
    expect(a.mock.commandCalls(DescribeBackupCommand).length).toBeGreaterThanOrEqual(2)
    expect(seen.every((m) => m.startsWith('slow: CREATING'))).toBe(true)
  })
})

// ---------------------------------------------------------------- 3. restores that take a while

describe('restore waiting (stands for a restored table that is CREATING, then ACTIVE with RestoreInProgress while AWS still copies data; moto restores instantly)', () => {
  const script = (target: string): TableDescription[] => [
    activeTable(target, { TableStatus: 'CREATING', RestoreSummary: { RestoreInProgress: true, RestoreDateTime: NOW } }),
    activeTable(target, { RestoreSummary: { RestoreInProgress: true, RestoreDateTime: NOW } }),
    activeTable(target, { RestoreSummary: { RestoreInProgress: false, RestoreDateTime: NOW } }),
  ]
  const targetDescribes = (a: ReturnType<typeof aws>, target: string) => a.inputs<DescribeTableCommandInput>(DescribeTableCommand).filter((i) => i.TableName === target).length

  it('restoreBackup (reconcile off, wait on) polls DescribeTable until the restore is no longer in progress', async () => {
    const a = aws()
    const b = summary('users', 'nightly', '2026-03-09T00:00:00Z')
    a.backups.push(b)
    a.setRestoreScript(script('users_restored'))
    const seen: BackupProgress[] = []
    const result = await restoreBackup(a.conn, b.BackupArn!, 'users_restored', { reconcile: false, wait: true, waitOptions: { intervalMs: 1 }, onProgress: (p) => seen.push(p) })

    expect(a.inputs<RestoreTableFromBackupCommandInput>(RestoreTableFromBackupCommand)).toEqual([{ BackupArn: b.BackupArn, TargetTableName: 'users_restored' }])
    // 1 existence check before the restore + CREATING, ACTIVE (restore in progress), ACTIVE.
    expect(targetDescribes(a, 'users_restored')).toBe(4)
    expect(a.tables.get('users_restored')).toHaveLength(1)
    expect(seen.filter((p) => p.stage === 'wait').map((p) => p.message.replace(/ \(\d+s\)$/, ''))).toEqual([
      'restoring users_restored: CREATING, restore in progress',
      'restoring users_restored: ACTIVE, restore in progress',
      'restoring users_restored: ACTIVE',
    ])
    expect(result).toMatchObject({
      source: 'users',
      target: 'users_restored',
      status: 'ACTIVE',
      targetArn: tableArn('users_restored'),
      backup: { name: 'nightly', arn: b.BackupArn },
    })
    expect(result.reconcile).toBeUndefined()
  })

  it('restoreToPointInTime (reconcile off, wait on) polls DescribeTable until the restore is no longer in progress', async () => {
    const a = aws()
    a.tables.set('users', [activeTable('users')])
    a.mock.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          EarliestRestorableDateTime: new Date(NOW.getTime() - 7 * DAY),
          LatestRestorableDateTime: new Date(NOW.getTime() - 5 * MIN),
          RecoveryPeriodInDays: 35,
        },
      },
    })
    a.setRestoreScript(script('users_pitr'))
    const seen: string[] = []
    const result = await restoreToPointInTime(a.conn, 'users', 'users_pitr', {
      latest: true,
      reconcile: false,
      wait: true,
      waitOptions: { intervalMs: 1 },
      onProgress: (p) => seen.push(p.message),
    })
    expect(a.mock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(1)
    expect(targetDescribes(a, 'users_pitr')).toBe(4)
    expect(seen.filter((m) => m.startsWith('restoring users_pitr:')).map((m) => m.replace(/ \(\d+s\)$/, ''))).toEqual([
      'restoring users_pitr: CREATING, restore in progress',
      'restoring users_pitr: ACTIVE, restore in progress',
      'restoring users_pitr: ACTIVE',
    ])
    expect(result).toMatchObject({ source: 'users', target: 'users_pitr', status: 'ACTIVE', restoredTo: 'latest' })
  })

  it('reconcile off and wait off: returns CREATING right after the one restore call, without polling', async () => {
    const a = aws()
    const b = summary('users', 'nightly', '2026-03-09T00:00:00Z')
    a.backups.push(b)
    a.setRestoreScript(script('users_restored'))
    const result = await restoreBackup(a.conn, b.BackupArn!, 'users_restored', { reconcile: false, wait: false })
    expect(result.status).toBe('CREATING')
    expect(result.targetArn).toBe(tableArn('users_restored'))
    expect(a.mock.commandCalls(RestoreTableFromBackupCommand)).toHaveLength(1)
    // Only the existence check before the restore.
    expect(targetDescribes(a, 'users_restored')).toBe(1)
    expect(a.tables.get('users_restored')).toHaveLength(3)
  })

  it('Ctrl-C while waiting on a restore that takes hours: InterruptedError (exit 130) saying the restore goes on and naming `dynx backup reconcile TARGET`; nothing reconciled', async () => {
    const a = aws()
    const b = summary('users', 'nightly', '2026-03-09T00:00:00Z')
    a.backups.push(b)
    // Stays CREATING for as long as anyone polls.
    a.setRestoreScript([activeTable('users_restored', { TableStatus: 'CREATING', RestoreSummary: { RestoreInProgress: true, RestoreDateTime: NOW } })])
    const stop = new AbortController()
    const seen: string[] = []
    const err = await failure(
      restoreBackup(a.conn, b.BackupArn!, 'users_restored', {
        waitOptions: { intervalMs: 5, signal: stop.signal },
        onProgress: (p) => {
          seen.push(p.stage)
          if (seen.filter((s) => s === 'wait').length === 3) stop.abort('SIGINT')
        },
      }),
    )
    expect(err).toBeInstanceOf(InterruptedError)
    expect((err as InterruptedError).exitCode).toBe(130)
    expect((err as InterruptedError).message).toContain('the restore goes on in DynamoDB')
    expect((err as InterruptedError).hint).toContain('dynx backup reconcile users_restored')
    expect(seen).not.toContain('reconcile')
    expect(a.mock.commandCalls(RestoreTableFromBackupCommand)).toHaveLength(1)
  })

  it('Ctrl-C during a prefix restore: restores already started are named, queued ones are not started, exit 130', async () => {
    const a = aws()
    for (const t of ['p_a', 'p_b', 'p_c']) {
      a.tables.set(t, [activeTable(t)])
      a.backups.push(summary(t, `${t}-nightly`, '2026-03-09T00:00:00Z'))
    }
    a.mock.on(ListTablesCommand).resolves({ TableNames: ['p_a', 'p_b', 'p_c'] })
    a.setRestoreScript([activeTable('x', { TableStatus: 'CREATING', RestoreSummary: { RestoreInProgress: true, RestoreDateTime: NOW } })])
    const stop = new AbortController()
    const err = await failure(
      restoreBackupsByPrefix(a.conn, {
        prefix: 'p_',
        toPrefix: 'q_',
        concurrency: 1,
        waitOptions: { intervalMs: 5, signal: stop.signal },
        // Ctrl-C while the first restore is being started: it goes on, the others never start.
        onProgress: (p) => {
          if (p.stage === 'restore') stop.abort('SIGINT')
        },
      }),
    )
    expect(err).toBeInstanceOf(InterruptedError)
    expect((err as InterruptedError).message).toMatch(/1 restores go on in DynamoDB \(q_a\); not started: q_b, q_c/)
    expect(a.inputs<RestoreTableFromBackupCommandInput>(RestoreTableFromBackupCommand).map((i) => i.TargetTableName)).toEqual(['q_a'])
  })
})

describe('reconcileRestore (stands for finishing a restore AWS took hours over, after --no-reconcile or an interrupted wait)', () => {
  it('a table without a RestoreSummary and no --source: UserInputError naming --source, nothing changed', async () => {
    const a = aws()
    a.tables.set('plain', [activeTable('plain')])
    const err = await failure(reconcileRestore(a.conn, 'plain'))
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as UserInputError).hint).toContain('dynx backup reconcile plain --source SOURCE')
    expect(a.mock.commandCalls(UpdateTableCommand)).toHaveLength(0)
  })

  it('waits for the restore to finish before reconciling, and reads the source from RestoreSummary.SourceTableArn', async () => {
    const a = aws()
    a.tables.set('users', [activeTable('users', { BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } })])
    const summaryOf = { SourceTableArn: tableArn('users'), RestoreDateTime: NOW }
    a.tables.set('users_r', [
      // The first answer is the read that finds the source; the wait polls the rest.
      activeTable('users_r', { RestoreSummary: { ...summaryOf, RestoreInProgress: true } }),
      activeTable('users_r', { RestoreSummary: { ...summaryOf, RestoreInProgress: true } }),
      activeTable('users_r', { RestoreSummary: { ...summaryOf, RestoreInProgress: false }, BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } }),
    ])
    for (const c of [DescribeTimeToLiveCommand, DescribeContinuousBackupsCommand, ListTagsOfResourceCommand])
      a.mock.on(c as never).callsFake(() => {
        throw Object.assign(new Error('UnknownOperationException'), { name: 'UnknownOperationException', $metadata: {} })
      })
    const seen: string[] = []
    const result = await reconcileRestore(a.conn, 'users_r', { waitOptions: { intervalMs: 1 }, onProgress: (p) => seen.push(`${p.stage}: ${p.message.replace(/ \(\d+s\)$/, '')}`) })
    expect(seen.filter((m) => m.startsWith('wait'))).toEqual(['wait: restoring users_r: ACTIVE, restore in progress', 'wait: restoring users_r: ACTIVE'])
    expect(result).toMatchObject({ target: 'users_r', from: 'table', source: 'users', failed: false })
  })
})

// ---------------------------------------------------------------- 4. restorable window

describe('restoreToPointInTime checks (stands for AWS refusing a time outside the restorable window with InvalidRestoreTimeException, which moto does not)', () => {
  const EARLIEST = new Date('2026-03-03T12:00:00Z')
  const LATEST = new Date('2026-03-10T11:55:00Z')
  function pitrAws(status: 'ENABLED' | 'DISABLED' = 'ENABLED') {
    const a = aws()
    a.tables.set('users', [activeTable('users')])
    a.mock.on(DescribeContinuousBackupsCommand).callsFake((input: DescribeContinuousBackupsCommandInput) => {
      if (input.TableName !== 'users') throw tableNotFound(input.TableName!)
      return {
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription:
            status === 'ENABLED'
              ? { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: EARLIEST, LatestRestorableDateTime: LATEST, RecoveryPeriodInDays: 7 }
              : { PointInTimeRecoveryStatus: 'DISABLED' },
        },
      }
    })
    a.setRestoreScript([activeTable('users_pitr')])
    return a
  }

  it('a time before the earliest restorable time: RestoreWindowError (exit 2) naming both ends, and no restore sent', async () => {
    const a = pitrAws()
    const err = await failure(restoreToPointInTime(a.conn, 'users', 'users_pitr', { time: new Date(EARLIEST.getTime() - 1000), reconcile: false }))
    expect(err).toBeInstanceOf(RestoreWindowError)
    expect((err as RestoreWindowError).exitCode).toBe(2)
    expect((err as Error).message).toContain('2026-03-03T12:00:00.000Z')
    expect((err as Error).message).toContain('2026-03-10T11:55:00.000Z')
    expect((err as Error).message).toContain('2026-03-03T11:59:59.000Z')
    expect(a.mock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0)
  })

  it('a time after the latest restorable time (e.g. "now", 5 minutes past it): RestoreWindowError, and no restore sent', async () => {
    const a = pitrAws()
    const err = await failure(restoreToPointInTime(a.conn, 'users', 'users_pitr', { time: NOW, reconcile: false }))
    expect(err).toBeInstanceOf(RestoreWindowError)
    expect((err as RestoreWindowError).exitCode).toBe(2)
    expect((err as Error).message).toMatch(/2026-03-03T12:00:00\.000Z.*2026-03-10T11:55:00\.000Z/)
    expect(a.mock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0)
  })

  it('a time inside the window sends RestoreDateTime (and no UseLatestRestorableTime)', async () => {
    const a = pitrAws()
    const time = new Date('2026-03-05T08:30:00Z')
    const result = await restoreToPointInTime(a.conn, 'users', 'users_pitr', { time, reconcile: false })
    expect(a.inputs<RestoreTableToPointInTimeCommandInput>(RestoreTableToPointInTimeCommand)).toEqual([
      { SourceTableName: 'users', TargetTableName: 'users_pitr', RestoreDateTime: time },
    ])
    expect(result).toMatchObject({ restoredTo: '2026-03-05T08:30:00.000Z', status: 'CREATING', window: { earliest: EARLIEST.toISOString(), latest: LATEST.toISOString() } })
  })

  it('the window ends themselves are restorable', async () => {
    const a = pitrAws()
    await restoreToPointInTime(a.conn, 'users', 'users_pitr', { time: EARLIEST, reconcile: false })
    a.tables.delete('users_pitr')
    await restoreToPointInTime(a.conn, 'users', 'users_pitr', { time: LATEST, reconcile: false })
    expect(a.inputs<RestoreTableToPointInTimeCommandInput>(RestoreTableToPointInTimeCommand).map((i) => i.RestoreDateTime)).toEqual([EARLIEST, LATEST])
  })

  it('latest sends UseLatestRestorableTime (and no RestoreDateTime)', async () => {
    const a = pitrAws()
    await restoreToPointInTime(a.conn, 'users', 'users_pitr', { latest: true, reconcile: false })
    expect(a.inputs<RestoreTableToPointInTimeCommandInput>(RestoreTableToPointInTimeCommand)).toEqual([
      { SourceTableName: 'users', TargetTableName: 'users_pitr', UseLatestRestorableTime: true },
    ])
  })

  it('PITR disabled on the source: PitrNotEnabledError (exit 2), nothing restored', async () => {
    const a = pitrAws('DISABLED')
    const err = await failure(restoreToPointInTime(a.conn, 'users', 'users_pitr', { latest: true, reconcile: false }))
    expect(err).toBeInstanceOf(PitrNotEnabledError)
    expect((err as PitrNotEnabledError).exitCode).toBe(2)
    expect((err as PitrNotEnabledError).table).toBe('users')
    expect(a.mock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0)
  })

  it('an existing target table: TableExistsError (exit 2), nothing restored', async () => {
    const a = pitrAws()
    a.tables.set('users_pitr', [activeTable('users_pitr')])
    const err = await failure(restoreToPointInTime(a.conn, 'users', 'users_pitr', { latest: true, reconcile: false }))
    expect(err).toBeInstanceOf(TableExistsError)
    expect((err as TableExistsError).table).toBe('users_pitr')
    expect((err as TableExistsError).exitCode).toBe(2)
    expect(a.mock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0)
  })

  it('neither or both of time and latest: UserInputError before any call', async () => {
    const a = pitrAws()
    const neither = await failure(restoreToPointInTime(a.conn, 'users', 'users_pitr', { reconcile: false }))
    const both = await failure(restoreToPointInTime(a.conn, 'users', 'users_pitr', { time: new Date('2026-03-05T00:00:00Z'), latest: true, reconcile: false }))
    for (const err of [neither, both]) {
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as Error).message).toBe('Say when to restore to: exactly one of --time, --ago and --latest.')
    }
    expect(a.mock.calls()).toHaveLength(0)
  })

  it('an unknown source table: TableNotFoundError, nothing restored', async () => {
    const a = pitrAws()
    const err = await failure(restoreToPointInTime(a.conn, 'ghost', 'users_pitr', { latest: true, reconcile: false }))
    expect(err).toBeInstanceOf(TableNotFoundError)
    expect((err as TableNotFoundError).table).toBe('ghost')
    expect(a.mock.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0)
  })
})

// ---------------------------------------------------------------- 5. ambiguous and unknown backup names

describe('backup names (stands for DynamoDB allowing many backups with one name, and BackupNotFoundException for an unknown ARN)', () => {
  function namedAws() {
    const a = aws()
    const nightlyUsers = summary('users', 'nightly', '2026-03-09T00:00:00Z')
    const nightlyOrders = summary('orders', 'nightly', '2026-03-09T00:05:00Z')
    const weekly = summary('users', 'weekly', '2026-03-08T00:00:00Z')
    a.backups.push(nightlyUsers, weekly, nightlyOrders)
    return { a, nightlyUsers, nightlyOrders, weekly }
  }
  const expectAmbiguous = (err: unknown, arns: string[]) => {
    expect(err).toBeInstanceOf(AmbiguousBackupError)
    expect((err as AmbiguousBackupError).exitCode).toBe(2)
    expect((err as Error).message).toMatch(/^2 backups are named "nightly":/)
    for (const arn of arns) expect((err as Error).message).toContain(arn)
    expect((err as AmbiguousBackupError).matches.map((m) => m.arn).sort()).toEqual([...arns].sort())
  }

  it('describeBackup by a name two backups share: AmbiguousBackupError listing both ARNs', async () => {
    const { a, nightlyUsers, nightlyOrders } = namedAws()
    expectAmbiguous(await failure(describeBackup(a.conn, 'nightly')), [nightlyUsers.BackupArn!, nightlyOrders.BackupArn!])
    expect(a.mock.commandCalls(DescribeBackupCommand)).toHaveLength(0)
  })

  it('describeBackup by a unique name describes that backup', async () => {
    const { a, weekly } = namedAws()
    const d = await describeBackup(a.conn, 'weekly')
    expect(d).toMatchObject({ name: 'weekly', arn: weekly.BackupArn, table: 'users', keys: 'pk', billingMode: 'PAY_PER_REQUEST' })
    expect(a.inputs<DescribeBackupCommandInput>(DescribeBackupCommand)).toEqual([{ BackupArn: weekly.BackupArn }])
  })

  it('deleteBackups with an ambiguous name among the refs: AmbiguousBackupError, and no DeleteBackup sent (not even for the good ref)', async () => {
    const { a, nightlyUsers, nightlyOrders } = namedAws()
    let asked = false
    const err = await failure(
      deleteBackups(a.conn, ['weekly', 'nightly'], {
        beforeDelete: () => {
          asked = true
        },
      }),
    )
    expectAmbiguous(err, [nightlyUsers.BackupArn!, nightlyOrders.BackupArn!])
    expect(asked).toBe(false)
    expect(a.mock.commandCalls(DeleteBackupCommand)).toHaveLength(0)
  })

  it('deleteBackups by the ARN of one of the same-named backups deletes exactly that one', async () => {
    const { a, nightlyOrders } = namedAws()
    const result = await deleteBackups(a.conn, [nightlyOrders.BackupArn!])
    expect(a.inputs<DeleteBackupCommandInput>(DeleteBackupCommand)).toEqual([{ BackupArn: nightlyOrders.BackupArn }])
    expect(result.deleted.map((b) => [b.name, b.table])).toEqual([['nightly', 'orders']])
    expect(result.failed).toEqual([])
  })

  it('restoreBackup by an ambiguous name: AmbiguousBackupError, no restore sent', async () => {
    const { a, nightlyUsers, nightlyOrders } = namedAws()
    expectAmbiguous(await failure(restoreBackup(a.conn, 'nightly', 'users_restored', { reconcile: false })), [nightlyUsers.BackupArn!, nightlyOrders.BackupArn!])
    expect(a.mock.commandCalls(RestoreTableFromBackupCommand)).toHaveLength(0)
  })

  it('an unknown name: BackupNotFoundError (exit 2) from describe, delete and restore, and nothing deleted or restored', async () => {
    const { a } = namedAws()
    for (const p of [describeBackup(a.conn, 'nope'), deleteBackups(a.conn, ['weekly', 'nope']), restoreBackup(a.conn, 'nope', 'users_restored', { reconcile: false })]) {
      const err = await failure(p)
      expect(err).toBeInstanceOf(BackupNotFoundError)
      expect((err as BackupNotFoundError).exitCode).toBe(2)
      expect((err as BackupNotFoundError).backup).toBe('nope')
    }
    expect(a.mock.commandCalls(DeleteBackupCommand)).toHaveLength(0)
    expect(a.mock.commandCalls(RestoreTableFromBackupCommand)).toHaveLength(0)
  })

  it('BackupNotFoundException from DescribeBackup on an ARN: BackupNotFoundError naming the ARN, nothing deleted', async () => {
    const { a } = namedAws()
    const ghost = backupArn('users', '01700000000000-deadbeef')
    const described = await failure(describeBackup(a.conn, ghost))
    expect(described).toBeInstanceOf(BackupNotFoundError)
    expect((described as BackupNotFoundError).backup).toBe(ghost)
    expect((described as Error).message).toBe(`No backup named "${ghost}" on http://127.0.0.1:1.`)
    const deleted = await failure(deleteBackups(a.conn, [ghost]))
    expect(deleted).toBeInstanceOf(BackupNotFoundError)
    expect(a.inputs<DescribeBackupCommandInput>(DescribeBackupCommand)).toEqual([{ BackupArn: ghost }, { BackupArn: ghost }])
    expect(a.mock.commandCalls(DeleteBackupCommand)).toHaveLength(0)
  })
})

// ---------------------------------------------------------------- 6. planPrune

describe('planPrune (pure: which user backups a prune deletes)', () => {
  const info = (table: string, name: string, daysAgo: number, extra: Partial<BackupInfo> = {}): BackupInfo => ({
    name,
    arn: backupArn(table, name),
    table,
    createdAt: new Date(NOW.getTime() - daysAgo * DAY).toISOString(),
    status: 'AVAILABLE',
    type: 'USER',
    ...extra,
  })
  // users: 1, 5, 9 and 18 days old; orders: only old ones (37 and 40 days).
  const backups = [
    info('p_users', 'u9', 9),
    info('p_orders', 'o40', 40),
    info('p_users', 'u1', 1),
    info('p_users', 'u18', 18),
    info('p_orders', 'o37', 37),
    info('p_users', 'u5', 5),
  ]
  const names = (options: Omit<PruneOptions, 'prefix' | 'now'>, list = backups) =>
    planPrune(list, { prefix: 'p_', now: NOW, ...options }).tables.map(
      (t) => `${t.table} keep=${t.keep.map((b) => b.name).join(',')} delete=${t.delete.map((b) => b.name).join(',')}`,
    )

  it('a table deleted and re-created under the same name (another TableId): its last backups are counted apart and keep their newest', () => {
    const mixed = [
      info('p_users', 'old-a', 30, { tableId: 'old' }),
      info('p_users', 'old-b', 20, { tableId: 'old' }),
      info('p_users', 'new-a', 2, { tableId: 'new' }),
      info('p_users', 'new-b', 1, { tableId: 'new' }),
    ]
    const plan = planPrune(mixed, { prefix: 'p_', now: NOW, keep: 1 })
    expect(plan.tables.map((t) => [t.tableId, t.keep.map((b) => b.name), t.delete.map((b) => b.name)])).toEqual([
      ['new', ['new-b'], ['new-a']],
      ['old', ['old-b'], ['old-a']],
    ])
  })

  it('--keep N keeps the newest N of each table and deletes the rest', () => {
    expect(names({ keep: 2 })).toEqual(['p_orders keep=o37,o40 delete=', 'p_users keep=u1,u5 delete=u9,u18'])
    expect(names({ keep: 1 })).toEqual(['p_orders keep=o37 delete=o40', 'p_users keep=u1 delete=u5,u9,u18'])
  })

  it('--older-than deletes only older backups, but always keeps the newest of each table', () => {
    expect(names({ olderThanMs: 7 * DAY })).toEqual(['p_orders keep=o37 delete=o40', 'p_users keep=u1,u5 delete=u9,u18'])
  })

  it('--keep 0 (given explicitly) allows deleting every backup, with or without an age', () => {
    expect(names({ keep: 0 })).toEqual(['p_orders keep= delete=o37,o40', 'p_users keep= delete=u1,u5,u9,u18'])
    expect(names({ keep: 0, olderThanMs: 7 * DAY })).toEqual(['p_orders keep= delete=o37,o40', 'p_users keep=u1,u5 delete=u9,u18'])
  })

  it('--keep with --older-than deletes only what both rules give up', () => {
    // keep 3: u9 is old but among the newest 3, so it stays.
    expect(names({ keep: 3, olderThanMs: 7 * DAY })).toEqual(['p_orders keep=o37,o40 delete=', 'p_users keep=u1,u5,u9 delete=u18'])
    // keep 1: u5 is beyond the newest 1 but younger than 7 days, so it stays.
    expect(names({ keep: 1, olderThanMs: 7 * DAY })).toEqual(['p_orders keep=o37 delete=o40', 'p_users keep=u1,u5 delete=u9,u18'])
  })

  it('only USER backups that are AVAILABLE count: system, AWS Backup and unfinished ones are neither kept nor deleted, nor count as the newest', () => {
    const mixed = [
      ...backups.filter((b) => b.table === 'p_users'),
      info('p_users', 'system-old', 30, { type: 'SYSTEM' }),
      info('p_users', 'vault-old', 30, { type: 'AWS_BACKUP' }),
      info('p_users', 'creating-new', 0, { status: 'CREATING' }),
      info('p_users', 'creating-old', 30, { status: 'CREATING' }),
    ]
    expect(names({ keep: 1 }, mixed)).toEqual(['p_users keep=u1 delete=u5,u9,u18'])
    expect(names({ keep: 0 }, mixed)).toEqual(['p_users keep= delete=u1,u5,u9,u18'])
  })

  it('negative or fractional --keep, and no rule at all, are UserInputErrors (exit 2)', () => {
    const cases: Array<[PruneOptions, RegExp]> = [
      [{ table: 'p_users', keep: -1 }, /^--keep -1 is not a whole number/],
      [{ table: 'p_users', keep: 1.5 }, /^--keep 1\.5 is not a whole number/],
      [{ table: 'p_users', keep: -2, olderThanMs: DAY }, /^--keep -2 is not a whole number/],
      [{ table: 'p_users' }, /^Prune needs --keep N or --older-than AGE\.$/],
      [{ keep: 1 }, /^Prune needs exactly one of --table and --prefix\.$/],
    ]
    for (const [options, message] of cases) {
      const err = syncFailure(() => planPrune(backups, options))
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as UserInputError).exitCode).toBe(2)
      expect((err as Error).message).toMatch(message)
    }
  })
})

// ---------------------------------------------------------------- 7. backup names from templates

describe('createBackup names (stands for DynamoDB rejecting invalid BackupName values and unknown tables with errors moto words differently)', () => {
  function createAws() {
    const a = aws()
    a.tables.set('users', [activeTable('users')])
    a.tables.set('orders', [activeTable('orders')])
    a.mock.on(CreateBackupCommand).callsFake((input: CreateBackupCommandInput) => ({
      BackupDetails: {
        BackupArn: backupArn(input.TableName!, `01-${input.BackupName}`),
        BackupName: input.BackupName,
        BackupStatus: 'AVAILABLE',
        BackupType: 'USER',
        BackupCreationDateTime: NOW,
        BackupSizeBytes: 10,
      },
    }))
    return a
  }
  const at = new Date('2026-01-02T03:04:05.678Z')

  it('the default name is {table}-{yyyyMMdd}-{HHmmss} in UTC', async () => {
    const a = createAws()
    const result = await createBackup(a.conn, ['users', 'orders'], { now: at })
    expect(
      a
        .inputs<CreateBackupCommandInput>(CreateBackupCommand)
        .map((i) => `${i.TableName}:${i.BackupName}`)
        .sort(),
    ).toEqual(['orders:orders-20260102-030405', 'users:users-20260102-030405'])
    expect(result.backups.map((b) => b.name)).toEqual(['users-20260102-030405', 'orders-20260102-030405'])
  })

  it('the default name uses the UTC date even where the local date differs', async () => {
    const saved = process.env.TZ
    process.env.TZ = 'Pacific/Kiritimati' // UTC+14: local 2026-01-02 17:04
    try {
      const a = createAws()
      await createBackup(a.conn, ['users'], { now: new Date('2026-01-01T23:30:00Z') })
      expect(a.inputs<CreateBackupCommandInput>(CreateBackupCommand).map((i) => i.BackupName)).toEqual(['users-20260101-233000'])
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })

  it('a template with {table}, {date} and {time} fills each in', async () => {
    const a = createAws()
    await createBackup(a.conn, ['users'], { now: at, name: 'before-migration.{table}.{date}T{time}' })
    expect(a.inputs<CreateBackupCommandInput>(CreateBackupCommand).map((i) => i.BackupName)).toEqual(['before-migration.users.20260102T030405'])
  })

  it('an unknown placeholder, no {table} for 2 tables, or an invalid resulting name: UserInputError, nothing read or created', async () => {
    const a = createAws()
    const cases: Array<[string[], string, RegExp]> = [
      [['users'], '{table}-{day}', /^--name "\{table\}-\{day\}" uses \{day\}, which is not a placeholder\.$/],
      [['users', 'orders'], 'before-migration-{date}', /has no \{table\}, so all 2 backups would get the same name/],
      [['users'], '{table} before migration', /^Backup name "users before migration" is not valid/],
      [['users'], 'x', /^Backup name "x" is not valid/],
      [['users'], `{table}-${'a'.repeat(250)}`, /is not valid: DynamoDB wants 3 to 255/],
    ]
    for (const [tables, name, message] of cases) {
      const err = await failure(createBackup(a.conn, tables, { name, now: at }))
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as UserInputError).exitCode).toBe(2)
      expect((err as Error).message).toMatch(message)
    }
    expect(a.mock.calls()).toHaveLength(0)
  })

  it('an unknown table among several (DescribeTable answers ResourceNotFoundException): TableNotFoundError, no CreateBackup for any', async () => {
    const a = createAws()
    const err = await failure(createBackup(a.conn, ['users', 'ghost', 'orders'], { now: at }))
    expect(err).toBeInstanceOf(TableNotFoundError)
    expect((err as TableNotFoundError).table).toBe('ghost')
    expect((err as TableNotFoundError).exitCode).toBe(2)
    expect(a.mock.commandCalls(CreateBackupCommand)).toHaveLength(0)
  })

  it('a CreateBackup that fails for one table (e.g. BackupInUseException) is reported with the backups that were made', async () => {
    const a = createAws()
    a.mock
      .on(CreateBackupCommand, { TableName: 'orders' })
      .rejects(Object.assign(new Error('Backup is being created for table orders'), { name: 'BackupInUseException', $metadata: {} }))
    const result = await createBackup(a.conn, ['users', 'orders'], { now: at })
    expect(result.backups.map((b) => [b.name, b.arn])).toEqual([['users-20260102-030405', backupArn('users', '01-users-20260102-030405')]])
    expect(result.failed).toEqual([{ table: 'orders', error: 'Backup is being created for table orders' }])
  })
})

// ---------------------------------------------------------------- 8. durations and times

describe('parseDuration and parseTime (--older-than, --ago, --time, --since)', () => {
  it('parses durations with a unit into milliseconds', () => {
    expect(parseDuration('90s', '--older-than')).toBe(90_000)
    expect(parseDuration('15m', '--older-than')).toBe(15 * MIN)
    expect(parseDuration('2h', '--older-than')).toBe(2 * HOUR)
    expect(parseDuration('7d', '--older-than')).toBe(7 * DAY)
    expect(parseDuration('2w', '--older-than')).toBe(14 * DAY)
  })

  it('refuses a bare number, a negative, garbage and zero as UserInputError naming the flag', () => {
    for (const text of ['30', '-1d', 'abc', '0s']) {
      const err = syncFailure(() => parseDuration(text, '--older-than'))
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as UserInputError).exitCode).toBe(2)
      expect((err as Error).message).toBe(`--older-than "${text}" is not a duration.`)
    }
  })

  it('parses ISO 8601 with Z and with an offset', () => {
    expect(parseTime('2026-11-20T15:00:00Z', '--time').toISOString()).toBe('2026-11-20T15:00:00.000Z')
    expect(parseTime('2026-11-20T15:00:00+01:00', '--time').toISOString()).toBe('2026-11-20T14:00:00.000Z')
    expect(parseTime('2026-11-20T15:00:00.250-05:30', '--time').toISOString()).toBe('2026-11-20T20:30:00.250Z')
  })

  it('reads a date-time without an offset, and a date alone (midnight), as UTC even when the local zone is not UTC', () => {
    const saved = process.env.TZ
    process.env.TZ = 'Asia/Kolkata' // UTC+05:30
    try {
      expect(parseTime('2026-11-20T15:00:00', '--time').toISOString()).toBe('2026-11-20T15:00:00.000Z')
      expect(parseTime('2026-11-20T15:00', '--time').toISOString()).toBe('2026-11-20T15:00:00.000Z')
      expect(parseTime('2026-11-20', '--time').toISOString()).toBe('2026-11-20T00:00:00.000Z')
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })

  it('reads the space-separated form "2026-11-20 15:00:00" (no offset) as UTC too, not as local time', () => {
    const saved = process.env.TZ
    process.env.TZ = 'Asia/Kolkata' // UTC+05:30
    try {
      // Either refused or read as UTC; silently taking it as local time restores the wrong moment.
      let parsed: string | undefined
      try {
        parsed = parseTime('2026-11-20 15:00:00', '--time').toISOString()
      } catch (e) {
        expect(e).toBeInstanceOf(UserInputError)
        return
      }
      expect(parsed).toBe('2026-11-20T15:00:00.000Z')
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
  })

  it('refuses a day that does not exist (2026-02-30) instead of rolling it into March', () => {
    for (const text of ['2026-02-30T10:00:00Z', '2026-02-29', '2026-13-01T00:00:00Z', '2026-04-31 12:00']) {
      expect(
        syncFailure(() => parseTime(text, '--time')),
        text,
      ).toBeInstanceOf(UserInputError)
    }
    expect(parseTime('2028-02-29T10:00:00Z', '--time').toISOString()).toBe('2028-02-29T10:00:00.000Z')
  })

  it('reads a duration as that long before the given now', () => {
    expect(parseTime('2h', '--ago', NOW).toISOString()).toBe('2026-03-10T10:00:00.000Z')
    expect(parseTime('7d', '--since', NOW).toISOString()).toBe('2026-03-03T12:00:00.000Z')
    expect(parseTime('90s', '--ago', NOW).toISOString()).toBe('2026-03-10T11:58:30.000Z')
  })

  it('refuses garbage and impossible dates as UserInputError naming the flag', () => {
    for (const text of ['yesterday', 'abc', '', '2026-13-45', '2026-11-20T25:00:00Z', '1700000000']) {
      const err = syncFailure(() => parseTime(text, '--time', NOW))
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as Error).message).toBe(`--time "${text}" is neither an ISO 8601 time nor a duration.`)
    }
  })
})

// ---------------------------------------------------------------- 9. setPitr

describe('setPitr (stands for DynamoDB refusing RecoveryPeriodInDays outside 1-35, and PITR changes moto does not validate)', () => {
  function pitrAws(days?: number) {
    const a = aws()
    a.mock.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription:
          days !== undefined
            ? { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: new Date(NOW.getTime() - DAY), LatestRestorableDateTime: NOW, RecoveryPeriodInDays: days }
            : { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    })
    a.mock.on(UpdateContinuousBackupsCommand).resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED' } })
    return a
  }

  it('--recovery-days 0, 36 or 1.5: UserInputError (exit 2), nothing read or sent', async () => {
    const a = pitrAws()
    for (const days of [0, 36, 1.5]) {
      const err = await failure(setPitr(a.conn, ['users'], true, { recoveryDays: days }))
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as UserInputError).exitCode).toBe(2)
      expect((err as Error).message).toBe(`--recovery-days ${days} is out of range.`)
    }
    expect(a.mock.calls()).toHaveLength(0)
  })

  it('--recovery-days with disable: UserInputError, nothing sent', async () => {
    const a = pitrAws(35)
    const err = await failure(setPitr(a.conn, ['users'], false, { recoveryDays: 7 }))
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as Error).message).toBe('--recovery-days applies to enable only.')
    expect(a.mock.calls()).toHaveLength(0)
  })

  it('a table already enabled with the same recovery period is left alone: changed false, no UpdateContinuousBackups', async () => {
    const a = pitrAws(35)
    const result = await setPitr(a.conn, ['users'], true, { recoveryDays: 35 })
    expect(result.tables).toHaveLength(1)
    expect(result.tables[0]).toMatchObject({ table: 'users', changed: false, before: { status: 'ENABLED', recoveryPeriodInDays: 35 } })
    expect(result.tables[0].after).toEqual(result.tables[0].before)
    expect(a.mock.commandCalls(UpdateContinuousBackupsCommand)).toHaveLength(0)
    // Enabling without a period is also a no-op on an enabled table.
    expect((await setPitr(a.conn, ['users'], true)).tables[0].changed).toBe(false)
    expect(a.mock.commandCalls(UpdateContinuousBackupsCommand)).toHaveLength(0)
  })

  it('a table enabled with another recovery period is changed: UpdateContinuousBackups with the new period', async () => {
    const a = pitrAws(7)
    const result = await setPitr(a.conn, ['users'], true, { recoveryDays: 35 })
    expect(result.tables[0].changed).toBe(true)
    expect(a.mock.commandCalls(UpdateContinuousBackupsCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'users', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 } },
    ])
  })
})

// ---------------------------------------------------------------- 10. engines without backups or PITR

describe('engines known to lack backups and PITR (stands for dynalite, the embedded --local engine, answering UnknownOperationException)', () => {
  function localConn() {
    const conn = createConnection({
      endpoint: 'http://127.0.0.1:1',
      lacks: ['backups', 'pitr'],
      label: 'the embedded --local engine (/x)',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    })
    const mock = mockClient(conn.dynamodb)
    cleanup.push(() => {
      mock.restore()
      conn.destroy()
    })
    return { conn, mock }
  }
  const expectUnsupported = (err: unknown, operation: string) => {
    expect(err).toBeInstanceOf(UnsupportedByEngineError)
    expect((err as UnsupportedByEngineError).exitCode).toBe(2)
    expect((err as Error).message.startsWith('The embedded --local engine does not support')).toBe(true)
    expect((err as Error).message).toBe(`The embedded --local engine does not support ${operation}.`)
  }

  it('createBackup and listBackups refuse with UnsupportedByEngineError (exit 2) before any call', async () => {
    const { conn, mock } = localConn()
    expectUnsupported(await failure(createBackup(conn, ['users'])), 'on-demand backups')
    expectUnsupported(await failure(listBackups(conn)), 'on-demand backups')
    expectUnsupported(await failure(describeBackup(conn, 'nightly')), 'on-demand backups')
    expectUnsupported(await failure(restoreBackup(conn, 'nightly', 'users_restored')), 'on-demand backups')
    expect(mock.calls()).toHaveLength(0)
  })

  it('pitrStatus, setPitr and restoreToPointInTime refuse with UnsupportedByEngineError (exit 2) before any call', async () => {
    const { conn, mock } = localConn()
    expectUnsupported(await failure(pitrStatus(conn, ['users'])), 'point-in-time recovery')
    expectUnsupported(await failure(setPitr(conn, ['users'], true)), 'point-in-time recovery')
    expectUnsupported(await failure(restoreToPointInTime(conn, 'users', 'users_pitr', { latest: true })), 'point-in-time recovery')
    expect(mock.calls()).toHaveLength(0)
  })
})

describe('review fixes (each stands for a behaviour of the real service moto does not have)', () => {
  it('a restore still running when the wait gives up: TimeoutWaitingError saying the restore goes on, naming `dynx backup reconcile TARGET`', async () => {
    const a = aws()
    const b = summary('users', 'nightly', '2026-03-09T00:00:00Z')
    a.backups.push(b)
    a.setRestoreScript([activeTable('users_restored', { TableStatus: 'CREATING', RestoreSummary: { RestoreInProgress: true, RestoreDateTime: NOW } })])
    const err = await failure(restoreBackup(a.conn, b.BackupArn!, 'users_restored', { waitOptions: { intervalMs: 1, timeoutMs: 5 } }))
    expect(err).toBeInstanceOf(TimeoutWaitingError)
    expect((err as TimeoutWaitingError).message).toContain('The restore goes on in DynamoDB')
    expect((err as TimeoutWaitingError).hint).toContain('dynx backup reconcile users_restored')
  })

  it('a prefix restore starts every restore before waiting for any (DynamoDB runs them side by side; waiting in turn would take hours per table)', async () => {
    const a = aws()
    for (const t of ['p_a', 'p_b', 'p_c']) {
      a.tables.set(t, [activeTable(t)])
      a.backups.push(summary(t, `${t}-nightly`, '2026-03-09T00:00:00Z'))
    }
    a.mock.on(ListTablesCommand).resolves({ TableNames: ['p_a', 'p_b', 'p_c'] })
    a.setRestoreScript([
      activeTable('x', { TableStatus: 'CREATING', RestoreSummary: { RestoreInProgress: true, RestoreDateTime: NOW } }),
      activeTable('x', { RestoreSummary: { RestoreInProgress: false, RestoreDateTime: NOW } }),
    ])
    const stages: string[] = []
    const result = await restoreBackupsByPrefix(a.conn, {
      prefix: 'p_',
      toPrefix: 'q_',
      concurrency: 1,
      reconcile: false,
      wait: true,
      waitOptions: { intervalMs: 1 },
      onProgress: (p) => stages.push(p.stage),
    })
    expect(result.restores.map((r) => r.target)).toEqual(['q_a', 'q_b', 'q_c'])
    expect(stages.lastIndexOf('restore')).toBeLessThan(stages.indexOf('wait'))
  })

  it('a prefix restore into a prefix that starts with the source prefix is refused before anything is read', async () => {
    const a = aws()
    const err = await failure(restoreBackupsByPrefix(a.conn, { prefix: 'prod_', toPrefix: 'prod_restored_' }))
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as Error).message).toContain('must not start with --prefix "prod_"')
    expect(a.mock.calls()).toHaveLength(0)
  })

  it('deleting a backup still CREATING (DeleteBackup would answer BackupInUseException): refused with exit 2 before confirmation, nothing deleted', async () => {
    const a = aws()
    const busy = summary('users', 'inflight', '2026-03-10T11:00:00Z', { BackupStatus: 'CREATING' })
    a.backups.push(busy, summary('users', 'done', '2026-03-09T11:00:00Z'))
    let asked = false
    const err = await failure(
      deleteBackups(a.conn, ['done', 'inflight'], {
        beforeDelete: () => {
          asked = true
        },
      }),
    )
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as Error).message).toContain('inflight is CREATING')
    expect(asked).toBe(false)
    expect(a.mock.commandCalls(DeleteBackupCommand)).toHaveLength(0)
  })

  it('listBackups with type all also asks for AWS Backup backups, which ListBackups BackupType ALL leaves out', async () => {
    const a = aws()
    const user = summary('users', 'mine', '2026-03-09T00:00:00Z')
    const fromAwsBackup = summary('users', 'vault', '2026-03-08T00:00:00Z', { BackupType: 'AWS_BACKUP' })
    a.mock.on(ListBackupsCommand).callsFake((input: ListBackupsCommandInput) => ({ BackupSummaries: input.BackupType === 'AWS_BACKUP' ? [fromAwsBackup] : [user] }))
    expect((await listBackups(a.conn)).map((b) => b.name)).toEqual(['mine', 'vault'])
    expect(a.inputs<ListBackupsCommandInput>(ListBackupsCommand).map((i) => i.BackupType)).toEqual(['ALL', 'AWS_BACKUP'])
    expect((await listBackups(a.conn, { type: 'user' })).map((b) => b.name)).toEqual(['mine'])
  })

  it('enabling PITR on a table made moments ago retries ContinuousBackupsUnavailableException until DynamoDB is ready', async () => {
    const a = aws()
    a.tables.set('fresh', [activeTable('fresh')])
    a.mock
      .on(DescribeContinuousBackupsCommand)
      .resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } } })
    const notYet = () =>
      Object.assign(new Error('Backups are being enabled for the table: fresh. Please retry later'), { name: 'ContinuousBackupsUnavailableException', $metadata: {} })
    a.mock.on(UpdateContinuousBackupsCommand).rejectsOnce(notYet()).rejectsOnce(notYet()).resolves({})
    const result = await setPitr(a.conn, ['fresh'], true)
    expect(result.tables[0].changed).toBe(true)
    expect(a.mock.commandCalls(UpdateContinuousBackupsCommand)).toHaveLength(3)
  })

  it("reconcile does not copy settings from a same-named table re-created since the backup (another TableId): it uses the backup's record and says why", async () => {
    const a = aws()
    const b = summary('users', 'nightly', '2026-03-09T00:00:00Z', { TableId: 'id-old' })
    a.backups.push(b)
    a.descriptions.set(b.BackupArn!, [
      {
        ...description(b),
        SourceTableDetails: {
          TableName: 'users',
          TableId: 'id-old',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          TableCreationDateTime: NOW,
          ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
          BillingMode: 'PAY_PER_REQUEST',
        },
      },
    ])
    // The live "users" is another table; its tags must not land on the restore.
    a.tables.set('users', [activeTable('users', { TableId: 'id-new', BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } })])
    a.mock.on(ListTagsOfResourceCommand).resolves({ Tags: [{ Key: 'owner', Value: 'someone-else' }] })
    for (const c of [DescribeTimeToLiveCommand, DescribeContinuousBackupsCommand])
      a.mock.on(c as never).callsFake(() => {
        throw Object.assign(new Error('UnknownOperationException'), { name: 'UnknownOperationException', $metadata: {} })
      })
    a.setRestoreScript([activeTable('users_r', { TableId: 'id-r', BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } })])
    const result = await restoreBackup(a.conn, b.BackupArn!, 'users_r', { waitOptions: { intervalMs: 1 } })
    expect(result.reconcile?.from).toBe('backup')
    expect(result.reconcile?.notes.join(' ')).toContain('not the table backed up (another TableId')
    expect(a.mock.commandCalls(TagResourceCommand)).toHaveLength(0)
  })
})
