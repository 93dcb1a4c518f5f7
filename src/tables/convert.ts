import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  GlobalSecondaryIndexDescription,
  KeySchemaElement,
  LocalSecondaryIndexDescription,
  Projection,
  ScalarAttributeType,
  TableDescription,
} from '@aws-sdk/client-dynamodb'

import type { GlobalIndexSpec, KeySpec, ProjectionSpec, TableSpec } from './spec.js'

/** Converts between dynx specs and DynamoDB's wire shapes. Pure functions. */

export function toProjection(p: ProjectionSpec | undefined): Projection {
  if (p === undefined || p === 'ALL') return { ProjectionType: 'ALL' }
  if (p === 'KEYS_ONLY') return { ProjectionType: 'KEYS_ONLY' }
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...p] }
}

/** A projection as people read it: ALL, KEYS_ONLY or INCLUDE a, b. */
export function projectionText(p: ProjectionSpec | undefined): string {
  return Array.isArray(p) ? `INCLUDE ${p.join(', ')}` : (p ?? 'ALL')
}

export function fromProjection(p: Projection | undefined): ProjectionSpec {
  if (!p || p.ProjectionType === 'ALL' || !p.ProjectionType) return 'ALL'
  if (p.ProjectionType === 'KEYS_ONLY') return 'KEYS_ONLY'
  return [...(p.NonKeyAttributes ?? [])]
}

function keySchema(hash: KeySpec, range?: KeySpec): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [{ AttributeName: hash.name, KeyType: 'HASH' }]
  if (range) schema.push({ AttributeName: range.name, KeyType: 'RANGE' })
  return schema
}

/** Every attribute any key of the table or its indexes uses, once. */
export function attributeDefinitions(spec: Pick<TableSpec, 'hashKey' | 'rangeKey' | 'indexes' | 'localIndexes'>): AttributeDefinition[] {
  const defs = new Map<string, ScalarAttributeType>()
  const add = (k?: KeySpec) => {
    if (k) defs.set(k.name, k.type)
  }
  add(spec.hashKey)
  add(spec.rangeKey)
  spec.indexes?.forEach((g) => {
    add(g.hashKey)
    add(g.rangeKey)
  })
  spec.localIndexes?.forEach((l) => add(l.rangeKey))
  return [...defs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }))
}

export function toGlobalIndex(g: GlobalIndexSpec, table: TableSpec): GlobalSecondaryIndex {
  const provisioned = (table.billing ?? 'PAY_PER_REQUEST') === 'PROVISIONED'
  return {
    IndexName: g.name,
    KeySchema: keySchema(g.hashKey, g.rangeKey),
    Projection: toProjection(g.projection),
    ...(provisioned ? { ProvisionedThroughput: { ReadCapacityUnits: g.read ?? table.read ?? 1, WriteCapacityUnits: g.write ?? table.write ?? 1 } } : {}),
  }
}

/** The CreateTable request for a spec. TTL, PITR and tags are set after the table is ACTIVE. */
export function toCreateTableInput(spec: TableSpec): CreateTableCommandInput {
  const provisioned = (spec.billing ?? 'PAY_PER_REQUEST') === 'PROVISIONED'
  const input: CreateTableCommandInput = {
    TableName: spec.name,
    AttributeDefinitions: attributeDefinitions(spec),
    KeySchema: keySchema(spec.hashKey, spec.rangeKey),
    BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
  }
  if (provisioned) input.ProvisionedThroughput = { ReadCapacityUnits: spec.read, WriteCapacityUnits: spec.write }
  if (spec.indexes?.length) input.GlobalSecondaryIndexes = spec.indexes.map((g) => toGlobalIndex(g, spec))
  if (spec.localIndexes?.length) {
    input.LocalSecondaryIndexes = spec.localIndexes.map((l) => ({
      IndexName: l.name,
      KeySchema: keySchema(spec.hashKey, l.rangeKey),
      Projection: toProjection(l.projection),
    }))
  }
  if (spec.stream) input.StreamSpecification = { StreamEnabled: true, StreamViewType: spec.stream }
  if (spec.sse?.enabled) {
    input.SSESpecification = { Enabled: true, SSEType: 'KMS', ...(spec.sse.kmsKeyId ? { KMSMasterKeyId: spec.sse.kmsKeyId } : {}) }
  }
  if (spec.tableClass) input.TableClass = spec.tableClass
  if (spec.deletionProtection !== undefined) input.DeletionProtectionEnabled = spec.deletionProtection
  return input
}

function keysOf(schema: KeySchemaElement[] | undefined, defs: AttributeDefinition[] | undefined): { hashKey: KeySpec; rangeKey?: KeySpec } {
  const typeOf = (name: string) => (defs?.find((d) => d.AttributeName === name)?.AttributeType ?? 'S') as KeySpec['type']
  const hash = schema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? ''
  const range = schema?.find((k) => k.KeyType === 'RANGE')?.AttributeName
  return { hashKey: { name: hash, type: typeOf(hash) }, ...(range ? { rangeKey: { name: range, type: typeOf(range) } } : {}) }
}

function globalIndexFromDescription(g: GlobalSecondaryIndexDescription, defs: AttributeDefinition[] | undefined, provisioned: boolean): GlobalIndexSpec {
  const { hashKey, rangeKey } = keysOf(g.KeySchema, defs)
  return {
    name: g.IndexName ?? '',
    hashKey,
    ...(rangeKey ? { rangeKey } : {}),
    projection: fromProjection(g.Projection),
    ...(provisioned && g.ProvisionedThroughput ? { read: g.ProvisionedThroughput.ReadCapacityUnits ?? 0, write: g.ProvisionedThroughput.WriteCapacityUnits ?? 0 } : {}),
  }
}

function localIndexFromDescription(l: LocalSecondaryIndexDescription, defs: AttributeDefinition[] | undefined) {
  const { rangeKey } = keysOf(l.KeySchema, defs)
  return { name: l.IndexName ?? '', rangeKey: rangeKey ?? { name: '', type: 'S' as const }, projection: fromProjection(l.Projection) }
}

/** What CreateTable can express, read back from a DescribeTable answer (TTL, PITR, tags come separately). */
export function specFromDescription(d: TableDescription): TableSpec {
  const provisioned = (d.BillingModeSummary?.BillingMode ?? 'PROVISIONED') === 'PROVISIONED'
  const spec: TableSpec = {
    name: d.TableName ?? '',
    ...keysOf(d.KeySchema, d.AttributeDefinitions),
    billing: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
  }
  if (provisioned) {
    spec.read = d.ProvisionedThroughput?.ReadCapacityUnits ?? 0
    spec.write = d.ProvisionedThroughput?.WriteCapacityUnits ?? 0
  }
  if (d.GlobalSecondaryIndexes?.length) spec.indexes = d.GlobalSecondaryIndexes.map((g) => globalIndexFromDescription(g, d.AttributeDefinitions, provisioned))
  if (d.LocalSecondaryIndexes?.length) spec.localIndexes = d.LocalSecondaryIndexes.map((l) => localIndexFromDescription(l, d.AttributeDefinitions))
  spec.stream = d.StreamSpecification?.StreamEnabled ? (d.StreamSpecification.StreamViewType ?? 'NEW_AND_OLD_IMAGES') : false
  if (d.SSEDescription?.Status === 'ENABLED' || d.SSEDescription?.Status === 'ENABLING') {
    spec.sse = { enabled: true, ...(d.SSEDescription.KMSMasterKeyArn ? { kmsKeyId: d.SSEDescription.KMSMasterKeyArn } : {}) }
  }
  spec.tableClass = d.TableClassSummary?.TableClass === 'STANDARD_INFREQUENT_ACCESS' ? 'STANDARD_INFREQUENT_ACCESS' : 'STANDARD'
  spec.deletionProtection = d.DeletionProtectionEnabled ?? false
  return spec
}
