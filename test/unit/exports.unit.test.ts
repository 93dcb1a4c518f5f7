import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeImportCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ExportTableToPointInTimeCommand,
  ImportTableCommand,
  ListExportsCommand,
  ListTagsOfResourceCommand,
  type ExportDescription,
} from '@aws-sdk/client-dynamodb'
import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { ListImportsCommand, UpdateContinuousBackupsCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb'
import { afterEach, describe, expect, it } from 'vitest'

import { ExportFailedError, ImportFailedError, InterruptedError, UserInputError } from '../../src/errors.js'
import { exportClientToken, exportFolderOf, exportRequest, exportTableToS3, importTableFromS3, parseS3Url, tableCreationParameters } from '../../src/exports/index.js'
import { mockAws } from '../helpers.js'

// What moto does not do, faked with the exact answers of the real service: DynamoDB echoes the
// ClientToken in DescribeExport, names ExportManifest once COMPLETED, runs exports and imports for
// minutes (IN_PROGRESS first), fails exports with a FailureCode/FailureMessage, takes incremental
// exports, and ends an import COMPLETED with ErrorCount > 0 when some items could not be imported.

const cleanup: Array<() => void> = []
afterEach(() => {
  while (cleanup.length) cleanup.pop()!()
})

const fakeAws = () => mockAws(cleanup)

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/users'
const EXPORT_ARN = `${TABLE_ARN}/export/01764583200000-abcd1234`
const PITR_ON = { ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED' as const, PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' as const } } }
const FAST = { waitOptions: { intervalMs: 1 } }

describe('s3:// URLs', () => {
  it('parses bucket and key; malformed URLs are bad input (exit 2)', () => {
    expect(parseS3Url('s3://my-bucket/exports/users/')).toEqual({ bucket: 'my-bucket', key: 'exports/users/' })
    expect(parseS3Url('s3://my.bucket')).toEqual({ bucket: 'my.bucket', key: '' })
    for (const bad of [
      'my-bucket/x',
      's3:/my-bucket',
      's3://',
      's3:///x',
      's3://My_Bucket/x',
      's3://ab',
      's3://-ab/x',
      's3://a..b/x',
      's3://1.2.3.4/x',
      's3://b-1/a//b',
      's3://b-1/a b',
    ]) {
      expect(() => parseS3Url(bad), bad).toThrow(UserInputError)
    }
  })

  it('finds the export folder from its URL, its data/ or a manifest in it', () => {
    const folder = { bucket: 'b-1', key: 'p/q/AWSDynamoDB/01764583200000-abcd1234/', exportId: '01764583200000-abcd1234' }
    for (const key of [
      'p/q/AWSDynamoDB/01764583200000-abcd1234',
      'p/q/AWSDynamoDB/01764583200000-abcd1234/',
      'p/q/AWSDynamoDB/01764583200000-abcd1234/data/',
      'p/q/AWSDynamoDB/01764583200000-abcd1234/manifest-summary.json',
    ]) {
      expect(exportFolderOf({ bucket: 'b-1', key }), key).toEqual(folder)
    }
    expect(exportFolderOf({ bucket: 'b-1', key: 'AWSDynamoDB/x/' })).toEqual({ bucket: 'b-1', key: 'AWSDynamoDB/x/', exportId: 'x' })
    expect(exportFolderOf({ bucket: 'b-1', key: 'p/q/' })).toBeUndefined()
  })
})

describe('export requests', () => {
  it('an incremental export (moto has none): NEW_AND_OLD_IMAGES by default, the period checked before any call', () => {
    const from = new Date('2026-11-20T10:00:00Z')
    const to = new Date('2026-11-20T12:00:00Z')
    expect(exportRequest({ bucket: 'b-1', key: 'changes/' }, { incremental: { from, to } })).toEqual({
      S3Bucket: 'b-1',
      S3Prefix: 'changes',
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'INCREMENTAL_EXPORT',
      IncrementalExportSpecification: { ExportFromTime: from, ExportToTime: to, ExportViewType: 'NEW_AND_OLD_IMAGES' },
    })
    expect(exportRequest({ bucket: 'b-1', key: '' }, { incremental: { from, to, view: 'new' }, format: 'ion', kmsKey: 'k', s3Owner: '210987654321' })).toMatchObject({
      ExportFormat: 'ION',
      S3SseAlgorithm: 'KMS',
      S3SseKmsKeyId: 'k',
      S3BucketOwner: '210987654321',
      IncrementalExportSpecification: { ExportViewType: 'NEW_IMAGE' },
    })
    expect(() => exportRequest({ bucket: 'b-1', key: '' }, { incremental: { from: to, to: from } })).toThrow(/is not after --from/)
    expect(() => exportRequest({ bucket: 'b-1', key: '' }, { incremental: { from, to: new Date(from.getTime() + 60_000) } })).toThrow(/between 15 minutes and 24 hours/)
    expect(() => exportRequest({ bucket: 'b-1', key: '' }, { time: from, incremental: { from, to } })).toThrow(UserInputError)
  })

  it('the ClientToken depends on the table, the destination and every option, and on the failed attempts before', () => {
    const req = exportRequest({ bucket: 'b-1', key: 'x' }, {})
    expect(exportClientToken(TABLE_ARN, req)).toBe(exportClientToken(TABLE_ARN, exportRequest({ bucket: 'b-1', key: 'x/' }, {})))
    expect(exportClientToken(TABLE_ARN, req)).toMatch(/^[0-9a-f]{32}$/)
    expect(exportClientToken(TABLE_ARN, req)).not.toBe(exportClientToken(`${TABLE_ARN}2`, req))
    expect(exportClientToken(TABLE_ARN, req)).not.toBe(exportClientToken(TABLE_ARN, exportRequest({ bucket: 'b-1', key: 'y' }, {})))
    expect(exportClientToken(TABLE_ARN, req)).not.toBe(exportClientToken(TABLE_ARN, exportRequest({ bucket: 'b-1', key: 'x' }, { format: 'ion' })))
    expect(exportClientToken(TABLE_ARN, req, 1)).not.toBe(exportClientToken(TABLE_ARN, req, 0))
  })
})

describe('exportTableToS3 against the real service (faked)', () => {
  function withTable() {
    const aws = fakeAws()
    aws.ddb.on(DescribeTableCommand).resolves({ Table: { TableName: 'users', TableArn: TABLE_ARN, TableStatus: 'ACTIVE' } })
    aws.ddb.on(DescribeContinuousBackupsCommand).resolves(PITR_ON)
    return aws
  }
  const described = (d: Partial<ExportDescription>): ExportDescription => ({
    ExportArn: EXPORT_ARN,
    TableArn: TABLE_ARN,
    S3Bucket: 'b-1',
    S3Prefix: 'x',
    ExportType: 'FULL_EXPORT',
    ...d,
  })

  it('waits through IN_PROGRESS (items and bytes reported), then gives the manifest and the folder', async () => {
    const { conn, ddb } = withTable()
    ddb.on(ListExportsCommand).resolves({ ExportSummaries: [] })
    ddb.on(ExportTableToPointInTimeCommand).resolves({ ExportDescription: described({ ExportStatus: 'IN_PROGRESS' }) })
    ddb
      .on(DescribeExportCommand)
      .resolvesOnce({ ExportDescription: described({ ExportStatus: 'IN_PROGRESS' }) })
      .resolvesOnce({ ExportDescription: described({ ExportStatus: 'IN_PROGRESS', ItemCount: 500 }) })
      .resolves({
        ExportDescription: described({
          ExportStatus: 'COMPLETED',
          ItemCount: 1000,
          BilledSizeBytes: 123456,
          ExportManifest: 'x/AWSDynamoDB/01764583200000-abcd1234/manifest-summary.json',
        }),
      })
    const messages: string[] = []
    const r = await exportTableToS3(conn, 'users', 's3://b-1/x', { wait: true, ...FAST, onProgress: (p) => messages.push(p.message) })
    expect(r).toMatchObject({
      status: 'COMPLETED',
      followed: false,
      itemCount: 1000,
      billedSizeBytes: 123456,
      manifest: 's3://b-1/x/AWSDynamoDB/01764583200000-abcd1234/manifest-summary.json',
      folder: 's3://b-1/x/AWSDynamoDB/01764583200000-abcd1234/',
    })
    expect(messages.filter((m) => m.startsWith('export '))).toEqual([
      expect.stringMatching(/^export IN_PROGRESS \(/),
      expect.stringMatching(/^export IN_PROGRESS, 500 items \(/),
      expect.stringMatching(/^export COMPLETED, 1000 items, 123456 bytes \(/),
    ])
    const sent = ddb.commandCalls(ExportTableToPointInTimeCommand)[0]!.args[0].input
    expect(sent.ClientToken).toBe(exportClientToken(TABLE_ARN, exportRequest({ bucket: 'b-1', key: 'x' }, {})))
  })

  it('an export already started under the same ClientToken is followed, not started again', async () => {
    const { conn, ddb } = withTable()
    const token = exportClientToken(TABLE_ARN, exportRequest({ bucket: 'b-1', key: 'x' }, {}))
    ddb.on(ListExportsCommand).resolves({ ExportSummaries: [{ ExportArn: EXPORT_ARN, ExportStatus: 'IN_PROGRESS' }] })
    ddb.on(DescribeExportCommand).resolves({ ExportDescription: described({ ExportStatus: 'IN_PROGRESS', ClientToken: token }) })
    const r = await exportTableToS3(conn, 'users', 's3://b-1/x')
    expect(r).toMatchObject({ exportArn: EXPORT_ARN, followed: true, status: 'IN_PROGRESS', folder: 's3://b-1/x/AWSDynamoDB/01764583200000-abcd1234/' })
    expect(ddb.commandCalls(ExportTableToPointInTimeCommand)).toHaveLength(0)
  })

  it('after a FAILED export under the same token, a re-run starts a new one under the next token', async () => {
    const { conn, ddb } = withTable()
    const req = exportRequest({ bucket: 'b-1', key: 'x' }, {})
    ddb.on(ListExportsCommand).resolves({ ExportSummaries: [{ ExportArn: EXPORT_ARN, ExportStatus: 'FAILED' }] })
    ddb.on(DescribeExportCommand).resolves({ ExportDescription: described({ ExportStatus: 'FAILED', ClientToken: exportClientToken(TABLE_ARN, req, 0) }) })
    ddb.on(ExportTableToPointInTimeCommand).resolves({ ExportDescription: described({ ExportArn: `${TABLE_ARN}/export/2`, ExportStatus: 'IN_PROGRESS' }) })
    const r = await exportTableToS3(conn, 'users', 's3://b-1/x')
    expect(r.followed).toBe(false)
    expect(ddb.commandCalls(ExportTableToPointInTimeCommand)[0]!.args[0].input.ClientToken).toBe(exportClientToken(TABLE_ARN, req, 1))
  })

  it('Ctrl-C while point-in-time recovery, just turned on, is not yet reported ENABLED (the wait polls every 5 s against AWS, up to 10 minutes) stops the wait at once: InterruptedError (exit 130), no export started', async () => {
    const aws = withTable()
    const off = {
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED' as const, PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' as const } },
    }
    aws.ddb.on(DescribeContinuousBackupsCommand).resolves(off)
    aws.ddb.on(UpdateContinuousBackupsCommand).resolves({})
    const stop = new AbortController()
    setTimeout(() => stop.abort(), 50)
    const started = Date.now()
    // The default poll interval against AWS is 5 s: the abort must cut the sleep, not wait it out.
    const err = await exportTableToS3(aws.conn, 'users', 's3://b-1/x', { enablePitr: true, waitOptions: { signal: stop.signal } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InterruptedError)
    expect((err as InterruptedError).exitCode).toBe(130)
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(aws.ddb.commandCalls(ExportTableToPointInTimeCommand)).toHaveLength(0)
  })

  it('FAILED ends in ExportFailedError (exit 1) with DynamoDB’s code and reason', async () => {
    const { conn, ddb } = withTable()
    ddb.on(ListExportsCommand).resolves({ ExportSummaries: [] })
    ddb.on(ExportTableToPointInTimeCommand).resolves({ ExportDescription: described({ ExportStatus: 'IN_PROGRESS' }) })
    ddb
      .on(DescribeExportCommand)
      .resolves({ ExportDescription: described({ ExportStatus: 'FAILED', FailureCode: 'S3AccessDenied', FailureMessage: 'Access Denied to bucket b-1' }) })
    const err = await exportTableToS3(conn, 'users', 's3://b-1/x', { wait: true, ...FAST }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ExportFailedError)
    expect((err as ExportFailedError).exitCode).toBe(1)
    expect((err as Error).message).toBe(`Export ${EXPORT_ARN} FAILED (S3AccessDenied): Access Denied to bucket b-1.`)
  })
})

describe('importTableFromS3 against the real service (faked)', () => {
  const FOLDER = 's3://b-1/x/AWSDynamoDB/01764583200000-abcd1234/'
  function withSource(extra: Record<string, unknown> = {}) {
    const aws = fakeAws()
    aws.ddb.on(DescribeTableCommand, { TableName: 'users' }).resolves({
      Table: {
        TableName: 'users',
        TableArn: TABLE_ARN,
        TableStatus: 'ACTIVE',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        ...extra,
      },
    })
    aws.ddb.on(DescribeTableCommand, { TableName: 'users_new' }).rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }))
    aws.ddb.on(DescribeContinuousBackupsCommand).resolves(PITR_ON)
    aws.ddb.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } })
    aws.ddb.on(ListTagsOfResourceCommand).resolves({ Tags: [] })
    aws.s3.on(GetObjectCommand).rejects(Object.assign(new Error('no key'), { name: 'NoSuchKey' }))
    aws.s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'x/AWSDynamoDB/01764583200000-abcd1234/data/a.json.gz', Size: 10 }] })
    return aws
  }

  it('a table with LSIs is refused before anything is read from S3 or created', async () => {
    const { conn, ddb, s3 } = withSource({
      LocalSecondaryIndexes: [{ IndexName: 'by-date', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    })
    const err = await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as Error).message).toContain('cannot create them')
    expect(s3.calls()).toHaveLength(0)
    expect(ddb.commandCalls(ImportTableCommand)).toHaveLength(0)
  })

  it('TableCreationParameters carry keys, GSIs, billing and SSE only', () => {
    expect(
      tableCreationParameters(
        {
          name: 't-1',
          hashKey: { name: 'pk', type: 'S' },
          billing: 'PROVISIONED',
          read: 5,
          write: 6,
          indexes: [{ name: 'g1', hashKey: { name: 'g', type: 'N' } }],
          sse: { enabled: true, kmsKeyId: 'k' },
          ttl: 'exp',
          stream: 'NEW_IMAGE',
          tags: { a: 'b' },
          deletionProtection: true,
        },
        'spec',
      ),
    ).toEqual({
      TableName: 't-1',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 6 },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'g1',
          KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 6 },
        },
      ],
      SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: 'k' },
    })
  })

  it('the real service ends FAILED with a reason: ImportFailedError (exit 1) naming the CloudWatch Logs group', async () => {
    const { conn, ddb } = withSource()
    const arn = `${TABLE_ARN}_new/import/01764583200000-abcd1234`
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: arn, ImportStatus: 'IN_PROGRESS' } })
    ddb
      .on(DescribeImportCommand)
      .resolvesOnce({ ImportTableDescription: { ImportArn: arn, ImportStatus: 'IN_PROGRESS', ProcessedItemCount: 10 } })
      .resolves({
        ImportTableDescription: {
          ImportArn: arn,
          ImportStatus: 'FAILED',
          FailureCode: 'ItemValidationError',
          FailureMessage: 'Some of the items failed validation checks',
          ProcessedItemCount: 20,
          ImportedItemCount: 0,
          ErrorCount: 20,
          CloudWatchLogGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws-dynamodb/imports:*',
        },
      })
    const err = await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users', wait: true, ...FAST }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ImportFailedError)
    expect((err as ImportFailedError).exitCode).toBe(1)
    expect((err as Error).message).toContain('ended FAILED (ItemValidationError): Some of the items failed validation checks; 0 of 20 items imported, 20 errors')
    expect((err as ImportFailedError).hint).toContain('CloudWatch Logs group arn:aws:logs:eu-west-1:123456789012:log-group:/aws-dynamodb/imports:*')
    const sent = ddb.commandCalls(ImportTableCommand)[0]!.args[0].input
    expect(sent).toMatchObject({
      S3BucketSource: { S3Bucket: 'b-1', S3KeyPrefix: 'x/AWSDynamoDB/01764583200000-abcd1234/data/' },
      InputFormat: 'DYNAMODB_JSON',
      InputCompressionType: 'GZIP',
      TableCreationParameters: { TableName: 'users_new', BillingMode: 'PAY_PER_REQUEST' },
    })
  })

  it('re-run after a FAILED import: the real service answers the same ClientToken with that FAILED import for 8 hours, so the next attempt goes under a new token', async () => {
    const { conn, ddb } = withSource()
    const failed = `${TABLE_ARN}_new/import/01764583200000-failed01`
    const fresh = `${TABLE_ARN}_new/import/01764590000000-fresh001`
    const seen = new Map<string, string>()
    ddb.on(ImportTableCommand).callsFake((input: { ClientToken: string }) => {
      // The first token is the one the failed run used; any other starts a new import.
      if (!seen.size) seen.set(input.ClientToken, failed)
      const arn = seen.get(input.ClientToken) ?? fresh
      seen.set(input.ClientToken, arn)
      return { ImportTableDescription: { ImportArn: arn, ImportStatus: arn === failed ? 'FAILED' : 'IN_PROGRESS' } }
    })
    const started = await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users' })
    expect(started.importArn).toBe(fresh)
    const tokens = ddb.commandCalls(ImportTableCommand).map((c) => c.args[0].input.ClientToken)
    expect(tokens).toHaveLength(2)
    expect(new Set(tokens).size).toBe(2)
    // The same command once more follows the new import (same second token), starting nothing else.
    const again = await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users' })
    expect(again.importArn).toBe(fresh)
    expect(ddb.commandCalls(ImportTableCommand).map((c) => c.args[0].input.ClientToken)).toEqual([...tokens, tokens[0], tokens[1]])
  })

  it('an ION export (its manifest-summary.json says so) is imported as ION; an incremental one is refused', async () => {
    const { conn, ddb, s3 } = withSource()
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => JSON.stringify({ outputFormat: 'ION', exportType: 'FULL_EXPORT' }) } as never })
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: 'arn:i', ImportStatus: 'IN_PROGRESS' } })
    const r = await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users' })
    expect(r).toMatchObject({ format: 'ION', status: 'IN_PROGRESS', outcome: 'ok' })
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => JSON.stringify({ outputFormat: 'DYNAMODB_JSON', exportType: 'INCREMENTAL_EXPORT' }) } as never })
    await expect(importTableFromS3(conn, FOLDER, 'users_new', { like: 'users' })).rejects.toThrow(/incremental export/)
  })

  it('the real service ends COMPLETED with ErrorCount > 0 for items it could not import: outcome partial (exit 1), counts and log group given, settings still re-applied', async () => {
    const { conn, ddb } = withSource({ DeletionProtectionEnabled: true })
    const scaling = mockClient(conn.autoscaling)
    cleanup.push(() => scaling.restore())
    scaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] })
    scaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] })
    const created = {
      TableName: 'users_new',
      TableArn: `${TABLE_ARN}_new`,
      TableStatus: 'ACTIVE' as const,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' as const },
    }
    ddb
      .on(DescribeTableCommand, { TableName: 'users_new' })
      .rejectsOnce(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }))
      .resolves({ Table: created })
    ddb.on(UpdateTableCommand).resolves({ TableDescription: created })
    const arn = `${TABLE_ARN}_new/import/01764583200000-abcd1234`
    const logGroup = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws-dynamodb/imports:*'
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: arn, ImportStatus: 'IN_PROGRESS' } })
    ddb.on(DescribeImportCommand).resolves({
      ImportTableDescription: {
        ImportArn: arn,
        ImportStatus: 'COMPLETED',
        ProcessedItemCount: 1000,
        ImportedItemCount: 997,
        ErrorCount: 3,
        ProcessedSizeBytes: 1_000_000,
        CloudWatchLogGroupArn: logGroup,
      },
    })
    const r = await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users', wait: true, ...FAST })
    expect(r).toMatchObject({ status: 'COMPLETED', processedItems: 1000, importedItems: 997, errors: 3, logGroup, outcome: 'partial' })
    expect(r.reconcile?.settings).toContainEqual({ setting: 'deletionProtection', status: 'applied', detail: 'deletion protection on' })
    expect(ddb.commandCalls(UpdateTableCommand).map((c) => c.args[0].input)).toContainEqual({ TableName: 'users_new', DeletionProtectionEnabled: true })
  })

  it('a re-run while the real service is still importing (the table exists, CREATING) follows the import with the same ClientToken; any other existing table is refused', async () => {
    const { conn, ddb } = withSource()
    const arn = `${TABLE_ARN}_new/import/01764583200000-abcd1234`
    ddb.on(ImportTableCommand).resolves({ ImportTableDescription: { ImportArn: arn, ImportStatus: 'IN_PROGRESS' } })
    // The first run: no table yet, so ImportTable is sent with the request's token.
    expect((await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users' })).followed).toBe(false)
    const token = ddb.commandCalls(ImportTableCommand)[0]!.args[0].input.ClientToken
    expect(token).toMatch(/^[0-9a-f]{32}$/)
    // Now the table exists (CREATING) and ListImports names the import.
    ddb.on(DescribeTableCommand, { TableName: 'users_new' }).resolves({ Table: { TableName: 'users_new', TableArn: `${TABLE_ARN}_new`, TableStatus: 'CREATING' } })
    ddb.on(ListImportsCommand).resolves({ ImportSummaryList: [{ ImportArn: arn, ImportStatus: 'IN_PROGRESS', TableArn: `${TABLE_ARN}_new` }] })
    ddb.on(DescribeImportCommand).resolves({ ImportTableDescription: { ImportArn: arn, ImportStatus: 'IN_PROGRESS', ClientToken: token, ProcessedItemCount: 5 } })
    const again = await importTableFromS3(conn, FOLDER, 'users_new', { like: 'users' })
    expect(again).toMatchObject({ followed: true, importArn: arn, status: 'IN_PROGRESS', processedItems: 5 })
    expect(ddb.commandCalls(ImportTableCommand)).toHaveLength(1)
    // Another request (another definition: a spec) into that table is not its import: refused.
    const other = importTableFromS3(conn, FOLDER, 'users_new', { spec: { name: 'users_new', hashKey: { name: 'id', type: 'N' } } })
    await expect(other).rejects.toThrow(/already exists/)
    expect(ddb.commandCalls(ImportTableCommand)).toHaveLength(1)
  })
})
