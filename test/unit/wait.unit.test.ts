import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { describe, expect, it } from 'vitest'

import { createConnection } from '../../src/connection/clients.js'
import { TimeoutWaitingError } from '../../src/errors.js'
import { waitForTableActive, type WaitProgress } from '../../src/tables/wait.js'

// Faked responses: no local engine keeps a GSI CREATING/backfilling long enough to observe
// (moto is ACTIVE at once, dynalite flips after a fixed delay), as a big AWS backfill does.
describe('waiting for ACTIVE (stands for a long GSI backfill on AWS)', () => {
  const conn = createConnection({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })

  it('waits until the table and every GSI are ACTIVE and no longer backfilling', async () => {
    const mock = mockClient(DynamoDBClient)
    mock
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { TableStatus: 'CREATING' } })
      .resolvesOnce({ Table: { TableStatus: 'ACTIVE', GlobalSecondaryIndexes: [{ IndexName: 'g', IndexStatus: 'CREATING' }] } })
      .resolvesOnce({ Table: { TableStatus: 'ACTIVE', GlobalSecondaryIndexes: [{ IndexName: 'g', IndexStatus: 'ACTIVE', Backfilling: true }] } })
      .resolves({ Table: { TableStatus: 'ACTIVE', GlobalSecondaryIndexes: [{ IndexName: 'g', IndexStatus: 'ACTIVE' }] } })
    const seen: WaitProgress[] = []
    await waitForTableActive(conn, 't', { intervalMs: 1, onProgress: (p) => seen.push(p) })
    expect(seen.map((p) => `${p.status}|${p.pendingIndexes.join(',')}`)).toEqual(['CREATING|', 'ACTIVE|g CREATING', 'ACTIVE|g BACKFILLING', 'ACTIVE|'])
    mock.restore()
  })

  it('gives up after the timeout with a message naming what is still pending', async () => {
    const mock = mockClient(DynamoDBClient)
    mock.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'UPDATING', GlobalSecondaryIndexes: [{ IndexName: 'g', IndexStatus: 'CREATING' }] } })
    const err = await waitForTableActive(conn, 't', { intervalMs: 1, timeoutMs: 5 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutWaitingError)
    expect((err as Error).message).toMatch(/^Table t is still UPDATING \(indexes: g CREATING\) after \d+s\.$/)
    mock.restore()
  })
})
