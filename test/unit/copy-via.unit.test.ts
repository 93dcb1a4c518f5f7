import {
  BatchWriteItemCommand,
  type DynamoDBClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeImportCommand,
  DescribeTableCommand,
  ImportTableCommand,
  ListImportsCommand,
  ListTagsOfResourceCommand,
  DescribeTimeToLiveCommand,
  UpdateContinuousBackupsCommand,
  type ImportTableCommandInput,
  type ImportTableDescription,
  ExportTableToPointInTimeCommand,
  ListExportsCommand,
  type ExportDescription,
  type ExportTableToPointInTimeCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb'
import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { mockClient, type AwsStub } from 'aws-sdk-client-mock'
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { connectionIdentity, createConnection } from '../../src/connection/clients.js'
import { copyTablesViaS3, copyTableViaS3, estimateViaS3, viaStatePath, type ViaClock, type ViaPlanEntry, type ViaProgress, type ViaRound } from '../../src/copy/via-s3.js'
import { changeRecordItem, PASSED_OVER } from '../../src/load/formats.js'
import { mockAws, tempDir } from '../helpers.js'

// What no local engine does, faked with the real service's answers: moto ignores ExportType
// INCREMENTAL_EXPORT (it writes a full export), keeps no ExportTime and never fails an export, so
// the catch-up of `copy --via` is tested here. The faked DynamoDB takes incremental exports of
// 15 minutes to 24 hours, answers DescribeContinuousBackups with a latest restorable time about 5
// minutes behind now, names the export's manifest once COMPLETED, and writes the change records
// of the real incremental export format: {"Metadata":{"WriteTimestampMicros":...},"Keys":{...},
// "OldImage":{...},"NewImage":{...}} lines in data/*.json.gz, listed in manifest-files.json.

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/users'
const BUCKET = 'via-bucket'
const VIA = `s3://${BUCKET}/copies`
const MIN = 60_000
const T0 = Date.parse('2026-11-20T10:00:00Z')
const DIGITS_38 = '12345678901234567890123456789012345678'

const cleanup: Array<() => void> = []
let home = ''
beforeEach(() => {
  home = tempDir('dynx-via-')
  process.env.DYNX_HOME = home
})
afterEach(() => {
  while (cleanup.length) cleanup.pop()!()
  delete process.env.DYNX_HOME
})

/** A clock whose sleeps pass at once (and are added up). */
function fakeClock(start: number): ViaClock & { slept: number; set(ms: number): void } {
  let now = start
  const c = {
    slept: 0,
    now: () => now,
    sleep: async (ms: number) => {
      c.slept += ms
      now += ms
    },
    set: (ms: number) => {
      now = ms
    },
  }
  return c
}

const changeLine = (r: { keys: object; old?: object; new?: object; micros?: number }) =>
  JSON.stringify({ Metadata: { WriteTimestampMicros: { N: String(r.micros ?? 1) } }, Keys: r.keys, ...(r.old ? { OldImage: r.old } : {}), ...(r.new ? { NewImage: r.new } : {}) })

/** The objects of an incremental export folder as DynamoDB writes them. */
function incrementalExport(folderKey: string, lines: string[], exportType = 'INCREMENTAL_EXPORT'): Record<string, Buffer> {
  const data = `${folderKey}data/abcdefghij.json.gz`
  return {
    [`${folderKey}manifest-summary.json`]: Buffer.from(JSON.stringify({ version: '2023-08-01', exportType, outputFormat: 'DYNAMODB_JSON', itemCount: lines.length })),
    [`${folderKey}manifest-files.json`]: Buffer.from(`${JSON.stringify({ itemCount: lines.length, dataFileS3Key: data })}\n`),
    [data]: gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join(''))),
    // An empty partition's file: DynamoDB writes one for each.
    [`${folderKey}data/emptypartition.json.gz`]: gzipSync(Buffer.alloc(0)),
  }
}

interface Fake {
  clock: ReturnType<typeof fakeClock>
  exports: ExportTableToPointInTimeCommandInput[]
  writes: WriteRequest[]
  objects: Record<string, Buffer>
  getKeys: string[]
  progress: ViaProgress[]
  /** What each new export turns into: its records, or a failure. */
  rounds: Array<{ lines?: string[]; failed?: { code: string; message: string }; exportType?: string; noManifest?: boolean }>
  run: (options?: Record<string, unknown>) => ReturnType<typeof copyTableViaS3>
  statePath: string
  /** An incremental export a run before this one started (COMPLETED, its records in the bucket): its ARN. */
  startedBefore: (prefix: string, lines: string[]) => string
  conn: ReturnType<typeof createConnection>
  ddb: AwsStub<ServiceInputTypes, ServiceOutputTypes, DynamoDBClientResolvedConfig>
}

/** The reconcile after an import: SOURCE has no TTL, no tags, no auto scaling; PITR is turned on for TARGET. */
function fakeReconcile(f: Fake): void {
  f.ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } })
  f.ddb.on(ListTagsOfResourceCommand).resolves({ Tags: [] })
  f.ddb.on(UpdateContinuousBackupsCommand).resolves({})
  const scaling = mockClient(f.conn.autoscaling)
  cleanup.push(() => scaling.restore())
  scaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] })
  scaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] })
}

/**
 * A copy whose run before died in round 1's deletes pass (T0 to T0+20m; a put of q and a delete of
 * r): window, export ARN and the finished puts pass are in the state file.
 */
async function diedInRoundOneDeletes() {
  const from = new Date(T0).toISOString()
  const to = new Date(T0 + 20 * MIN).toISOString()
  const lines = [changeLine({ keys: { pk: S('q') }, new: { pk: S('q') } }), changeLine({ keys: { pk: S('r') }, old: { pk: S('r') } })]
  const f = await fakeService(T0, T0 + 30 * MIN)
  const arn = f.startedBefore('copies/users-20261120T100000Z/changes-1', lines)
  const state = JSON.parse(readFileSync(f.statePath, 'utf8')) as Record<string, unknown>
  writeFileSync(f.statePath, JSON.stringify({ ...state, current: { round: 1, from, to, capped: false, arn, puts: { loaded: 1, deadLettered: 0 } } }))
  return { f, from, to, arn }
}

/**
 * DynamoDB and S3 for `users -> users_copy`, the import already done (a state file at the
 * catch-up phase, appliedUntil given): each ExportTableToPointInTime of an incremental export
 * writes the next of `rounds` into the bucket and is COMPLETED on its first DescribeExport.
 */
async function fakeService(appliedUntil: number, now: number, extraState: Record<string, unknown> = {}): Promise<Fake> {
  const { conn, ddb, s3 } = mockAws(cleanup)
  const f: Fake = {
    clock: fakeClock(now),
    exports: [],
    writes: [],
    objects: {},
    getKeys: [],
    progress: [],
    rounds: [],
    statePath: '',
    startedBefore: () => '',
    conn,
    ddb,
    run: async (options = {}) =>
      copyTableViaS3(conn, 'users', conn, 'users_copy', {
        via: VIA,
        clock: f.clock,
        waitOptions: { intervalMs: 1 },
        onProgress: (p) => f.progress.push(p),
        ...options,
      }),
  }
  const table = (name: string) => ({
    Table: {
      TableName: name,
      TableArn: TABLE_ARN.replace('users', name),
      TableStatus: 'ACTIVE' as const,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
      ItemCount: 3,
      TableSizeBytes: 300,
    },
  })
  ddb.on(DescribeTableCommand, { TableName: 'users' }).resolves(table('users'))
  ddb.on(DescribeTableCommand, { TableName: 'users_copy' }).resolves(table('users_copy'))
  // The real service: the latest restorable time trails now by about 5 minutes.
  ddb.on(DescribeContinuousBackupsCommand).callsFake(() => ({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: {
        PointInTimeRecoveryStatus: 'ENABLED',
        EarliestRestorableDateTime: new Date(T0 - 60 * MIN),
        LatestRestorableDateTime: new Date(f.clock.now() - 5 * MIN),
      },
    },
  }))
  ddb.on(ListExportsCommand).resolves({ ExportSummaries: [] })
  const described = new Map<string, ExportDescription>()
  ddb.on(ExportTableToPointInTimeCommand).callsFake((input: ExportTableToPointInTimeCommandInput) => {
    f.exports.push(input)
    const spec = input.IncrementalExportSpecification!
    const span = spec.ExportToTime!.getTime() - spec.ExportFromTime!.getTime()
    // The real service's limits, which dynx must respect.
    if (span < 15 * MIN || span > 24 * 60 * MIN)
      throw Object.assign(new Error('Incremental export period must be between 15 minutes and 24 hours'), { name: 'InvalidExportTimeException' })
    if (spec.ExportToTime!.getTime() > f.clock.now()) throw Object.assign(new Error('ExportToTime is in the future'), { name: 'InvalidExportTimeException' })
    const id = `0176458320000${f.exports.length}-abcd123${f.exports.length}`
    const arn = `${TABLE_ARN}/export/${id}`
    const folderKey = `${input.S3Prefix}/AWSDynamoDB/${id}/`
    const round = f.rounds.shift() ?? { lines: [] }
    const base: ExportDescription = {
      ExportArn: arn,
      TableArn: TABLE_ARN,
      S3Bucket: BUCKET,
      S3Prefix: input.S3Prefix,
      ExportType: 'INCREMENTAL_EXPORT',
      ClientToken: input.ClientToken,
    }
    if (round.failed) {
      described.set(arn, { ...base, ExportStatus: 'FAILED', FailureCode: round.failed.code, FailureMessage: round.failed.message })
    } else {
      const objects = incrementalExport(folderKey, round.lines ?? [], round.exportType)
      if (round.noManifest) for (const k of Object.keys(objects)) if (k.includes('manifest')) delete objects[k]
      Object.assign(f.objects, objects)
      described.set(arn, {
        ...base,
        ExportStatus: 'COMPLETED',
        BilledSizeBytes: 1234,
        ItemCount: round.lines?.length ?? 0,
        ...(round.noManifest ? {} : { ExportManifest: `${folderKey}manifest-summary.json` }),
      })
    }
    return { ExportDescription: { ...base, ExportStatus: 'IN_PROGRESS' } }
  })
  f.startedBefore = (prefix, lines) => {
    const arn = `${TABLE_ARN}/export/01764583200009-before00`
    const folderKey = `${prefix}/AWSDynamoDB/01764583200009-before00/`
    Object.assign(f.objects, incrementalExport(folderKey, lines))
    described.set(arn, { ExportArn: arn, ExportStatus: 'COMPLETED', S3Bucket: BUCKET, S3Prefix: prefix, ExportManifest: `${folderKey}manifest-summary.json` })
    return arn
  }
  ddb
    .on(DescribeExportCommand)
    .callsFake((input: { ExportArn: string }) => ({ ExportDescription: described.get(input.ExportArn) ?? { ExportArn: input.ExportArn, ExportStatus: 'IN_PROGRESS' } }))
  ddb.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
    f.writes.push(...Object.values(input.RequestItems)[0]!)
    return { UnprocessedItems: {} }
  })
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
    Contents: Object.keys(f.objects)
      .filter((k) => k.startsWith(input.Prefix))
      .map((Key) => ({ Key, Size: f.objects[Key]!.length, ETag: `"${Key.length}"` })),
  }))
  s3.on(GetObjectCommand).callsFake((input: { Key: string; Range?: string }) => {
    f.getKeys.push(input.Key)
    const body = f.objects[input.Key]
    if (!body) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' })
    const m = /^bytes=(\d+)-(\d*)$/.exec(input.Range ?? '')
    const bytes = m ? body.subarray(Number(m[1]), m[2] ? Number(m[2]) + 1 : undefined) : body
    return { Body: Object.assign(Readable.from([bytes]), { transformToString: async () => bytes.toString('utf8') }) }
  })

  const id = await connectionIdentity(conn)
  f.statePath = viaStatePath(id, 'users', id, 'users_copy')
  const state = {
    version: 1,
    kind: 'copy-via',
    fingerprint: { source: 'users', target: 'users_copy', from: id, to: id, via: VIA },
    exportTime: new Date(T0).toISOString(),
    export: { arn: `${TABLE_ARN}/export/full`, folder: `${VIA}/users-20261120T100000Z/full/AWSDynamoDB/full/`, done: true, itemCount: 3 },
    import: {
      arn: `${TABLE_ARN}/import/1`,
      done: true,
      result: { importArn: `${TABLE_ARN}/import/1`, status: 'COMPLETED', importedItems: 3, processedItems: 3, errors: 0, outcome: 'ok' },
    },
    appliedUntil: new Date(appliedUntil).toISOString(),
    rounds: [],
    ...extraState,
  }
  mkdirSync(dirname(f.statePath), { recursive: true })
  writeFileSync(f.statePath, JSON.stringify(state))
  return f
}

const S = (s: string) => ({ S: s })
const puts = (f: Fake) => f.writes.filter((w) => w.PutRequest).map((w) => w.PutRequest!.Item)
const deletes = (f: Fake) => f.writes.filter((w) => w.DeleteRequest).map((w) => w.DeleteRequest!.Key)
const window = (input: ExportTableToPointInTimeCommandInput) => [
  input.IncrementalExportSpecification!.ExportFromTime!.toISOString(),
  input.IncrementalExportSpecification!.ExportToTime!.toISOString(),
]

describe('change records of an incremental export (NEW_AND_OLD_IMAGES lines)', () => {
  it('the puts side takes NewImage, the deletes side the Keys of a record without NewImage; a full export line is no change record', () => {
    const inserted = { Metadata: { WriteTimestampMicros: { N: '1' } }, Keys: { pk: S('a') }, NewImage: { pk: S('a'), n: { N: DIGITS_38 } } }
    const removed = { Metadata: { WriteTimestampMicros: { N: '2' } }, Keys: { pk: S('c') }, OldImage: { pk: S('c'), x: S('gone') } }
    expect(changeRecordItem(inserted, 'puts')).toEqual({ pk: S('a'), n: { N: DIGITS_38 } })
    expect(changeRecordItem(inserted, 'deletes')).toBe(PASSED_OVER)
    expect(changeRecordItem(removed, 'deletes')).toEqual({ pk: S('c') })
    expect(changeRecordItem(removed, 'puts')).toBe(PASSED_OVER)
    expect(() => changeRecordItem({ Item: { pk: S('a') } }, 'puts')).toThrow(/full export/)
    expect(() => changeRecordItem({ NewImage: { pk: S('a') } }, 'puts')).toThrow(/needs "Keys"/)
  })
})

describe('copy --via catch-up against the real service (faked: moto has no incremental exports)', () => {
  it('waits until its window spans the 15 minutes an incremental export needs, then puts NewImages and deletes removed keys', async () => {
    // The import ended 3 minutes after T0; DynamoDB's latest restorable time is 5 minutes behind now.
    const f = await fakeService(T0, T0 + 3 * MIN)
    f.rounds.push({
      lines: [
        changeLine({ keys: { pk: S('a') }, new: { pk: S('a'), n: { N: DIGITS_38 }, bin: { B: 'AAH/' } } }),
        changeLine({ keys: { pk: S('b') }, old: { pk: S('b'), v: { N: '1' } }, new: { pk: S('b'), v: { N: '2' } } }),
        changeLine({ keys: { pk: S('c') }, old: { pk: S('c'), v: { N: '9' } } }),
      ],
    })
    const r = await f.run()
    expect(r.status, r.error).toBe('copied')
    // From 10:03 it takes until 10:20 for the latest restorable time (now - 5 min) to be 15 minutes past T0.
    expect(f.clock.slept).toBeGreaterThanOrEqual(17 * MIN)
    expect(f.progress.some((p) => p.stage === 'wait' && /15 minutes have passed since 2026-11-20T10:00:00.000Z.*left/.test(p.message))).toBe(true)
    expect(f.exports).toHaveLength(1)
    expect(f.exports[0]).toMatchObject({ ExportType: 'INCREMENTAL_EXPORT', ExportFormat: 'DYNAMODB_JSON', S3Bucket: BUCKET })
    expect(f.exports[0]!.IncrementalExportSpecification?.ExportViewType).toBe('NEW_AND_OLD_IMAGES')
    expect(window(f.exports[0]!)).toEqual(['2026-11-20T10:00:00.000Z', '2026-11-20T10:15:00.000Z'])
    expect(puts(f)).toEqual([
      // Items travel in DynamoDB's wire form: binary stays the base64 the export wrote.
      { pk: S('a'), n: { N: DIGITS_38 }, bin: { B: 'AAH/' } },
      { pk: S('b'), v: { N: '2' } },
    ])
    expect(deletes(f)).toEqual([{ pk: S('c') }])
    expect(r.catchUp.rounds).toMatchObject([{ round: 1, puts: 2, deletes: 1, deadLettered: 0, capped: false, billedSizeBytes: 1234 }])
    expect(r.catchUp.stopped).toBe('settled')
    expect(r.consistentAsOf).toBe('2026-11-20T10:15:00.000Z')
    expect(r.outcome).toBe('ok')
    // A finished copy leaves no state behind.
    expect(existsSync(f.statePath)).toBe(false)
  })

  it('stop rule: a round with more changes than --catch-up-settle is followed by the next, until --catch-up-rounds', async () => {
    const f = await fakeService(T0, T0 + 60 * MIN)
    const three = [1, 2, 3].map((i) => changeLine({ keys: { pk: S(`k${i}`) }, new: { pk: S(`k${i}`) } }))
    f.rounds.push({ lines: three }, { lines: three }, { lines: three })
    const r = await f.run({ settleChanges: 2, maxRounds: 2 })
    expect(r.status, r.error).toBe('copied')
    expect(f.exports.map(window)).toEqual([
      ['2026-11-20T10:00:00.000Z', '2026-11-20T10:55:00.000Z'],
      ['2026-11-20T10:55:00.000Z', '2026-11-20T11:10:00.000Z'],
    ])
    expect(r.catchUp.stopped).toBe('max-rounds')
    expect(r.consistentAsOf).toBe('2026-11-20T11:10:00.000Z')

    // With few changes in a round it stops at once (the default --catch-up-settle is 100).
    const g = await fakeService(T0, T0 + 60 * MIN)
    g.rounds.push({ lines: three })
    const s = await g.run({ maxRounds: 5 })
    expect(s.catchUp).toMatchObject({ stopped: 'settled', rounds: [{ round: 1, puts: 3 }] })
  })

  it('a window longer than 24 hours (DynamoDB’s most) is cut there, and the round after it runs whatever its count', async () => {
    const f = await fakeService(T0, T0 + 30 * 60 * MIN)
    const r = await f.run({ settleChanges: 0 })
    expect(r.status, r.error).toBe('copied')
    expect(f.exports.map(window)).toEqual([
      ['2026-11-20T10:00:00.000Z', '2026-11-21T10:00:00.000Z'],
      ['2026-11-21T10:00:00.000Z', '2026-11-21T15:55:00.000Z'],
    ])
    expect(r.catchUp.rounds.map((k: ViaRound) => k.capped)).toEqual([true, false])
  })

  it('on AWS a latest restorable time lagging far behind now (over an hour) still ends the window: changes after it are not in point-in-time recovery yet, and a window past it would skip them', async () => {
    const f = await fakeService(T0, T0 + 4 * 60 * MIN)
    f.ddb.on(DescribeContinuousBackupsCommand).callsFake(() => ({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          EarliestRestorableDateTime: new Date(T0 - 60 * MIN),
          LatestRestorableDateTime: new Date(f.clock.now() - 2 * 60 * MIN),
        },
      },
    }))
    const r = await f.run()
    expect(r.status, r.error).toBe('copied')
    expect(f.exports.map(window)).toEqual([['2026-11-20T10:00:00.000Z', '2026-11-20T12:00:00.000Z']])
    expect(r.consistentAsOf).toBe('2026-11-20T12:00:00.000Z')
  })

  it('resume: a re-run starts after the last applied round and never applies an older one', async () => {
    const T1 = T0 + 20 * MIN
    const T2 = T0 + 40 * MIN
    const applied = (round: number, from: number, to: number): ViaRound => ({
      round,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      capped: false,
      exportArn: `${TABLE_ARN}/export/old-${round}`,
      folder: `${VIA}/old-${round}/AWSDynamoDB/x/`,
      puts: 500,
      deletes: 0,
      deadLettered: 0,
      deadLetterFiles: [],
      seconds: 1,
    })
    // Rounds 1 and 2 are applied; a round recorded for T1 (from an older state) must not come back.
    const f = await fakeService(T2, T2 + 30 * MIN, {
      rounds: [applied(1, T0, T1), applied(2, T1, T2)],
      current: { round: 2, from: new Date(T1).toISOString(), to: new Date(T2).toISOString(), capped: false, arn: `${TABLE_ARN}/export/old-2` },
    })
    f.rounds.push({ lines: [changeLine({ keys: { pk: S('z') }, new: { pk: S('z') } })] })
    const r = await f.run()
    expect(r.status, r.error).toBe('copied')
    expect(f.exports.map(window)).toEqual([['2026-11-20T10:40:00.000Z', '2026-11-20T11:05:00.000Z']])
    expect(f.getKeys.some((k) => k.includes('old-'))).toBe(false)
    expect(r.catchUp.rounds.map((k: ViaRound) => [k.round, k.from])).toEqual([
      [1, '2026-11-20T10:00:00.000Z'],
      [2, '2026-11-20T10:20:00.000Z'],
      [3, '2026-11-20T10:40:00.000Z'],
    ])
    expect(puts(f)).toEqual([{ pk: S('z') }])
  })

  it('resume within a round: the export a run before started is followed by its ARN, and a finished puts pass is not put again', async () => {
    const { f, from, to, arn } = await diedInRoundOneDeletes()
    const r = await f.run()
    expect(r.status, r.error).toBe('copied')
    expect(f.exports).toEqual([])
    expect(puts(f)).toEqual([])
    expect(deletes(f)).toEqual([{ pk: S('r') }])
    expect(r.catchUp.rounds).toMatchObject([{ round: 1, from, to, exportArn: arn, puts: 1, deletes: 1 }])
    expect(r.consistentAsOf).toBe(to)
  })

  it('--no-catch-up on a re-run of a copy that died inside a round finishes that round first: TARGET is never left with half a round (its puts without its deletes)', async () => {
    const { f, from, to } = await diedInRoundOneDeletes()
    const r = await f.run({ catchUp: false })
    expect(r.status, r.error).toBe('copied')
    expect(f.exports).toEqual([])
    expect(deletes(f)).toEqual([{ pk: S('r') }])
    expect(r.catchUp).toMatchObject({ stopped: 'skipped', rounds: [{ round: 1, from, to, puts: 1, deletes: 1 }] })
    expect(r.consistentAsOf).toBe(to)

    // A round whose export was never started has applied nothing: it is dropped, no export is started.
    const g = await fakeService(T0, T0 + 30 * MIN)
    const gState = JSON.parse(readFileSync(g.statePath, 'utf8')) as Record<string, unknown>
    writeFileSync(g.statePath, JSON.stringify({ ...gState, current: { round: 1, from, to, capped: false } }))
    const s = await g.run({ catchUp: false })
    expect(s.status, s.error).toBe('copied')
    expect(g.exports).toEqual([])
    expect(s.catchUp).toMatchObject({ stopped: 'skipped', rounds: [] })
    expect(s.consistentAsOf).toBe(from)
  })

  it('Ctrl-C during the 15-minute wait: interrupted (exit 130) before any export, the state kept, and the same command then goes on', async () => {
    const f = await fakeService(T0, T0 + 3 * MIN)
    const stop = new AbortController()
    const sleep = f.clock.sleep
    f.clock.sleep = async (ms: number) => {
      await sleep(ms)
      if (f.clock.slept >= 2 * MIN) stop.abort('SIGINT')
    }
    const r = await f.run({ signal: stop.signal })
    expect(r).toMatchObject({ status: 'interrupted', outcome: 'interrupted', consistentAsOf: new Date(T0).toISOString() })
    expect(f.exports).toEqual([])
    expect(JSON.parse(readFileSync(f.statePath, 'utf8'))).toMatchObject({ appliedUntil: new Date(T0).toISOString(), rounds: [] })
    f.clock.sleep = sleep
    const again = await f.run()
    expect(again.status, again.error).toBe('copied')
    expect(f.exports.map(window)).toEqual([['2026-11-20T10:00:00.000Z', '2026-11-20T10:15:00.000Z']])
  })

  it('a FAILED incremental export fails the table (exit 1) with DynamoDB’s reason; the window stays for the re-run', async () => {
    const f = await fakeService(T0, T0 + 30 * MIN)
    f.rounds.push({ failed: { code: 'S3AccessDenied', message: 'Access denied to the bucket' } })
    const r = await f.run()
    expect(r.status).toBe('failed')
    expect(r.outcome).toBe('partial')
    expect(r.error).toContain('S3AccessDenied')
    expect(r.error).toContain('Access denied to the bucket')
    expect(r.consistentAsOf).toBe(new Date(T0).toISOString())
    const state = JSON.parse(readFileSync(f.statePath, 'utf8')) as { appliedUntil: string; current: { from: string; arn?: string } }
    expect(state.appliedUntil).toBe(new Date(T0).toISOString())
    expect(state.current).toMatchObject({ from: new Date(T0).toISOString() })
    expect(state.current.arn).toBeUndefined()
    // The re-run asks for the same window again and finishes.
    f.rounds.push({ lines: [] })
    const again = await f.run()
    expect(again.status, again.error).toBe('copied')
    expect(f.exports.map(window)).toEqual([
      ['2026-11-20T10:00:00.000Z', '2026-11-20T10:25:00.000Z'],
      ['2026-11-20T10:00:00.000Z', '2026-11-20T10:25:00.000Z'],
    ])
  })

  it('an engine that answers an incremental export with a full one (moto: {"Item"} lines, no manifest) is named, nothing applied', async () => {
    const f = await fakeService(T0, T0 + 30 * MIN)
    f.rounds.push({ lines: [JSON.stringify({ Item: { pk: S('a') } })], noManifest: true })
    const r = await f.run()
    expect(r.status).toBe('failed')
    expect(r.error).toContain('ignored ExportType INCREMENTAL_EXPORT')
    expect(f.writes).toEqual([])
  })
})

describe('copy --via import against the real service (faked: moto never fails an import)', () => {
  it('after a FAILED import the same command, run again within 8 hours, starts another import under a new ClientToken (the old one would only name the FAILED import again)', async () => {
    const f = await fakeService(T0, T0 + 30 * MIN)
    // The export is done, the import not started: TARGET does not exist yet.
    const state = JSON.parse(readFileSync(f.statePath, 'utf8')) as Record<string, unknown>
    writeFileSync(f.statePath, JSON.stringify({ ...state, import: undefined, appliedUntil: undefined }))
    Object.assign(f.objects, { 'copies/users-20261120T100000Z/full/AWSDynamoDB/full/data/part.json.gz': gzipSync(Buffer.from('{"Item":{"pk":{"S":"a"}}}\n')) })
    let targetExists = false
    f.ddb.on(DescribeTableCommand, { TableName: 'users_copy' }).callsFake(() => {
      if (!targetExists) throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' })
      return {
        Table: { TableName: 'users_copy', TableArn: TABLE_ARN.replace('users', 'users_copy'), TableStatus: 'ACTIVE', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] },
      }
    })
    // The real service: a ClientToken names one import for 8 hours after it ends, FAILED ones too.
    const imports = new Map<string, ImportTableDescription>()
    const calls: ImportTableCommandInput[] = []
    let failNext = true
    f.ddb.on(ImportTableCommand).callsFake((input: ImportTableCommandInput) => {
      calls.push(input)
      const known = [...imports.values()].find((d) => d.ClientToken === input.ClientToken)
      if (known) return { ImportTableDescription: known }
      const d: ImportTableDescription = {
        ImportArn: `${TABLE_ARN.replace('users', 'users_copy')}/import/${imports.size + 1}`,
        ClientToken: input.ClientToken,
        ImportStatus: failNext ? 'FAILED' : 'COMPLETED',
        ...(failNext ? { FailureCode: 'AccessDenied', FailureMessage: 'no access to the bucket' } : { ImportedItemCount: 1, ProcessedItemCount: 1, ErrorCount: 0 }),
      }
      if (!failNext) targetExists = true
      failNext = false
      imports.set(d.ImportArn!, d)
      // A new import starts IN_PROGRESS; how it ended is told by DescribeImport (and by ImportTable for its token later).
      return { ImportTableDescription: { ...d, ImportStatus: 'IN_PROGRESS' } }
    })
    f.ddb.on(DescribeImportCommand).callsFake((input: { ImportArn: string }) => ({ ImportTableDescription: imports.get(input.ImportArn) }))
    f.ddb.on(ListImportsCommand).resolves({ ImportSummaryList: [] })
    fakeReconcile(f)

    const first = await f.run({ catchUp: false })
    expect(first.status).toBe('failed')
    expect(first.error).toContain('AccessDenied')
    const again = await f.run({ catchUp: false })
    expect(calls).toHaveLength(2)
    expect(calls[1]!.ClientToken).not.toBe(calls[0]!.ClientToken)
    expect(again.status, again.error).toBe('copied')
    expect(again.import).toMatchObject({ importArn: `${TABLE_ARN.replace('users', 'users_copy')}/import/2`, status: 'COMPLETED' })
  })
})

describe('copy --via full export against the real service (faked: moto takes any ExportTime and never fails an export)', () => {
  it('a T0 DynamoDB refuses (InvalidExportTimeException: outside the PITR window) or whose export FAILED is forgotten: the re-run picks a new T0 instead of asking for the same one forever', async () => {
    const f = await fakeService(T0, T0 + 30 * MIN)
    rmSync(f.statePath)
    f.ddb.on(DescribeTableCommand, { TableName: 'users_copy' }).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }))
    const asked: Date[] = []
    const answers = [
      () => {
        throw Object.assign(new Error('ExportTime is outside the point in time recovery window'), { name: 'InvalidExportTimeException' })
      },
      () => ({ ExportDescription: { ExportArn: `${TABLE_ARN}/export/full-1`, ExportStatus: 'IN_PROGRESS' as const } }),
      () => {
        throw Object.assign(new Error('stop here'), { name: 'ValidationException' })
      },
    ]
    f.ddb.on(ExportTableToPointInTimeCommand).callsFake((input: ExportTableToPointInTimeCommandInput) => {
      asked.push(input.ExportTime!)
      return answers.shift()!()
    })
    f.ddb.on(DescribeExportCommand, { ExportArn: `${TABLE_ARN}/export/full-1` }).resolves({
      ExportDescription: { ExportArn: `${TABLE_ARN}/export/full-1`, ExportStatus: 'FAILED', FailureCode: 'UNKNOWN', FailureMessage: 'Internal error' },
    })
    const readT0 = () => (JSON.parse(readFileSync(f.statePath, 'utf8')) as { exportTime?: string }).exportTime

    expect((await f.run({ catchUp: false })).status).toBe('failed')
    expect(readT0()).toBeUndefined()
    f.clock.set(T0 + 40 * MIN)
    const second = await f.run({ catchUp: false })
    expect(second.error).toContain('Internal error')
    expect(readT0()).toBeUndefined()
    f.clock.set(T0 + 50 * MIN)
    await f.run({ catchUp: false })
    // Each time the latest restorable moment then (5 minutes behind now), never the refused one again.
    expect(asked.map((d) => d.toISOString())).toEqual(['2026-11-20T10:25:00.000Z', '2026-11-20T10:35:00.000Z', '2026-11-20T10:45:00.000Z'])
  })
})

describe('copy --via: a run stopped between ImportTable and saving its ARN', () => {
  it('the same command finds TARGET CREATING by its own import and follows it by ClientToken (not exit 2 for an existing TARGET), with no second import', async () => {
    const f = await fakeService(T0, T0 + 30 * MIN)
    const state = JSON.parse(readFileSync(f.statePath, 'utf8')) as Record<string, unknown>
    writeFileSync(f.statePath, JSON.stringify({ ...state, import: undefined, appliedUntil: undefined }))
    Object.assign(f.objects, { 'copies/users-20261120T100000Z/full/AWSDynamoDB/full/data/part.json.gz': gzipSync(Buffer.from('{"Item":{"pk":{"S":"a"}}}\n')) })
    const targetArn = TABLE_ARN.replace('users', 'users_copy')
    let status: 'none' | 'CREATING' | 'ACTIVE' = 'none'
    f.ddb.on(DescribeTableCommand, { TableName: 'users_copy' }).callsFake(() => {
      if (status === 'none') throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' })
      return { Table: { TableName: 'users_copy', TableArn: targetArn, TableStatus: status, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } }
    })
    const imports: ImportTableDescription[] = []
    let crash = true
    f.ddb.on(ImportTableCommand).callsFake((input: ImportTableCommandInput) => {
      const known = imports.find((d) => d.ClientToken === input.ClientToken)
      if (!known) {
        imports.push({ ImportArn: `${targetArn}/import/${imports.length + 1}`, TableArn: targetArn, ClientToken: input.ClientToken, ImportStatus: 'IN_PROGRESS' })
        status = 'CREATING'
      }
      // DynamoDB took it; the run that asked never learnt the ARN (killed, or an answer it could not read).
      if (crash) {
        crash = false
        throw Object.assign(new Error('The process stopped here'), { name: 'ValidationException' })
      }
      return { ImportTableDescription: known ?? imports[imports.length - 1] }
    })
    f.ddb.on(ListImportsCommand).callsFake(() => ({ ImportSummaryList: imports.map((d) => ({ ImportArn: d.ImportArn, TableArn: d.TableArn, ImportStatus: d.ImportStatus })) }))
    f.ddb.on(DescribeImportCommand).callsFake((input: { ImportArn: string }) => {
      const d = imports.find((i) => i.ImportArn === input.ImportArn)!
      // The import ends once the re-run follows it.
      if (!crash && d.ImportStatus === 'IN_PROGRESS' && f.progress.some((p) => p.stage === 'import' && p.message.includes('following'))) {
        Object.assign(d, { ImportStatus: 'COMPLETED', ImportedItemCount: 1, ProcessedItemCount: 1, ErrorCount: 0 })
        status = 'ACTIVE'
      }
      return { ImportTableDescription: d }
    })
    fakeReconcile(f)

    const first = await f.run({ catchUp: false })
    expect(first.status).toBe('failed')
    expect(status).toBe('CREATING')
    const again = await f.run({ catchUp: false })
    expect(again.status, again.error).toBe('copied')
    expect(again.import).toMatchObject({ importArn: `${targetArn}/import/1`, status: 'COMPLETED' })
    expect(imports).toHaveLength(1)
  })
})

describe('copy --via of several tables', () => {
  it('a table found bad only when its turn comes (PITR turned off since the plan) fails alone (exit 1): the tables copied before it are reported, not thrown away as exit 2', async () => {
    const f = await fakeService(T0, T0 + 30 * MIN)
    f.rounds.push({ lines: [] })
    f.ddb.on(DescribeContinuousBackupsCommand, { TableName: 'orders' }).resolves({
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } },
    })
    const id = await connectionIdentity(f.conn)
    const entry = (source: string, target: string, resumes: boolean): ViaPlanEntry => ({
      source,
      target,
      estimatedItems: 3,
      sourceSizeBytes: 300,
      route: ['export', 'import', 'reconcile', 'catch-up'],
      pitr: 'on',
      state: viaStatePath(id, source, id, target),
      resumes,
      estimate: estimateViaS3('eu-west-1', 300, 3, { pitrToEnable: false, catchUp: true }),
    })
    // Planned when both had PITR on; `orders` had it turned off while `users` was being copied.
    const plan = {
      via: VIA,
      entries: [entry('users', 'users_copy', true), entry('orders', 'orders_copy', false)],
      skipped: [],
      totals: { sizeBytes: 600, exportUsd: 0, importUsdAtLeast: 0, pitrUsdPerMonth: 0 },
    }
    const r = await copyTablesViaS3(f.conn, f.conn, plan, { via: VIA, clock: f.clock, waitOptions: { intervalMs: 1 } })
    expect(r.tables.map((t) => [t.source, t.status])).toEqual([
      ['users', 'copied'],
      ['orders', 'failed'],
    ])
    expect(r.tables[1]!.error).toContain('Point-in-time recovery is off on "orders"')
    expect(r.tables[1]!.error).toContain('--enable-pitr')
    expect(r).toMatchObject({ failedTables: 1, complete: false, outcome: 'partial' })
  })
})

describe('the plan’s estimates', () => {
  it('prices from the dated table: export, import (at least) and PITR per GB; the scan copy at the rate measured here', () => {
    // A billion items of 1 KB: 954 GB.
    const size = 1e9 * 1024
    const e = estimateViaS3('us-east-1', size, 1e9, { pitrToEnable: true, catchUp: true })
    expect(e).toMatchObject({ exportUsd: 95.37, importUsdAtLeast: 143.05, pitrUsdPerMonth: 190.73, incrementalUsdPerGb: 0.1, pricesFallback: false, catchUpAtLeastMinutes: 15 })
    expect(e.pricesTaken).toMatch(/^2024-11/)
    expect(e.nativeTime).toContain('no fixed speed')
    // At 5,350 items/s: more than two days; one write request unit per item ($625) and a half read unit per 4 KB read ($15.63) on demand.
    expect(e.scanCopy.seconds).toBe(Math.round(1e9 / 5350))
    expect(e.scanCopy.usd).toBe(640.63)
    const other = estimateViaS3('ap-south-2', size, 1e9, { pitrToEnable: false, catchUp: false })
    expect(other.pricesFallback).toBe(true)
    expect(other.pitrUsdPerMonth).toBeUndefined()
  })
})
