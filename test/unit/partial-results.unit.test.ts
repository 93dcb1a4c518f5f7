import { DescribeTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

import { renderScanStopped } from '../../src/cli/render.js'
import { renderVerifyStopped } from '../../src/cli/verify-render.js'
import { createConnection } from '../../src/connection/clients.js'
import type { Item } from '../../src/data/values.js'
import { partialResultOf } from '../../src/errors.js'
import { scanToOutput } from '../../src/scan/export.js'
import { verifyTables } from '../../src/verify/verify.js'
import { tempDir } from '../helpers.js'

// Faked: a Scan that keeps failing after some pages, once the retry policy (bypassed by
// aws-sdk-client-mock's send) has given up: what a long outage mid-scan looks like on AWS.
const conn = createConnection({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
const item = (i: number): Item => ({ id: { S: `k${String(i).padStart(4, '0')}` } })
const reset = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: { attempts: 40 } })
const table = (name: string) => ({
  Table: {
    TableName: name,
    TableArn: `arn:aws:dynamodb:us-east-1:1:table/${name}`,
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
    ItemCount: 300,
    TableSizeBytes: 3000,
  },
})

describe('a scan or verify that fails part-way says what it had read (not nothing)', () => {
  let mock: ReturnType<typeof mockClient>
  afterEach(() => mock.restore())

  it('scan --output --checkpoint: items written, segments done and the checkpoint travel with the error', async () => {
    mock = mockClient(DynamoDBClient)
    mock.on(DescribeTableCommand).resolves(table('t'))
    const items = Array.from({ length: 300 }, (_, i) => item(i))
    mock
      .on(ScanCommand)
      .resolvesOnce({ Items: items.slice(0, 100), Count: 100, ScannedCount: 100, LastEvaluatedKey: items[99] })
      .resolvesOnce({ Items: items.slice(100, 200), Count: 100, ScannedCount: 100, LastEvaluatedKey: items[199] })
      .rejects(reset())
    const dir = tempDir()
    const output = join(dir, 'out.jsonl')
    const checkpoint = join(dir, 'c.json')
    const err = await scanToOutput(conn, { table: 't', segments: 1, format: 'jsonl', output, checkpoint }).catch((e: unknown) => e)
    expect((err as Error).message).toBe('Cannot reach DynamoDB at http://127.0.0.1:1: connection reset (ECONNRESET), after 40 attempts.')
    // Found through `cause` too, as after the base command's mapping.
    expect(partialResultOf(new Error('wrapped', { cause: err }))).toBe(partialResultOf(err))
    const partial = partialResultOf(err)
    expect(partial).toMatchObject({
      outcome: 'partial',
      items: 200,
      scanned: 200,
      complete: false,
      checkpoint,
      partialOutput: `${output}.partial`,
      segments: 1,
      segmentsScanned: 0,
    })
    expect(renderScanStopped(partial!)).toBe(
      `Stopped after 200 items (kept in ${output}.partial), 0 of 1 segments done; progress saved in ${checkpoint}: run the same command again to continue.`,
    )
  })

  it('verify: the items read on each side when it failed', async () => {
    mock = mockClient(DynamoDBClient)
    mock.on(DescribeTableCommand, { TableName: 'a' }).resolves(table('a')).on(DescribeTableCommand, { TableName: 'b' }).resolves(table('b'))
    const items = Array.from({ length: 100 }, (_, i) => item(i))
    mock.on(ScanCommand, { TableName: 'a' }).resolves({ Items: items, Count: 100, ScannedCount: 100 })
    mock.on(ScanCommand, { TableName: 'b' }).rejects(reset())
    const err = await verifyTables(conn, 'a', conn, 'b', { segments: 1 }).catch((e: unknown) => e)
    const partial = partialResultOf(err)
    expect(partial).toMatchObject({ phase: 'checksum', target: { table: 'b', items: 0 } })
    // The source side may have been read before the target's failure stopped it.
    expect([0, 100]).toContain((partial!.source as { items: number }).items)
    expect(renderVerifyStopped(partial!)).toMatch(/^Stopped while checksumming: a (0|100) items read, b 0\.$/)
  })
})
