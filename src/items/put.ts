import { readFileSync } from 'node:fs'
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { wasRetried } from '../connection/idempotent.js'
import { ExactNumber, marshallExactObject, parsePlainJson, parseRawItem, type Item } from '../data/values.js'
import { UserInputError } from '../errors.js'
import { describeTableRaw } from '../tables/describe.js'
import { canonicalItemText } from '../verify/canonical.js'
import { keyOfItem, keySchemaText, tableKeyOf, type KeyAttribute } from './keys.js'

const RAW_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M'])

/** Every attribute is an object with exactly one DynamoDB type key (the rule `dynx load` detects DynamoDB JSON by). */
function looksRaw(o: Record<string, unknown>): boolean {
  const values = Object.values(o)
  return (
    values.length > 0 &&
    values.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof ExactNumber) && Object.keys(v).length === 1 && RAW_TYPES.has(Object.keys(v)[0]))
  )
}

const manyItemsHint = 'dynx put writes one item; for many items (JSON lines, a JSON array, CSV, exports) use `dynx load TABLE FILE`.'

/**
 * One item from JSON text: plain JSON (numbers keep every digit typed) or DynamoDB JSON
 * (`{"id":{"S":"u1"}}`, what `scan --raw` writes). `encoding` forces one; by default an item whose
 * every attribute is {"TYPE": value} is DynamoDB JSON, as `dynx load` decides. `source` names
 * where the text came from in messages.
 */
export function parseItemJson(text: string, options: { encoding?: 'raw' | 'plain'; source?: string } = {}): { item: Item; encoding: 'raw' | 'plain' } {
  const source = options.source ?? 'ITEM'
  let parsed: unknown
  try {
    parsed = parsePlainJson(text)
  } catch (err) {
    // Several JSON lines do not parse as one value.
    const lines = text.trim().split('\n').length
    throw new UserInputError(`${source} is not a JSON object: ${(err as Error).message}.`, lines > 1 ? manyItemsHint : `Give one item, e.g. '{"id": "u1", "n": 5}'.`)
  }
  if (Array.isArray(parsed)) throw new UserInputError(`${source} is a JSON array, not one item.`, manyItemsHint)
  if (parsed === null || typeof parsed !== 'object' || parsed instanceof ExactNumber)
    throw new UserInputError(`${source} is not a JSON object.`, `Give one item, e.g. '{"id": "u1", "n": 5}'.`)
  const encoding = options.encoding ?? (looksRaw(parsed as Record<string, unknown>) ? 'raw' : 'plain')
  if (encoding === 'plain') return { item: marshallExactObject(parsed as Record<string, unknown>), encoding }
  try {
    return { item: parseRawItem(text), encoding }
  } catch (err) {
    throw new UserInputError(
      `${source} is not DynamoDB JSON: ${(err as Error).message}.`,
      'Drop --raw for plain JSON, or write each attribute as {"TYPE": value}, e.g. {"id": {"S": "u1"}}.',
    )
  }
}

/** The text of --file (- for stdin). */
export function readItemFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (err) {
    throw new UserInputError(`Cannot read --file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, 'Check the path.')
  }
}

export interface PutItemRequest {
  table: string
  item: Item
  /** Write only when no item has this key (a condition on the key attributes). */
  ifNotExists?: boolean
  /** Check the item against the table and report; write nothing. */
  dryRun?: boolean
}

export interface PutItemResult {
  table: string
  key: Item
  keySchema: KeyAttribute[]
  /** The item was written (false for a dry run, or when --if-not-exists met an existing item). */
  written: boolean
  /** An item with this key existed: replaced it, or (with ifNotExists) left it unchanged. */
  existed: boolean
  dryRun: boolean
  consumedCapacity: number
}

/**
 * Writes one item with PutItem after checking it holds the table's key with the right types.
 * With `ifNotExists`, the write is conditioned on no item having that key; an existing item is
 * left unchanged and reported (`written: false, existed: true`), not thrown, like
 * `createTable(..., { ifNotExists })`.
 */
export async function putItem(conn: Connection, req: PutItemRequest): Promise<PutItemResult> {
  const keySchema = tableKeyOf(await describeTableRaw(conn, req.table))
  const key = keyOfItem(req.item, req.table, keySchema)
  const base = { table: req.table, key, keySchema, dryRun: !!req.dryRun }
  if (req.dryRun) return { ...base, written: false, existed: false, consumedCapacity: 0 }
  const names = Object.fromEntries(keySchema.map((k, i) => [`#k${i}`, k.name]))
  const condition = req.ifNotExists ? keySchema.map((_, i) => `attribute_not_exists(#k${i})`).join(' AND ') : undefined
  try {
    const out = await call(
      conn,
      'PutItem',
      () =>
        conn.dynamodb.send(
          new PutItemCommand({
            TableName: req.table,
            Item: req.item,
            ...(condition ? { ConditionExpression: condition, ExpressionAttributeNames: names } : {}),
            // Only to say whether an item was replaced; the old item is not kept.
            ReturnValues: 'ALL_OLD',
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      req.table,
    )
    return { ...base, written: true, existed: out.Attributes !== undefined, consumedCapacity: out.ConsumedCapacity?.CapacityUnits ?? 0 }
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') {
      // After a retry the item found may be our own first attempt's (its answer lost): then it was written.
      const ours = wasRetried(err) && (await readsAs(conn, req.table, key, req.item))
      return { ...base, written: ours, existed: !ours, consumedCapacity: 0 }
    }
    if ((err as Error).name === 'ValidationException')
      throw new UserInputError(`DynamoDB rejected the item: ${(err as Error).message}`, `Nothing was written. The key of ${req.table} is ${keySchemaText(keySchema)}.`, {
        cause: err,
      })
    throw err
  }
}

/** Whether the item stored under `key` is `item`, value for value (a strongly consistent read). */
async function readsAs(conn: Connection, table: string, key: Item, item: Item): Promise<boolean> {
  const out = await call(conn, 'GetItem', () => conn.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true })), table)
  return out.Item !== undefined && canonicalItemText(out.Item) === canonicalItemText(item)
}
