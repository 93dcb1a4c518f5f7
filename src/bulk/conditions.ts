import type { AttributeValue } from '@aws-sdk/client-dynamodb'

import type { Item } from '../data/values.js'
import { canonicalItemText } from '../verify/canonical.js'

/** An expression with its own placeholders (prefixed so they never clash with the user's). */
export interface Expr {
  expression: string
  names: Record<string, string>
  values: Item
}

/** DynamoDB's limit on an expression's length: an item too wide to compare in one goes to the dead letters. */
export const MAX_EXPRESSION_LENGTH = 4096

/**
 * "This item is still exactly as it was read": every non-key attribute equal to the value read,
 * so an UpdateItem under it fails with ConditionalCheckFailed when anyone changed, removed or
 * re-created the item since. Maps and lists are compared leaf by leaf, with their type and size
 * (DynamoDB compares them whole, but dynalite does not, and the leaves say the same); NULL by type,
 * as NULL compares with nothing. Attributes added since are not compared: an update sets only its
 * own attributes and leaves them be.
 */
export function unchangedCondition(item: Item, keyNames: string[]): Expr {
  const names: Record<string, string> = { '#dynxk': keyNames[0] }
  const placeholders = new Map<string, string>()
  const values: Item = {}
  // attribute_exists on a key attribute: a deleted item is not re-created by the update.
  const terms: string[] = ['attribute_exists(#dynxk)']
  const name = (n: string) => {
    let p = placeholders.get(n)
    if (!p) {
      p = `#dynxe${placeholders.size}`
      placeholders.set(n, p)
      names[p] = n
    }
    return p
  }
  const value = (v: AttributeValue) => {
    const p = `:dynxe${Object.keys(values).length}`
    values[p] = v
    return p
  }
  const typeIs = (path: string, type: string) => terms.push(`attribute_type(${path}, ${value({ S: type })})`)
  const add = (path: string, v: AttributeValue) => {
    if (v.M) {
      typeIs(path, 'M')
      terms.push(`size(${path}) = ${value({ N: String(Object.keys(v.M).length) })}`)
      for (const [k, x] of Object.entries(v.M)) add(`${path}.${name(k)}`, x)
    } else if (v.L) {
      typeIs(path, 'L')
      terms.push(`size(${path}) = ${value({ N: String(v.L.length) })}`)
      v.L.forEach((x, i) => add(`${path}[${i}]`, x))
    } else if (v.NULL) typeIs(path, 'NULL')
    else terms.push(`${path} = ${value(v)}`)
  }
  for (const [n, v] of Object.entries(item)) if (!keyNames.includes(n)) add(name(n), v)
  return { expression: terms.join(' AND '), names, values }
}

const same = (a: AttributeValue | undefined, b: AttributeValue | undefined) => a !== undefined && b !== undefined && canonicalItemText({ v: a }) === canonicalItemText({ v: b })

/** The UpdateExpression that turns `before` into `after` (SET what changed or is new, REMOVE what is gone); undefined when they are equal. */
export function diffUpdate(before: Item, after: Item, keyNames: string[]): Expr | undefined {
  const names: Record<string, string> = {}
  const values: Item = {}
  const set: string[] = []
  const remove: string[] = []
  let i = 0
  for (const [name, value] of Object.entries(after)) {
    if (keyNames.includes(name) || same(before[name], value)) continue
    names[`#dynxu${i}`] = name
    values[`:dynxu${i}`] = value
    set.push(`#dynxu${i} = :dynxu${i}`)
    i++
  }
  for (const name of Object.keys(before)) {
    if (keyNames.includes(name) || name in after) continue
    names[`#dynxu${i}`] = name
    remove.push(`#dynxu${i}`)
    i++
  }
  if (!set.length && !remove.length) return undefined
  return { expression: [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : ''].filter(Boolean).join(' '), names, values }
}

/** Two items hold the same values (set order, number spelling and binary encoding aside). */
export const sameItem = (a: Item, b: Item) => canonicalItemText(a) === canonicalItemText(b)

/**
 * `--set` applied to an item here, for a dry run's before/after: plain `SET name = :value` and
 * `REMOVE name` clauses (names or #placeholders); undefined for anything else (functions,
 * arithmetic, nested paths), which only DynamoDB evaluates.
 */
export function applySimpleUpdate(item: Item, expression: string, names: Record<string, string> = {}, values: Item = {}): Item | undefined {
  const out: Item = { ...item }
  const name = (token: string) => (token.startsWith('#') ? names[token] : /^[A-Za-z_][\w]*$/.test(token) ? token : undefined)
  const clauses = expression.trim().split(/\s+(?=(?:SET|REMOVE)\s)/i)
  for (const clause of clauses) {
    const m = /^(SET|REMOVE)\s+([\s\S]+)$/i.exec(clause.trim())
    if (!m) return undefined
    for (const part of m[2].split(',').map((p) => p.trim())) {
      if (m[1].toUpperCase() === 'REMOVE') {
        const n = name(part)
        if (!n) return undefined
        delete out[n]
        continue
      }
      const a = /^(#?[\w]+)\s*=\s*(:[\w]+)$/.exec(part)
      const n = a && name(a[1])
      if (!a || !n || !values[a[2]]) return undefined
      out[n] = values[a[2]]
    }
  }
  return out
}
