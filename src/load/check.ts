import type { AttributeValue } from '@aws-sdk/client-dynamodb'

import type { Item } from '../data/values.js'
import type { KeyTypes } from './formats.js'

/** DynamoDB's largest item. */
export const MAX_ITEM_BYTES = 400 * 1024

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8')
const binaryBytes = (b: Uint8Array | string) => (typeof b === 'string' ? Buffer.byteLength(b, 'base64') : b.byteLength)
// About one byte per two significant digits, plus one (DynamoDB's documented rule).
const numberBytes = (n: string) => Math.ceil(n.replace(/^[-+]|[.eE].*$|^0+/g, '').length / 2) + 1

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

/** The item's key as text (its key attributes' values), to find two items with one key. */
export function keyText(item: Item, keys: KeyTypes): string {
  return Object.keys(keys)
    .map((k) => {
      const b = (item[k] as { B?: Uint8Array | string }).B
      return b !== undefined ? `B:${typeof b === 'string' ? b : Buffer.from(b).toString('base64')}` : JSON.stringify(item[k])
    })
    .join('\u0000')
}

/** The table's key for messages: "id (S), sk (N)". */
export const keyDescription = (keys: KeyTypes) =>
  Object.entries(keys)
    .map(([k, t]) => `${k} (${t})`)
    .join(', ')
