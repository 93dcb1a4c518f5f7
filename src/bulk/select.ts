import { ScanCommand, type TableDescription } from '@aws-sdk/client-dynamodb'

import { call } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import type { Item } from '../data/values.js'
import { UserInputError } from '../errors.js'
import { keyTypesOf, type KeyTypes } from '../load/formats.js'
import { parallelScan } from '../scan/parallel-scan.js'

/** Which items of a table a bulk change touches: those matching a filter, or all of them. */
export interface Selection {
  /** FilterExpression in DynamoDB syntax; absent with `all`. */
  filter?: string
  names?: Record<string, string>
  values?: Item
  all?: boolean
}

/**
 * The selection with only the names and values its filter uses: DynamoDB refuses placeholders an
 * expression does not use, and `update` shares --names/--values between --filter and --set.
 */
export function filterPart(s: Selection): Selection {
  if (!s.filter) return { all: s.all }
  const used = (k: string) => new RegExp(`${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`).test(s.filter!)
  const pick = <T>(o?: Record<string, T>) => (o ? Object.fromEntries(Object.entries(o).filter(([k]) => used(k))) : undefined)
  return { filter: s.filter, names: pick(s.names), values: pick(s.values) }
}

/** The table's key attributes as a ProjectionExpression (placeholders, so reserved words are fine). */
export function keyProjection(keys: KeyTypes): { projection: string; names: Record<string, string> } {
  const names: Record<string, string> = {}
  const parts = Object.keys(keys).map((k, i) => {
    names[`#dynxk${i}`] = k
    return `#dynxk${i}`
  })
  return { projection: parts.join(', '), names }
}

export const tableKeys = (d: Pick<TableDescription, 'KeySchema' | 'AttributeDefinitions'>) => keyTypesOf(d.KeySchema, d.AttributeDefinitions)

/** Exactly one of a filter and `all` (bad input otherwise: a bulk change never guesses "everything"). */
export function checkSelection(s: Selection): void {
  if (s.all && s.filter) throw new UserInputError('Give --filter or --all, not both.', '--all takes every item; --filter only the matching ones.')
  if (!s.all && !s.filter)
    throw new UserInputError(
      'Say which items: --filter EXPR (with --values), or --all for every item.',
      'For example --filter \'begins_with(pk, :p)\' --values \'{":p":"test-"}\'.',
    )
}

/**
 * One Scan of one item with the filter: DynamoDB checks the expression (syntax, names, values) on
 * the first request, so a filter it rejects is bad input (exit 2) found before anything changes.
 */
export async function checkFilter(conn: Connection, table: string, s: Selection, extraNames: Record<string, string> = {}, projection?: string): Promise<void> {
  if (!s.filter) return
  const names = { ...extraNames, ...s.names }
  try {
    await call(
      conn,
      'Scan',
      () =>
        conn.dynamodb.send(
          new ScanCommand({
            TableName: table,
            Limit: 1,
            FilterExpression: s.filter,
            ProjectionExpression: projection,
            ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
            ExpressionAttributeValues: s.values && Object.keys(s.values).length ? s.values : undefined,
          }),
        ),
      table,
    )
  } catch (err) {
    if ((err as Error).name === 'ValidationException')
      throw new UserInputError(`DynamoDB rejects the filter: ${(err as Error).message}`, 'Fix --filter (and --names/--values); nothing was changed.', { cause: err })
    throw err
  }
}

/** Counts the items a selection matches (a keys-only scan), with the first `sample` keys. */
export async function countSelection(
  conn: Connection,
  table: string,
  keys: KeyTypes,
  s: Selection,
  o: { segments?: number; sample?: number; signal?: AbortSignal; onProgress?: (matched: number, scanned: number) => void } = {},
): Promise<{ matched: number; scanned: number; sample: Item[] }> {
  const { projection, names } = keyProjection(keys)
  const sample: Item[] = []
  let matched = 0
  let scanned = 0
  for await (const page of parallelScan(conn, {
    table,
    segments: o.segments ?? 4,
    filter: s.filter,
    names: { ...names, ...s.names },
    values: s.values,
    projection,
    signal: o.signal,
  })) {
    matched += page.items.length
    scanned += page.scannedCount
    for (const item of page.items) if (sample.length < (o.sample ?? 10)) sample.push(item)
    o.onProgress?.(matched, scanned)
  }
  return { matched, scanned, sample }
}
