import type { AttributeValue, TableDescription } from '@aws-sdk/client-dynamodb'

import { ExactNumber, binaryFromBase64, parsePlainJson, parseRawItem, type Item } from '../data/values.js'
import { UserInputError } from '../errors.js'

/** One attribute of a table's primary key, as DescribeTable gives it. */
export interface KeyAttribute {
  name: string
  type: 'S' | 'N' | 'B'
  role: 'HASH' | 'RANGE'
}

/** The table's primary key (partition key first), typed from its attribute definitions. */
export function tableKeyOf(d: TableDescription): KeyAttribute[] {
  const typeOf = (name: string) => (d.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType ?? 'S') as KeyAttribute['type']
  return (d.KeySchema ?? [])
    .map((k) => ({ name: k.AttributeName ?? '', type: typeOf(k.AttributeName ?? ''), role: k.KeyType === 'RANGE' ? ('RANGE' as const) : ('HASH' as const) }))
    .sort((a, b) => (a.role === b.role ? 0 : a.role === 'HASH' ? -1 : 1))
}

const TYPE_WORDS = { S: 'string', N: 'number', B: 'binary, base64' } as const
const SAMPLE_TEXT = { S: 'abc', N: '42', B: 'AAEC' } as const

/** "pk (S, partition key), sk (N, sort key)". */
export function keySchemaText(key: KeyAttribute[]): string {
  return key.map((k) => `${k.name} (${k.type}, ${k.role === 'HASH' ? 'partition' : 'sort'} key)`).join(', ')
}

/** `pk=abc,sk=42` and `{"pk":"abc","sk":42}` for this key. */
export function keyExamples(key: KeyAttribute[]): [string, string] {
  const text = key.map((k) => `${k.name}=${SAMPLE_TEXT[k.type]}`).join(',')
  const json = `{${key.map((k) => `${JSON.stringify(k.name)}:${k.type === 'N' ? SAMPLE_TEXT.N : JSON.stringify(SAMPLE_TEXT[k.type])}`).join(',')}}`
  return [text, json]
}

/** A KEY that does not fit the table's key schema: names the schema and gives an example. */
export class KeyInputError extends UserInputError {
  constructor(
    message: string,
    readonly table: string,
    readonly key: KeyAttribute[],
    hint?: string,
  ) {
    const [text, json] = keyExamples(key)
    super(
      `${message} The key of ${table} is ${keySchemaText(key)}.`,
      hint ?? `Give KEY as ${text} or as JSON, e.g. '${json}' (DynamoDB JSON such as {"${key[0]?.name}":{"${key[0]?.type}":"…"}} works too).`,
    )
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** One key value given as text (`pk=value`): S as is, N checked and kept digit for digit, B from base64. */
function valueFromText(k: KeyAttribute, text: string, fail: (m: string) => never): AttributeValue {
  if (text === '') fail(`${k.name} is empty; key attributes cannot be empty.`)
  if (k.type === 'S') return { S: text }
  if (k.type === 'N') {
    if (!NUMBER.test(text.trim())) fail(`${k.name} must be a number (N), got "${text}".`)
    return { N: text.trim() }
  }
  if (!BASE64.test(text)) fail(`${k.name} must be binary given as base64 (B), got "${text}".`)
  return { B: binaryFromBase64(text) }
}

/** One key value from plain JSON: a string for S, a number for N, base64 text for B. */
function valueFromPlain(k: KeyAttribute, v: unknown, fail: (m: string) => never): AttributeValue {
  if (k.type === 'N') {
    if (!(v instanceof ExactNumber)) fail(`${k.name} must be a JSON number (N), got ${describePlain(v)}.`)
    return { N: v.digits }
  }
  if (typeof v !== 'string') fail(`${k.name} must be a JSON string (${k.type}: ${TYPE_WORDS[k.type]}), got ${describePlain(v)}.`)
  return valueFromText(k, v, fail)
}

function describePlain(v: unknown): string {
  if (v instanceof ExactNumber) return `the number ${v.digits}`
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : String(v)
}

/** Every value is {"TYPE": value}: DynamoDB JSON (a key's values are never objects in plain JSON). */
function looksRaw(o: Record<string, unknown>): boolean {
  const values = Object.values(o)
  return values.length > 0 && values.every((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof ExactNumber) && Object.keys(v).length === 1)
}

/** Checks that `item` has exactly the key's attributes with the key's types (raw AttributeValues). */
function checkKeyItem(item: Item, key: KeyAttribute[], fail: (m: string) => never): Item {
  for (const k of key) {
    const v = item[k.name]
    if (v === undefined) fail(`KEY has no ${k.name}.`)
    const type = Object.keys(v)[0]
    if (type !== k.type) fail(`${k.name} must be of type ${k.type} (${TYPE_WORDS[k.type]}), got ${type}.`)
    if ((k.type === 'S' && v.S === '') || (k.type === 'B' && v.B?.length === 0)) fail(`${k.name} is empty; key attributes cannot be empty.`)
    if (k.type === 'N' && !NUMBER.test(v.N ?? '')) fail(`${k.name} must be a number (N), got "${v.N}".`)
  }
  return item
}

/**
 * A KEY as typed on the command line, for `table` whose key is `key`: `pk=value,sk=value` (values
 * typed by the key schema: N kept as the digits typed, B as base64), a bare value for a table with
 * only a partition key (one not starting with `NAME=`, so base64 padding is a value), or JSON, plain (`{"pk":"a","sk":5}`, numbers exact) or DynamoDB JSON
 * (`{"pk":{"S":"a"}}`). A missing part, an extra attribute or a value of the wrong type is bad input.
 */
export function parseItemKey(text: string, table: string, key: KeyAttribute[]): Item {
  const fail = (message: string): never => {
    throw new KeyInputError(message, table, key)
  }
  const trimmed = text.trim()
  let item: Item = {}
  if (trimmed.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = parsePlainJson(trimmed)
    } catch (err) {
      fail(`KEY is not valid JSON: ${(err as Error).message}.`)
    }
    const o = parsed as Record<string, unknown>
    if (looksRaw(o)) {
      try {
        item = parseRawItem(trimmed)
      } catch (err) {
        fail(`KEY is not valid DynamoDB JSON: ${(err as Error).message}.`)
      }
    } else {
      for (const [name, v] of Object.entries(o)) {
        const k = key.find((a) => a.name === name)
        if (!k) fail(`KEY names ${JSON.stringify(name)}, which is not a key attribute.`)
        else item[name] = valueFromPlain(k, v, fail)
      }
    }
  } else if (trimmed.includes('=') && !(key.length === 1 && !key.some((k) => trimmed.startsWith(`${k.name}=`)))) {
    for (const part of text.split(',')) {
      const eq = part.indexOf('=')
      if (eq < 0) fail(`"${part}" is not name=value (a value with a comma needs the JSON form).`)
      const name = part.slice(0, eq).trim()
      const k = key.find((a) => a.name === name)
      if (!k) fail(`KEY names "${name}", which is not a key attribute.`)
      else if (item[name]) fail(`KEY gives ${name} twice.`)
      else item[name] = valueFromText(k, part.slice(eq + 1), fail)
    }
  } else if (key.length === 1 && trimmed !== '') {
    item[key[0].name] = valueFromText(key[0], text, fail)
  } else {
    fail(trimmed === '' ? 'KEY is empty.' : `KEY "${text}" gives one value, but the key has ${key.length} parts.`)
  }
  for (const name of Object.keys(item)) if (!key.some((k) => k.name === name)) fail(`KEY names ${JSON.stringify(name)}, which is not a key attribute.`)
  return checkKeyItem(item, key, fail)
}

/** The key attributes of a whole item, checked against the table's key (for a put). */
export function keyOfItem(item: Item, table: string, key: KeyAttribute[]): Item {
  const fail = (message: string): never => {
    const [, json] = keyExamples(key)
    throw new KeyInputError(
      message.replace(/^KEY has no/, 'The item has no'),
      table,
      key,
      `The item must hold every key attribute with its type, e.g. ${json} plus its other attributes.`,
    )
  }
  checkKeyItem(item, key, fail)
  return Object.fromEntries(key.map((k) => [k.name, item[k.name]]))
}
