import { QueryCommand, type QueryCommandInput, type TableDescription } from '@aws-sdk/client-dynamodb'
import type { Writable } from 'node:stream'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import type { Item } from '../data/values.js'
import { UserInputError, attachPartialResult } from '../errors.js'
import type { Outcome } from '../outcome.js'
import { assertWritableTarget, readIndex } from '../scan/export.js'
import { buildProjection } from '../scan/expressions.js'
import { ScanOutput, type ScanFormat } from '../scan/output.js'
import { describeTableRaw } from '../tables/describe.js'

export interface QueryRequest {
  table: string
  index?: string
  /** KeyConditionExpression, e.g. `pk = :pk AND begins_with(sk, :p)`. */
  key: string
  filter?: string
  names?: Record<string, string>
  values?: Item
  /** Attribute paths to return; reserved words are escaped. */
  attributes?: string[]
  consistentRead?: boolean
  /** Descending sort-key order (ScanIndexForward false). */
  reverse?: boolean
  /** Stop after this many items. */
  limit?: number
  /** Items read per request (default DynamoDB's 1 MB pages). */
  pageLimit?: number
  signal?: AbortSignal
}

export interface QueryPage {
  items: Item[]
  /** Items read before the filter. */
  scannedCount: number
  consumedCapacity: number
  lastEvaluatedKey?: Item
}

/** A query checked against the live table, ready to send. */
export interface PreparedQuery {
  input: QueryCommandInput
  description: TableDescription
  /** Table key, then the index's: first columns of CSV and table output. */
  keyNames: string[]
  /** CSV columns from --attributes. */
  columns?: string[]
}

/** Checks a query against the table (index exists, consistent reads only where possible) and builds the request. */
export async function prepareQuery(conn: Connection, req: QueryRequest): Promise<PreparedQuery> {
  if (!req.key?.trim()) throw new UserInputError('--key is empty.', 'Give a key condition, e.g. --key \'pk = :pk\' --values \'{":pk": "u1"}\'.')
  if (req.limit !== undefined && !(Number.isInteger(req.limit) && req.limit >= 1))
    throw new UserInputError(`--limit must be a whole number of at least 1, got ${req.limit}.`, 'For example --limit 100.')
  if (req.pageLimit !== undefined && !(Number.isInteger(req.pageLimit) && req.pageLimit >= 1))
    throw new UserInputError(`--page-size must be a whole number of at least 1, got ${req.pageLimit}.`, 'Leave it out to read 1 MB pages.')
  const projection = req.attributes?.length ? buildProjection(req.attributes) : undefined
  const d = await describeTableRaw(conn, req.table)
  const { keyNames } = readIndex(d, req.table, req.index, req.consistentRead, 'query')
  const names = { ...req.names, ...projection?.names }
  // A small --limit without a filter need not read 1 MB pages.
  const pageLimit = req.pageLimit ?? (req.limit !== undefined && !req.filter ? Math.min(req.limit, 1000) : undefined)
  const input: QueryCommandInput = {
    TableName: req.table,
    IndexName: req.index,
    KeyConditionExpression: req.key,
    FilterExpression: req.filter,
    ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
    ExpressionAttributeValues: req.values && Object.keys(req.values).length ? req.values : undefined,
    ProjectionExpression: projection?.expression,
    ConsistentRead: req.consistentRead || undefined,
    ScanIndexForward: req.reverse ? false : undefined,
    Limit: pageLimit,
    ReturnConsumedCapacity: 'TOTAL',
  }
  return { input, description: d, keyNames, columns: projection?.columns }
}

/**
 * Every page of a Query, one request at a time (so memory holds one page), until the last page,
 * `limit` items or the signal. A key condition or filter DynamoDB rejects is bad input, thrown by
 * the first page before any item is handed out.
 */
export async function* queryItems(conn: Connection, req: QueryRequest, prepared?: PreparedQuery): AsyncGenerator<QueryPage, void, undefined> {
  const { input } = prepared ?? (await prepareQuery(conn, req))
  let startKey: Item | undefined
  let room = req.limit ?? Infinity
  do {
    if (req.signal?.aborted) return
    const command = new QueryCommand({ ...input, ExclusiveStartKey: startKey })
    let out
    try {
      out = await call(conn, 'Query', () => conn.dynamodb.send(command, req.signal ? { abortSignal: req.signal } : {}), req.table)
    } catch (err) {
      if (req.signal?.aborted) return
      throw explainQueryRejection(err)
    }
    startKey = out.LastEvaluatedKey
    const items = out.Items ?? []
    const page = items.length > room ? items.slice(0, room) : items
    room -= page.length
    yield { items: page, scannedCount: out.ScannedCount ?? 0, consumedCapacity: out.ConsumedCapacity?.CapacityUnits ?? 0, ...(startKey ? { lastEvaluatedKey: startKey } : {}) }
  } while (startKey && room > 0)
}

/** DynamoDB's own message for a rejected query, plus what to do about it. */
export function explainQueryRejection(err: unknown): unknown {
  const e = err as { name?: string; message?: string }
  if (e?.name !== 'ValidationException') return err
  const msg = e.message ?? ''
  let hint =
    "Check --key, --filter, --names and --values against DynamoDB's expression syntax: --key takes the partition key with = (and a sort key condition), e.g. --key 'pk = :pk AND sk > :from'."
  const reserved = /reserved keyword; reserved keyword: (\w+)/i.exec(msg)
  if (reserved) hint = `"${reserved[1]}" is a reserved word: write #${reserved[1]} in the expression and add --names '{"#${reserved[1]}":"${reserved[1]}"}'.`
  else if (/key schema|key condition|KeyConditionExpression|partition key/i.test(msg))
    hint = "--key must name the partition key of the table (or of --index) with =, and may add one condition on its sort key, e.g. --key 'pk = :pk AND begins_with(sk, :p)'."
  else if (/ExpressionAttributeValues|attribute value/i.test(msg))
    hint = 'Every :value in --key and --filter needs an entry in --values, and every entry in --values must be used, e.g. --values \'{":pk": "u1"}\'.'
  else if (/ExpressionAttributeNames|attribute name/i.test(msg))
    hint = 'Every #name in --key and --filter needs an entry in --names, and every entry in --names must be used, e.g. --names \'{"#s": "status"}\'.'
  return new UserInputError(`DynamoDB rejected the query: ${msg}`, hint, { cause: err })
}

export interface QueryToOutputOptions extends QueryRequest {
  format: ScanFormat
  raw?: boolean
  /** Write here (via FILE.partial, renamed at the end) instead of `stdout`. */
  output?: string
  stdout?: Writable
  onProgress?: (p: { items: number; scanned: number; pages: number; consumedCapacity: number }) => void
}

export interface QueryResult {
  table: string
  index?: string
  items: number
  /** Items read before the filter. */
  scanned: number
  pages: number
  consumedCapacity: number
  format: ScanFormat
  output?: string
  /** ok, or interrupted (what was written is kept in FILE.partial). */
  outcome: Outcome
  seconds: number
}

/**
 * The `dynx query` pipeline: every page of the query written as it arrives, in the formats of
 * `dynx scan` (ScanOutput: exact numbers, --raw, CSV, table). Nothing is written, not even a file,
 * until DynamoDB has accepted the request.
 */
export async function queryToOutput(conn: Connection, o: QueryToOutputOptions): Promise<QueryResult> {
  ScanOutput.validate(o)
  if (o.output) {
    assertWritableTarget(o.output, 'items.jsonl')
  }
  const prepared = await prepareQuery(conn, o)
  const started = performance.now()
  const result: QueryResult = { table: o.table, index: o.index, items: 0, scanned: 0, pages: 0, consumedCapacity: 0, format: o.format, output: o.output, outcome: 'ok', seconds: 0 }
  const pages = queryItems(conn, o, prepared)
  const first = await pages.next()
  let output: ScanOutput
  try {
    output = await ScanOutput.open({ format: o.format, raw: o.raw, file: o.output, stdout: o.stdout, columns: prepared.columns, keyNames: prepared.keyNames })
  } catch (err) {
    await pages.return()
    throw err
  }
  try {
    for (let next = first; !next.done; next = await pages.next()) {
      await output.writePage(next.value.items)
      result.pages++
      result.scanned += next.value.scannedCount
      result.consumedCapacity += next.value.consumedCapacity
      o.onProgress?.({ items: output.items, scanned: result.scanned, pages: result.pages, consumedCapacity: result.consumedCapacity })
    }
    if (o.signal?.aborted) {
      result.outcome = 'interrupted'
      await output.abandon()
    } else await output.finish()
  } catch (err) {
    await output.abandon()
    await pages.return()
    attachPartialResult(err, { ...result, outcome: 'partial', items: output.items, seconds: (performance.now() - started) / 1000 })
    throw err
  } finally {
    result.items = output.items
    result.seconds = (performance.now() - started) / 1000
  }
  return result
}
