import { describe, expect, it } from 'vitest'

import { specFromDescription, toCreateTableInput } from '../../src/tables/convert.js'
import type { TableSpec } from '../../src/tables/spec.js'

describe('spec <-> DynamoDB shapes', () => {
  const spec: TableSpec = {
    name: 'orders',
    hashKey: { name: 'customerId', type: 'S' },
    rangeKey: { name: 'orderId', type: 'N' },
    billing: 'PROVISIONED',
    read: 5,
    write: 3,
    indexes: [{ name: 'by-status', hashKey: { name: 'status', type: 'S' }, rangeKey: { name: 'orderId', type: 'N' }, projection: ['total'], read: 2, write: 1 }],
    localIndexes: [{ name: 'by-date', rangeKey: { name: 'createdAt', type: 'S' }, projection: 'KEYS_ONLY' }],
    stream: 'NEW_AND_OLD_IMAGES',
    deletionProtection: true,
    tableClass: 'STANDARD_INFREQUENT_ACCESS',
  }

  it('builds a CreateTable request with each key attribute defined once', () => {
    const input = toCreateTableInput(spec)
    expect(input.AttributeDefinitions).toEqual([
      { AttributeName: 'customerId', AttributeType: 'S' },
      { AttributeName: 'orderId', AttributeType: 'N' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
    ])
    expect(input.GlobalSecondaryIndexes?.[0]).toMatchObject({
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['total'] },
      ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 1 },
    })
    expect(input.LocalSecondaryIndexes?.[0].KeySchema).toEqual([
      { AttributeName: 'customerId', KeyType: 'HASH' },
      { AttributeName: 'createdAt', KeyType: 'RANGE' },
    ])
    expect(input.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' })
  })

  it('reads back from a description what it wrote (round trip)', () => {
    const input = toCreateTableInput(spec)
    const back = specFromDescription({
      TableName: input.TableName,
      KeySchema: input.KeySchema,
      AttributeDefinitions: input.AttributeDefinitions,
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 3 },
      GlobalSecondaryIndexes: input.GlobalSecondaryIndexes,
      LocalSecondaryIndexes: input.LocalSecondaryIndexes,
      StreamSpecification: input.StreamSpecification,
      DeletionProtectionEnabled: true,
      TableClassSummary: { TableClass: 'STANDARD_INFREQUENT_ACCESS' },
    })
    expect(back).toEqual(spec)
  })

  it('treats a description without BillingModeSummary as PROVISIONED (what DynamoDB omits)', () => {
    expect(
      specFromDescription({ TableName: 't', KeySchema: [{ AttributeName: 'a', KeyType: 'HASH' }], ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }).billing,
    ).toBe('PROVISIONED')
  })
})
