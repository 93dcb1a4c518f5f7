import type { AttributeValue } from '@aws-sdk/client-dynamodb'

import type { Item } from '../data/values.js'

/**
 * One text per item *value*, whatever form it arrived in: map keys and set elements in code-unit
 * order, numbers by value ("1.50", "1.5" and "15e-1" are one number; 38 digits kept exactly, no
 * float anywhere), binary as base64 whether it came as Uint8Array (the SDK) or as base64 text (a
 * wireItems scan). Two items are equal in DynamoDB's sense exactly when their texts are equal.
 *
 * The grammar is self-delimiting, so no two different values share a text: strings and names are
 * length-prefixed (`S5:hello`), numbers and base64 end with `;` (neither contains one), and maps,
 * lists and sets carry their element count. Built by plain concatenation: this runs on every item
 * of tables with millions of them.
 */
export function canonicalItemText(item: Item): string {
  return mapText(item)
}

/** The key attributes' values in `keyNames` order (the key schema's, HASH then RANGE). */
export function canonicalKeyText(item: Item, keyNames: readonly string[]): string {
  let out = ''
  for (const name of keyNames) {
    const v = item[name]
    if (v === undefined) throw new Error(`The item has no key attribute "${name}".`)
    out += valueText(v)
  }
  return out
}

function mapText(m: Record<string, AttributeValue>): string {
  const names = Object.keys(m)
  // Default sort compares UTF-16 code units, the same order for every reader.
  if (names.length > 1) names.sort()
  let out = `{${names.length}`
  for (const name of names) out += `${name.length}:${name}${valueText(m[name])}`
  return `${out}}`
}

function valueText(v: AttributeValue): string {
  // Most values are strings and numbers: test those first.
  if (v.S !== undefined) return `S${v.S.length}:${v.S}`
  if (v.N !== undefined) return `N${canonicalNumber(v.N)};`
  if (v.M !== undefined) return `M${mapText(v.M)}`
  if (v.L !== undefined) {
    let out = `L${v.L.length}[`
    for (const x of v.L) out += valueText(x)
    return `${out}]`
  }
  if (v.BOOL !== undefined) return v.BOOL ? 'T' : 'F'
  if (v.NULL !== undefined) return 'Z'
  if (v.B !== undefined) return `B${binaryText(v.B)};`
  if (v.SS !== undefined)
    return setText(
      'SS',
      v.SS.map((s) => `${s.length}:${s}`),
    )
  if (v.NS !== undefined)
    return setText(
      'NS',
      v.NS.map((n) => `${canonicalNumber(n)};`),
    )
  if (v.BS !== undefined)
    return setText(
      'BS',
      v.BS.map((b) => `${binaryText(b)};`),
    )
  throw new Error(`Unknown attribute value type: ${JSON.stringify(Object.keys(v))}`)
}

function setText(tag: string, elements: string[]): string {
  elements.sort()
  return `${tag}${elements.length}[${elements.join('')}]`
}

/** Base64 text as is (DynamoDB sends canonical padded base64), bytes encoded the same way. */
function binaryText(b: Uint8Array | string): string {
  if (typeof b === 'string') return b
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
}

const ZERO = 48

/**
 * A DynamoDB number by value, as text: `D` or `DeE` meaning D × 10^E, where D is an integer with
 * no leading or trailing zeros (sign in front) and E is left out when 0; zero is "0" whatever its
 * sign or spelling. "1.50", "1.5", "+1.5" and "15e-1" all give "15e-1"; "7", "007", "7.0" give "7";
 * "1200" gives "12e2". Pure string work, so all 38 digits (and exponents up to ±130) stay exact.
 */
export function canonicalNumber(n: string): string {
  // Plain integers without leading or trailing zeros are already canonical (most numbers).
  const len = n.length
  let i = n.charCodeAt(0) === 45 /* - */ ? 1 : 0
  if (len > i && n.charCodeAt(i) !== ZERO && n.charCodeAt(len - 1) !== ZERO) {
    let plain = true
    for (let j = i; j < len; j++) {
      const c = n.charCodeAt(j)
      if (c < ZERO || c > ZERO + 9) {
        plain = false
        break
      }
    }
    if (plain) return n
  }

  const text = n.trim()
  let negative = false
  i = 0
  if (text[0] === '-' || text[0] === '+') {
    negative = text[0] === '-'
    i = 1
  }
  let digits = ''
  let exponent = 0
  let sawDigit = false
  let sawPoint = false
  for (; i < text.length; i++) {
    const ch = text[i]
    if (ch >= '0' && ch <= '9') {
      sawDigit = true
      // Leading zeros carry no value; after the point each still shifts the exponent.
      if (ch !== '0' || digits) digits += ch
      if (sawPoint) exponent--
    } else if (ch === '.' && !sawPoint) {
      sawPoint = true
    } else if ((ch === 'e' || ch === 'E') && sawDigit) {
      const e = text.slice(i + 1)
      if (!/^[+-]?\d+$/.test(e)) throw new Error(`"${n}" is not a DynamoDB number`)
      exponent += Number(e)
      i = text.length
      break
    } else {
      throw new Error(`"${n}" is not a DynamoDB number`)
    }
  }
  if (!sawDigit) throw new Error(`"${n}" is not a DynamoDB number`)
  let end = digits.length
  while (end > 0 && digits.charCodeAt(end - 1) === ZERO) end--
  if (end === 0) return '0'
  exponent += digits.length - end
  const mantissa = `${negative ? '-' : ''}${digits.slice(0, end)}`
  return exponent === 0 ? mantissa : `${mantissa}e${exponent}`
}

/**
 * Orders numbers by value (for sorting keys); works on canonicalNumber texts or any spelling.
 * Negative < 0 < positive; then by magnitude: the position of the leading digit, then the digits.
 */
export function compareNumbers(a: string, b: string): number {
  const x = splitNumber(canonicalNumber(a))
  const y = splitNumber(canonicalNumber(b))
  if (x.sign !== y.sign) return x.sign - y.sign
  if (x.sign === 0) return 0
  let c = x.magnitude - y.magnitude
  if (c === 0) c = x.digits < y.digits ? -1 : x.digits > y.digits ? 1 : 0
  return x.sign * Math.sign(c)
}

function splitNumber(canonical: string): { sign: number; digits: string; magnitude: number } {
  if (canonical === '0') return { sign: 0, digits: '', magnitude: 0 }
  const negative = canonical[0] === '-'
  const e = canonical.indexOf('e')
  const digits = canonical.slice(negative ? 1 : 0, e < 0 ? undefined : e)
  const exponent = e < 0 ? 0 : Number(canonical.slice(e + 1))
  // Digits have no trailing zeros, so plain string comparison orders equal-magnitude mantissas.
  return { sign: negative ? -1 : 1, digits, magnitude: digits.length + exponent }
}
