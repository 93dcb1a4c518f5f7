import type { AttributeValue } from '@aws-sdk/client-dynamodb'

import { UserInputError } from '../errors.js'

/**
 * Items as text, exactly. DynamoDB numbers carry 38 significant digits, so nothing here passes a
 * number through a JS `number`: plain JSON prints the digits DynamoDB sent, and plain JSON read
 * from a user keeps the digits they typed (JSON.parse's source text access, Node >= 21).
 */

export type Item = Record<string, AttributeValue>

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

/** A DynamoDB number string as a valid JSON number literal, digits untouched. */
export function jsonNumber(n: string): string {
  if (JSON_NUMBER.test(n)) return n
  // Engines echo what they were given; DynamoDB accepts "+5", ".5", "5.", "007" and "5e3".
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(n.trim())
  if (!m || (!m[2] && !m[3])) throw new Error(`"${n}" is not a DynamoDB number`)
  const int = m[2].replace(/^0+(?=\d)/, '') || '0'
  const frac = m[3] ? `.${m[3]}` : ''
  const exp = m[4] ? `e${m[4]}` : ''
  const text = `${m[1] === '-' ? '-' : ''}${int}${frac === '.' ? '' : frac}${exp}`
  return JSON_NUMBER.test(text) ? text : String(Number(n))
}

const base64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

/** Binary as the SDK wants it (a plain Uint8Array, not a Buffer), from base64 text. */
export const binaryFromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))

// JSON.rawJSON (Node >= 21) lets JSON.stringify print a number's digits verbatim; building a plain
// tree and stringifying it once is about twice as fast as concatenating JSON text by hand.
const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON

/**
 * One attribute value as a plain JS value ready for JSON.stringify: sets become arrays, binary
 * base64, numbers opaque raw-JSON digits (exact, but only meaningful to JSON.stringify).
 */
export function plainValue(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S
  if (v.N !== undefined) return rawJSON(jsonNumber(v.N))
  if (v.M !== undefined) return plainObject(v.M)
  if (v.L !== undefined) return v.L.map(plainValue)
  if (v.BOOL !== undefined) return v.BOOL
  if (v.NULL !== undefined) return null
  if (v.SS !== undefined) return v.SS
  if (v.NS !== undefined) return v.NS.map((n) => rawJSON(jsonNumber(n)))
  if (v.B !== undefined) return base64(v.B)
  if (v.BS !== undefined) return v.BS.map(base64)
  throw new Error(`Unknown attribute value type: ${JSON.stringify(Object.keys(v))}`)
}

function plainObject(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k in item) {
    // An attribute may be called __proto__; a plain assignment would set the prototype instead.
    if (k === '__proto__') Object.defineProperty(out, k, { value: plainValue(item[k]), enumerable: true, writable: true, configurable: true })
    else out[k] = plainValue(item[k])
  }
  return out
}

/** One attribute value as plain JSON text. */
export function plainValueJson(v: AttributeValue): string {
  return JSON.stringify(plainValue(v))
}

/** An item as one line of plain JSON (what jsonl/json output shows), numbers exact. */
export function plainItemJson(item: Item): string {
  return JSON.stringify(plainObject(item))
}

/** A value for one CSV cell: scalars as their text, nested values as plain JSON. */
export function plainCell(v: AttributeValue | undefined): string {
  if (v === undefined || v.NULL !== undefined) return ''
  if (v.S !== undefined) return v.S
  if (v.N !== undefined) return jsonNumber(v.N)
  if (v.BOOL !== undefined) return v.BOOL ? 'true' : 'false'
  if (v.B !== undefined) return base64(v.B)
  return plainValueJson(v)
}

const rawReplacer = (_key: string, value: unknown) => (value instanceof Uint8Array ? base64(value) : value)

/** DynamoDB JSON (AttributeValue maps, binary as base64): the form `--raw` writes and reads back. */
export function rawItemJson(item: Item): string {
  return JSON.stringify(item, rawReplacer)
}

const TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M'])

function reviveValue(v: unknown, path: string): AttributeValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${path}: expected an AttributeValue object such as {"S": "text"}`)
  const keys = Object.keys(v)
  if (keys.length !== 1 || !TYPES.has(keys[0])) throw new Error(`${path}: expected exactly one of ${[...TYPES].join(', ')}, got ${JSON.stringify(keys)}`)
  const o = v as Record<string, unknown>
  switch (keys[0]) {
    case 'S':
    case 'N':
      if (typeof o[keys[0]] !== 'string') throw new Error(`${path}.${keys[0]}: expected a string`)
      return o as unknown as AttributeValue
    case 'B':
      if (typeof o.B !== 'string') throw new Error(`${path}.B: expected base64 text`)
      return { B: binaryFromBase64(o.B) }
    case 'BS':
      return { BS: (o.BS as string[]).map(binaryFromBase64) }
    case 'L':
      if (!Array.isArray(o.L)) throw new Error(`${path}.L: expected an array`)
      return { L: o.L.map((x, i) => reviveValue(x, `${path}[${i}]`)) }
    case 'M':
      return { M: reviveItem(o.M, path) }
    default:
      return o as unknown as AttributeValue
  }
}

function reviveItem(o: unknown, path: string): Item {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${path || 'item'}: expected an object of attributes`)
  const item: Item = {}
  for (const [k, v] of Object.entries(o)) {
    const value = reviveValue(v, path ? `${path}.${k}` : k)
    if (k === '__proto__') Object.defineProperty(item, k, { value, enumerable: true, writable: true, configurable: true })
    else item[k] = value
  }
  return item
}

/**
 * An item in DynamoDB's wire JSON: like Item, but binary (B, BS) is base64 text rather than
 * Uint8Array, so JSON.stringify writes it exactly as DynamoDB sent it. What copy passes around.
 */
export type WireItem = Item

/** Item (binary as Uint8Array) -> WireItem; values without binary are shared, not copied. */
export function toWireItem(item: Item): WireItem {
  let out: Item | undefined
  for (const k in item) {
    const v = item[k]
    const w = toWireValue(v)
    if (w !== v) {
      out ??= { ...item }
      out[k] = w
    }
  }
  return out ?? item
}

function toWireValue(v: AttributeValue): AttributeValue {
  if (v.B instanceof Uint8Array) return { B: base64(v.B) as unknown as Uint8Array }
  if (v.BS) return { BS: v.BS.map((b) => (b instanceof Uint8Array ? base64(b) : b) as unknown as Uint8Array) }
  if (v.M) {
    const m = toWireItem(v.M)
    return m === v.M ? v : { M: m }
  }
  if (v.L) {
    // Most lists hold no binary: walk them without building a copy until a value changes.
    let l: AttributeValue[] | undefined
    for (let i = 0; i < v.L.length; i++) {
      const w = toWireValue(v.L[i])
      if (w !== v.L[i]) (l ??= v.L.slice())[i] = w
    }
    return l ? { L: l } : v
  }
  return v
}

/** WireItem -> Item with binary as Uint8Array (what @aws-sdk/util-dynamodb expects). */
export function fromWireItem(item: WireItem): Item {
  return parseRawItem(JSON.stringify(item))
}

/** Parses one line of `--raw` output back into an item that writes identically. */
export function parseRawItem(text: string): Item {
  return reviveItem(JSON.parse(text), '')
}

/** parseRawItem of an already parsed object. */
export function rawItemFrom(parsed: unknown): Item {
  return reviveItem(parsed, '')
}

/** Plain JSON value (from parsePlainJson) -> AttributeValue, numbers from their source text. */
export function marshallExact(v: unknown): AttributeValue {
  if (v === null) return { NULL: true }
  if (typeof v === 'string') return { S: v }
  if (typeof v === 'boolean') return { BOOL: v }
  if (v instanceof ExactNumber) return { N: v.digits }
  if (Array.isArray(v)) return { L: v.map(marshallExact) }
  if (typeof v !== 'object') throw new Error(`cannot store a ${typeof v}`)
  return { M: marshallExactObject(v as Record<string, unknown>) }
}

/** A plain JSON object (from parsePlainJson) -> an item, numbers exact. */
export function marshallExactObject(o: Record<string, unknown>): Item {
  const m: Item = {}
  for (const [k, x] of Object.entries(o)) {
    // An attribute may be called __proto__; a plain assignment would set the prototype instead.
    if (k === '__proto__') Object.defineProperty(m, k, { value: marshallExact(x), enumerable: true, writable: true, configurable: true })
    else m[k] = marshallExact(x)
  }
  return m
}

/** A number read by parsePlainJson: its digits as written. */
export class ExactNumber {
  constructor(readonly digits: string) {}
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown
const keepDigits: Reviver = (_key, value, context) => (typeof value === 'number' ? new ExactNumber(context?.source ?? String(value)) : value)

/** Parses plain JSON (e.g. `--values '{":min": 10}'`) into AttributeValues, numbers exact. */
export function parsePlainJson(text: string): unknown {
  return JSON.parse(text, keepDigits as Parameters<typeof JSON.parse>[1])
}

// A JSON string, or a JSON number (its grammar exactly, so "01" stays invalid).
const STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/g
const MARK = '\u0000n'

function reviveMarked(v: unknown): unknown {
  if (typeof v === 'string') return v.startsWith(MARK) ? new ExactNumber(v.slice(MARK.length)) : v
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = reviveMarked(v[i])
    return v
  }
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    for (const k in o) o[k] = reviveMarked(o[k])
  }
  return v
}

/**
 * parsePlainJson, about three times faster for lines of data (what `dynx load` parses): every
 * number is first turned into a marked string by one native regex pass (strings skipped), so
 * JSON.parse runs without a reviver and each number keeps its digits. Text that could hold the
 * mark itself (a \u0000 escape) takes parsePlainJson.
 */
export function parsePlainJsonFast(text: string): unknown {
  if (text.includes('\\u0000')) return parsePlainJson(text)
  let marked = false
  const prepared = text.replace(STRING_OR_NUMBER, (m) => {
    if (m.charCodeAt(0) === 34) return m
    marked = true
    return `"\\u0000n${m}"`
  })
  const parsed = JSON.parse(prepared) as unknown
  return marked ? reviveMarked(parsed) : parsed
}

/**
 * A flag holding a JSON object, e.g. --names or --values. Bad JSON is bad input (exit 2) with a
 * message naming the flag and an example of the expected shape.
 */
export function parseJsonObjectFlag(flag: string, text: string, example: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = parsePlainJson(text)
  } catch (err) {
    throw new UserInputError(`${flag} is not valid JSON: ${(err as Error).message}`, `Pass a JSON object, e.g. ${flag} '${example}' (quote it for your shell).`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || parsed instanceof ExactNumber) {
    throw new UserInputError(`${flag} must be a JSON object.`, `For example ${flag} '${example}'.`)
  }
  return parsed as Record<string, unknown>
}

/** `--values` for expressions: plain JSON marshalled to AttributeValues, keys must start with ":". */
export function parseExpressionValues(text: string): Item {
  const parsed = parseJsonObjectFlag('--values', text, '{":min": 10, ":status": "active"}')
  const out: Item = {}
  for (const [k, v] of Object.entries(parsed)) {
    if (!k.startsWith(':')) throw new UserInputError(`--values key "${k}" must start with ":".`, `Name it ":${k}" and use ":${k}" in the expression.`)
    out[k] = marshallExact(v)
  }
  return out
}

/** `--names` for expressions: {"#s": "status"}, keys must start with "#". */
export function parseExpressionNames(text: string): Record<string, string> {
  const parsed = parseJsonObjectFlag('--names', text, '{"#s": "status"}')
  for (const [k, v] of Object.entries(parsed)) {
    if (!k.startsWith('#')) throw new UserInputError(`--names key "${k}" must start with "#".`, `Name it "#${k}" and use "#${k}" in the expression.`)
    if (typeof v !== 'string') throw new UserInputError(`--names value for "${k}" must be an attribute name string.`, 'For example --names \'{"#s": "status"}\'.')
  }
  return parsed as Record<string, string>
}
