// Smoke test of the engine harness: each local engine really serves DynamoDB calls.
import { randomBytes } from 'node:crypto'
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engineList, localClient } from './setup/engines.js'

const runId = randomBytes(4).toString('hex')
let tableCounter = 0
const uniqueTableName = (): string => `dynx-smoke-${runId}-${++tableCounter}`

async function waitForStatus(client: DynamoDBClient, tableName: string, want: 'ACTIVE' | 'GONE'): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }))
      if (want === 'ACTIVE' && Table?.TableStatus === 'ACTIVE') return
    } catch (error) {
      if (want === 'GONE' && error instanceof ResourceNotFoundException) return
      throw error
    }
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ${want}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function createTable(client: DynamoDBClient): Promise<string> {
  const tableName = uniqueTableName()
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  )
  await waitForStatus(client, tableName, 'ACTIVE')
  return tableName
}

async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }))
  await waitForStatus(client, tableName, 'GONE')
}

describe.each(engineList())('%s engine', (name, endpoint) => {
  let client: DynamoDBClient

  beforeAll(() => {
    client = localClient(endpoint)
  })

  afterAll(() => {
    client.destroy()
  })

  it('listens on a loopback endpoint', () => {
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('creates a table, puts and gets an item, deletes the table', async () => {
    const tableName = await createTable(client)
    try {
      const item = { pk: { S: 'user#1' }, name: { S: 'Ada' }, visits: { N: '3' } }
      await client.send(new PutItemCommand({ TableName: tableName, Item: item }))
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'user#1' } }, ConsistentRead: true }))
      expect(Item).toEqual(item)
    } finally {
      await deleteTable(client, tableName)
    }
  })

  // moto is the engine with backup/PITR support, so prove the harness reaches it.
  it.runIf(name === 'moto')('describes continuous backups', async () => {
    const tableName = await createTable(client)
    try {
      const { ContinuousBackupsDescription } = await client.send(new DescribeContinuousBackupsCommand({ TableName: tableName }))
      expect(ContinuousBackupsDescription?.ContinuousBackupsStatus).toBe('ENABLED')
      expect(ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('DISABLED')
    } finally {
      await deleteTable(client, tableName)
    }
  })
})
