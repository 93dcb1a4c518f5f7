import { BatchWriteItemCommand, CreateTableCommand, DescribeTableCommand, DynamoDBClient, TagResourceCommand } from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it } from 'vitest'

import { createConnection } from '../../src/connection/clients.js'
import { batchWriteItems } from '../../src/data/batch-write.js'
import type { Item } from '../../src/data/values.js'
import { bootstrapSampleTables } from '../../src/tables/bootstrap.js'

// aws-sdk-client-mock replaces the client's send, so the connection's retry policy is not in the
// way: each rejection below stands for a call the policy already retried for its whole window
// (an endpoint that stopped answering, or a table throttled for --retry-for).
const conn = createConnection({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, retryWindowMs: 20 })
const gaveUp = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ProvisionedThroughputExceededException', $metadata: {} })
const invalid = () => Object.assign(new Error('One or more parameter values were invalid: Type mismatch for key id'), { name: 'ValidationException', $metadata: {} })
const items = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: { S: `k${i}` } }))

describe('batchWriteItems / bootstrap give up at the first failure the retry window did not cure', () => {
  let mock: ReturnType<typeof mockClient>
  afterEach(() => mock.restore())

  it('batchWriteItems: a BatchWriteItem that failed after the whole retry window stops every other batch and rejects', async () => {
    mock = mockClient(DynamoDBClient)
    mock.on(BatchWriteItemCommand).rejects(gaveUp())
    // 40 batches of 25, 4 at a time: only the batches already in flight may have been sent.
    await expect(batchWriteItems(conn, 't', items(1000), { concurrency: 4 })).rejects.toThrow(/Rate of requests/)
    expect(mock.commandCalls(BatchWriteItemCommand).length).toBeLessThanOrEqual(4)
  })

  it('batchWriteItems: an item DynamoDB rejects is still reported with its reason, the rest written', async () => {
    mock = mockClient(DynamoDBClient)
    mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, { PutRequest?: { Item?: Item } }[]> }) => {
      if (input.RequestItems.t.some((r) => r.PutRequest?.Item?.id.S === 'k7')) throw invalid()
      return { UnprocessedItems: {} }
    })
    const out = await batchWriteItems(conn, 't', items(60))
    expect(out.written).toBe(59)
    expect(out.failed).toEqual([{ item: { id: { S: 'k7' } }, reason: expect.stringMatching(/^ValidationException: .*Type mismatch/) }])
  })

  it('bootstrap: a dead endpoint fails the first sample table after one window, with no later 2,500-item window written', async () => {
    mock = mockClient(DynamoDBClient)
    const active = {
      TableStatus: 'ACTIVE' as const,
      TableName: 'users',
      TableArn: 'arn:aws:dynamodb:us-east-1:1:table/users',
      KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' as const }],
    }
    mock
      .on(DescribeTableCommand)
      .rejectsOnce(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException', $metadata: {} }))
      .resolves({ Table: active })
    mock.on(CreateTableCommand).resolves({ TableDescription: { ...active, TableStatus: 'CREATING' } })
    mock.on(TagResourceCommand).resolves({})
    mock.on(BatchWriteItemCommand).rejects(gaveUp())
    // 10,000 items: four windows of 100 batches each.
    await expect(bootstrapSampleTables(conn, { items: 10_000 })).rejects.toThrow(/Rate of requests/)
    expect(mock.commandCalls(BatchWriteItemCommand).length).toBeLessThanOrEqual(4)
    expect(mock.commandCalls(CreateTableCommand).length).toBe(1)
  })
})
