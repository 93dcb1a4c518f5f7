import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb'

import { binaryFromBase64, ExactNumber, marshallExact, marshallExactObject, parsePlainJson, parsePlainJsonFast, rawItemFrom, type Item } from '../data/values.js'
import { UserInputError } from '../errors.js'

/**
 * How `dynx load` reads items. A file is one of three containers, each in one of two encodings:
 * - `jsonl`: one item per line (`dynx scan` and `scan --raw`, DynamoDB's S3 export data files);
 * - `json`: one JSON array of items (`scan --format json`, with or without `--raw`);
 * - `csv`: a header line, then one item per row (`scan --format csv`);
 * and `raw` (DynamoDB JSON: {"id": {"S": "a"}}, an export's {"Item": {...}} unwrapped) or `plain`
 * (plain JSON values: strings, exact numbers, booleans, null, lists, maps).
 */
export const LOAD_FORMATS = ['jsonl', 'json', 'csv'] as const
export type LoadFormat = (typeof LOAD_FORMATS)[number]
export type LoadEncoding = 'raw' | 'plain'

/** Types a plain value or a CSV cell can be given with --types. JSON: the cell is plain JSON (CSV). */
export const COLUMN_TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M', 'JSON'] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]
export type ColumnTypes = Record<string, ColumnType>

/** The table's key attributes and their types (S, N or B). */
export type KeyTypes = Record<string, 'S' | 'N' | 'B'>

export function keyTypesOf(keySchema: KeySchemaElement[] | undefined, definitions: AttributeDefinition[] | undefined): KeyTypes {
  const out: KeyTypes = {}
  for (const k of keySchema ?? []) {
    const type = definitions?.find((d) => d.AttributeName === k.AttributeName)?.AttributeType
    if (k.AttributeName && type) out[k.AttributeName] = type as 'S' | 'N' | 'B'
  }
  return out
}

/** `--types id=N,tags=SS,meta=M`: unknown types and malformed pairs are bad input (exit 2). */
export function parseColumnTypes(text: string | undefined): ColumnTypes {
  const out: ColumnTypes = {}
  if (!text) return out
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.lastIndexOf('=')
    const name = eq > 0 ? part.slice(0, eq).trim() : ''
    const type =
      eq > 0
        ? part
            .slice(eq + 1)
            .trim()
            .toUpperCase()
        : ''
    if (!name || !type) throw new UserInputError(`--types "${part}" is not NAME=TYPE.`, `Write --types id=N,tags=SS (types: ${COLUMN_TYPES.join(', ')}).`)
    if (!(COLUMN_TYPES as readonly string[]).includes(type))
      throw new UserInputError(`--types ${name}=${type}: unknown type "${type}".`, `Use one of ${COLUMN_TYPES.join(', ')} (JSON: the cell holds plain JSON).`)
    out[name] = type as ColumnType
  }
  return out
}

/** A line or array element that is whitespace only (skipped, not an item). */
export const isBlank = (text: string) => !/\S/.test(text)

type Plain = unknown

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** A plain value given a type by --types or by the table's key schema. */
function typed(v: Plain, type: ColumnType, name: string): Item[string] {
  const fail = (what: string): never => {
    throw new Error(`${name}: ${what} cannot be ${type}`)
  }
  const describe = (x: unknown) => (x instanceof ExactNumber ? `the number ${x.digits}` : JSON.stringify(x))
  switch (type) {
    case 'S':
      return typeof v === 'string' ? { S: v } : v instanceof ExactNumber ? { S: v.digits } : typeof v === 'boolean' ? { S: String(v) } : fail(describe(v))
    case 'N':
      if (v instanceof ExactNumber) return { N: v.digits }
      return typeof v === 'string' && NUMBER.test(v.trim()) ? { N: v.trim() } : fail(describe(v))
    case 'B':
      return typeof v === 'string' ? { B: binaryFromBase64(v) } : fail(describe(v))
    case 'BOOL':
      if (typeof v === 'boolean') return { BOOL: v }
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return { BOOL: v.trim().toLowerCase() === 'true' }
      return fail(describe(v))
    case 'NULL':
      return { NULL: true }
    case 'SS':
    case 'NS':
    case 'BS': {
      if (!Array.isArray(v) || v.length === 0) return fail(Array.isArray(v) ? 'an empty list' : describe(v))
      const member = type[0] as 'S' | 'N' | 'B'
      const values = v.map((x) => typed(x, member, name))
      if (member === 'S') return { SS: values.map((x) => x.S!) }
      if (member === 'N') return { NS: values.map((x) => x.N!) }
      return { BS: values.map((x) => x.B!) }
    }
    case 'L':
      return Array.isArray(v) ? marshallExact(v) : fail(describe(v))
    case 'M':
      return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof ExactNumber) ? marshallExact(v) : fail(describe(v))
    case 'JSON':
      return marshallExact(v)
  }
}

/**
 * Turns one record into an item, or throws with the reason (the caller dead-letters the line).
 * `types` (from --types) and the key schema give attributes their types where plain JSON cannot
 * (sets, binary; key attributes of a CSV); --types wins over the key schema.
 */
export class ItemDecoder {
  private readonly types: ColumnTypes

  constructor(
    readonly encoding: LoadEncoding,
    types: ColumnTypes,
    keys: KeyTypes,
    /** The lines are an incremental export's change records; this side of them is decoded (changeRecordItem). */
    readonly changes?: ChangeSide,
  ) {
    // Plain JSON already carries S and N keys; binary keys arrive as base64 text.
    const keyTypes = Object.fromEntries(Object.entries(keys).filter(([, t]) => t === 'B')) as ColumnTypes
    this.types = { ...keyTypes, ...types }
    this.csvTypes = { ...(keys as ColumnTypes), ...types }
  }

  private readonly csvTypes: ColumnTypes

  /** A JSON text (a line or an array element). */
  fromJson(text: string): Item {
    if (this.changes) return changeRecordItem(JSON.parse(text) as unknown, this.changes)
    if (this.encoding === 'raw') {
      return rawItemFrom(unwrapExportLine(JSON.parse(text) as unknown))
    }
    const parsed = parsePlainJsonFast(text)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof ExactNumber) throw new Error('expected a JSON object (one item)')
    const o = parsed as Record<string, Plain>
    const item = marshallExactObject(o)
    for (const [name, type] of Object.entries(this.types)) if (Object.hasOwn(o, name)) item[name] = typed(o[name], type, name)
    return item
  }

  /** One CSV row (header name -> cell text). An empty cell leaves the attribute out. */
  fromCsv(row: Record<string, string>): Item {
    const item: Item = {}
    for (const [name, cell] of Object.entries(row)) {
      if (cell === '' || cell === undefined) continue
      const type = this.csvTypes[name] ?? 'S'
      let value: Item[string]
      if (type === 'S' || type === 'N' || type === 'B' || type === 'BOOL' || type === 'NULL') value = typed(cell, type, name)
      else {
        let parsed: unknown
        try {
          parsed = parsePlainJson(cell)
        } catch {
          throw new Error(`${name}: the cell is not JSON, so it cannot be ${type} (${cell.length > 40 ? `${cell.slice(0, 40)}…` : cell})`)
        }
        value = typed(parsed, type, name)
      }
      if (name === '__proto__') Object.defineProperty(item, name, { value, enumerable: true, writable: true, configurable: true })
      else item[name] = value
    }
    return item
  }
}

/**
 * Which change records of an incremental export a load applies: `puts` writes the NewImage of each
 * record that has one, `deletes` deletes the Keys of each record that has none (the item was
 * removed in the export's period). A load of one side passes over the records of the other.
 */
export type ChangeSide = 'puts' | 'deletes'

/** What changeRecordItem gives for a record of the other side: neither written nor dead-lettered. */
export const PASSED_OVER: Item = Object.freeze({}) as Item

/**
 * The item of one line of an incremental export, `{"Metadata": {"WriteTimestampMicros": ...},
 * "Keys": {...}, "OldImage": {...}, "NewImage": {...}}` (DynamoDB JSON): its NewImage to put, or
 * its Keys to delete when it has no NewImage, or PASSED_OVER when the line belongs to the other
 * side. A full export's `{"Item": ...}` line, or a line without Keys, is no change record.
 */
export function changeRecordItem(parsed: unknown, side: ChangeSide): Item {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a change record (a JSON object with "Keys")')
  const r = parsed as { Keys?: unknown; NewImage?: unknown; Item?: unknown }
  if (r.Keys === undefined && r.Item !== undefined) throw new Error('a full export\'s {"Item": ...} line, not a change record of an incremental export')
  if (r.Keys === null || typeof r.Keys !== 'object' || Array.isArray(r.Keys)) throw new Error('a change record needs "Keys" (the item\'s key attributes)')
  const removed = r.NewImage === undefined || r.NewImage === null
  if (side === 'puts') return removed ? PASSED_OVER : rawItemFrom(r.NewImage)
  return removed ? rawItemFrom(r.Keys) : PASSED_OVER
}

/** An S3 export line is {"Item": {...}}; everything else is the item itself. */
function unwrapExportLine(parsed: unknown): unknown {
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const keys = Object.keys(parsed)
    const item = (parsed as { Item?: unknown }).Item
    if (keys.length === 1 && keys[0] === 'Item' && item !== null && typeof item === 'object' && !Array.isArray(item) && !looksRaw({ Item: item })) return item
  }
  return parsed
}

const RAW_TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M'])

/** Every attribute is an object with exactly one DynamoDB type key: DynamoDB JSON. */
function looksRaw(o: Record<string, unknown>): boolean {
  const values = Object.values(o)
  return values.length > 0 && values.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && RAW_TYPES.has(Object.keys(v)[0]))
}

/**
 * DynamoDB JSON or plain, from the first item of a file: an export's {"Item": {...}} line, or an
 * item whose every attribute is {"TYPE": value}, is DynamoDB JSON. `--raw`/`--plain` decide where
 * a plain file could look like DynamoDB JSON (every attribute a one-key map named like a type).
 */
export function detectEncoding(firstItemText: string): LoadEncoding {
  let parsed: unknown
  try {
    parsed = JSON.parse(firstItemText)
  } catch {
    return 'plain'
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'plain'
  return looksRaw(unwrapExportLine(parsed) as Record<string, unknown>) ? 'raw' : 'plain'
}
