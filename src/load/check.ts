import type { AttributeValue } from '@aws-sdk/client-dynamodb'

import type { Item } from '../data/values.js'
import type { KeyTypes } from './formats.js'

/** DynamoDB's largest item. */
export const MAX_ITEM_BYTES = 400 * 1024

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8')
const binaryBytes = (b: Uint8Array | string) => (typeof b === 'string' ? Buffer.byteLength(b, 'base64') : b.byteLength)
/**
 * About one byte per two significant digits, plus one (DynamoDB's documented rule): the digits
 * before any `.`, `e` or `E`, without a sign or leading zeros (counted as the old regex
 * `/^[-+]|[.eE].*$|^0+/g` did, without building a string for each number).
 */
function numberBytes(n: string): number {
  let i = n.charCodeAt(0) === 45 || n.charCodeAt(0) === 43 ? 1 : 0
  if (i === 0) while (n.charCodeAt(i) === 48) i++
  let end = i
  for (let c = n.charCodeAt(end); end < n.length && c !== 46 && c !== 101 && c !== 69; c = n.charCodeAt(++end));
  return Math.ceil((end - i) / 2) + 1
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S)
  if (v.N !== undefined) return numberBytes(v.N)
  if (v.B !== undefined) return binaryBytes(v.B)
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1
  if (v.SS) return v.SS.reduce((n, s) => n + utf8(s), 0)
  if (v.NS) return v.NS.reduce((n, s) => n + numberBytes(s), 0)
  if (v.BS) return v.BS.reduce((n, b) => n + binaryBytes(b), 0)
  if (v.L) return 3 + v.L.reduce((n, x) => n + 1 + valueBytes(x), 0)
  if (v.M) return 3 + itemBytes(v.M)
  return 0
}

/**
 * An item's size as DynamoDB counts it against the 400 KB limit (names and values in UTF-8,
 * numbers by digits, 3 bytes per list or map, 1 per element), a little under rather than over:
 * an item it lets through that DynamoDB rejects is still dead-lettered, with DynamoDB's reason.
 */
export function itemBytes(item: Item): number {
  let n = 0
  for (const k in item) n += utf8(k) + valueBytes(item[k])
  return n
}

/** An upper bound of itemBytes with no UTF-8 counting (a UTF-16 unit is at most 3 bytes of UTF-8). */
function boundBytes(v: AttributeValue): number {
  if (v.S !== undefined) return v.S.length * 3
  if (v.N !== undefined) return v.N.length + 1
  if (v.M) {
    let n = 3
    for (const k in v.M) n += k.length * 3 + boundBytes(v.M[k])
    return n
  }
  if (v.L) {
    let n = 3
    for (const x of v.L) n += 1 + boundBytes(x)
    return n
  }
  if (v.SS) return v.SS.reduce((n, s) => n + s.length * 3, 0)
  if (v.NS) return v.NS.reduce((n, s) => n + s.length + 1, 0)
  return valueBytes(v)
}

/**
 * The item's size (itemBytes) when it is over DynamoDB's 400 KB, else undefined; counted exactly
 * only when a cheap upper bound is over the limit: nearly every item is far below, and UTF-8 counting of every string is the
 * costliest check a load makes per item.
 */
export function itemTooLarge(item: Item, limit = MAX_ITEM_BYTES): number | undefined {
  let bound = 0
  for (const k in item) bound += k.length * 3 + boundBytes(item[k])
  if (bound <= limit) return undefined
  const size = itemBytes(item)
  return size > limit ? size : undefined
}

/** Why an item cannot go into a table with these keys (a key attribute missing or of another type), or undefined. */
export function keyProblem(item: Item, keys: KeyTypes): string | undefined {
  for (const [name, type] of Object.entries(keys)) {
    const v = item[name]
    if (!v) return `the key attribute "${name}" is missing`
    const has = Object.keys(v)[0]
    if (has !== type) return `the key attribute "${name}" is ${has}, but the table's is ${type}`
    const empty = type === 'B' ? binaryBytes(v.B!) === 0 : type === 'S' ? v.S === '' : false
    if (empty) return `the key attribute "${name}" is empty`
  }
  return undefined
}

/** The item's key as text (its key attributes' values), to find two items with one key; one string, no JSON per item. */
export function keyText(item: Item, keys: KeyTypes): string {
  let out = ''
  for (const k in keys) {
    const v = item[k] as { S?: string; N?: string; B?: Uint8Array | string }
    const text = v.S ?? v.N ?? (v.B !== undefined ? (typeof v.B === 'string' ? v.B : Buffer.from(v.B).toString('base64')) : JSON.stringify(v))
    // Type and length first, so no two keys give one text whatever characters they hold.
    out += `${v.S !== undefined ? 'S' : v.N !== undefined ? 'N' : 'B'}${text.length}:${text}`
  }
  return out
}

/** The table's key for messages: "id (S), sk (N)". */
export const keyDescription = (keys: KeyTypes) =>
  Object.entries(keys)
    .map(([k, t]) => `${k} (${t})`)
    .join(', ')
