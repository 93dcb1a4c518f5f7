import { GetItemCommand } from '@aws-sdk/client-dynamodb'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import type { Item } from '../data/values.js'
import { DynxError, ExitCode } from '../errors.js'
import { buildProjection } from '../scan/expressions.js'
import { describeTableRaw } from '../tables/describe.js'
import { parseItemKey, tableKeyOf, type KeyAttribute } from './keys.js'

export interface GetItemRequest {
  table: string
  /** The key as AttributeValues, or as typed on a command line (`pk=a,sk=5`, plain or DynamoDB JSON; see parseItemKey). */
  key: Item | string
  consistentRead?: boolean
  /** Attribute paths to return; reserved words are escaped. */
  attributes?: string[]
}

export interface GetItemResult {
  table: string
  key: Item
  /** The table's key schema (partition key first). */
  keySchema: KeyAttribute[]
  found: boolean
  /** The item, exactly as DynamoDB sent it; absent when there is none with that key. */
  item?: Item
  consumedCapacity: number
}

/** No item has the key asked for: exit 3, like the other "looked and found something else" results. */
export class ItemNotFoundError extends DynxError {
  override readonly exitCode: number = ExitCode.drift
  constructor(
    readonly table: string,
    key: string,
  ) {
    super(`No item with key ${key} in ${table}.`, 'Check the key (`dynx query` or `dynx scan --filter` finds items by other attributes).')
  }
}

/**
 * One item by its primary key. The key is typed by the table's key schema (DescribeTable), so
 * `pk=a,sk=5` finds the item whose sk is the number 5. A missing item is not an error here:
 * `found` says so.
 */
export async function getItem(conn: Connection, req: GetItemRequest): Promise<GetItemResult> {
  const keySchema = tableKeyOf(await describeTableRaw(conn, req.table))
  const key = typeof req.key === 'string' ? parseItemKey(req.key, req.table, keySchema) : req.key
  const projection = req.attributes?.length ? buildProjection(req.attributes) : undefined
  const out = await call(
    conn,
    'GetItem',
    () =>
      conn.dynamodb.send(
        new GetItemCommand({
          TableName: req.table,
          Key: key,
          ConsistentRead: req.consistentRead || undefined,
          ProjectionExpression: projection?.expression,
          ExpressionAttributeNames: projection?.names,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    req.table,
  )
  return { table: req.table, key, keySchema, found: out.Item !== undefined, ...(out.Item ? { item: out.Item } : {}), consumedCapacity: out.ConsumedCapacity?.CapacityUnits ?? 0 }
}
