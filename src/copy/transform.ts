import { marshall, NumberValueImpl as NumberValue, unmarshall } from '@aws-sdk/util-dynamodb'
import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

import { fromWireItem, toWireItem, type WireItem } from '../data/values.js'
import { UserInputError } from '../errors.js'

/** A plain item: numbers as JS numbers when exact, otherwise NumberValue; sets as Set; binary as Uint8Array. */
export type PlainItem = Record<string, unknown>
export type TransformFunction = (item: PlainItem) => PlainItem | PlainItem[] | null | undefined | Promise<PlainItem | PlainItem[] | null | undefined>

export type TransformOutcome = { items: WireItem[]; dropped: boolean } | { error: string }

// A JS number only where it holds the digits exactly and marshall takes it back (integers up to
// 2^53, fractions that print the same); the rest, such as 38-digit numbers, arrive as NumberValue.
const exactNumber = (text: string): number | NumberValue => {
  const n = Number(text)
  return (Number.isSafeInteger(n) || (Number.isFinite(n) && !Number.isInteger(n))) && String(n) === text ? n : NumberValue.from(text)
}

/**
 * A number set holding both JS numbers and NumberValues (only some members need all 38 digits)
 * is made all NumberValue: @aws-sdk/util-dynamodb picks one conversion from a set's first member.
 */
function evenNumberSets(value: unknown): unknown {
  if (value instanceof Set) {
    const members = [...value] as unknown[]
    return members.some((m) => m instanceof NumberValue) && members.some((m) => typeof m === 'number')
      ? new Set(members.map((m) => (typeof m === 'number' ? NumberValue.from(String(m)) : m)))
      : value
  }
  if (Array.isArray(value)) return value.map(evenNumberSets)
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof NumberValue)) {
    const o = value as Record<string, unknown>
    for (const k of Object.keys(o)) o[k] = evenNumberSets(o[k])
  }
  return value
}

/**
 * Loads a transform module (its default export, or an export named `transform`) and returns a
 * function from a wire item to the wire items to write. Bad files are input errors, found before
 * any item is read.
 */
export async function loadTransform(file: string): Promise<(item: WireItem) => Promise<TransformOutcome>> {
  const path = resolve(file)
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UserInputError(
      `The transform file ${file} does not exist.`,
      'Give the path of an ES module (.mjs or .js) whose default export is a function taking an item and returning an item, an array of items, or null.',
    )
  }
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (err) {
    throw new UserInputError(
      `The transform file ${file} cannot be loaded: ${(err as Error).message}`,
      'Fix the module so that `node` can import it (use .mjs for ES module syntax).',
      { cause: err },
    )
  }
  const fn = (typeof mod.default === 'function' ? mod.default : mod.transform) as TransformFunction | undefined
  if (typeof fn !== 'function') {
    throw new UserInputError(
      `The transform file ${file} exports no function (exports: ${Object.keys(mod).join(', ') || 'none'}).`,
      'Add `export default function (item) { return item }` (return an item, an array of items, or null to drop it).',
    )
  }
  return async (wire) => {
    let out: ReturnType<TransformFunction>
    try {
      out = await fn(unmarshall(fromWireItem(wire), { wrapNumbers: exactNumber }) as PlainItem)
    } catch (err) {
      return { error: `transform threw: ${(err as Error)?.message ?? String(err)}` }
    }
    if (out === null || out === undefined) return { items: [], dropped: true }
    const list = Array.isArray(out) ? out : [out]
    const items: WireItem[] = []
    for (const x of list) {
      if (x === null || typeof x !== 'object' || Array.isArray(x))
        return { error: `transform returned ${Array.isArray(x) ? 'an array inside the array' : typeof x} instead of an item` }
      try {
        items.push(toWireItem(marshall(evenNumberSets(x) as PlainItem, { removeUndefinedValues: true })))
      } catch (err) {
        return { error: `transform returned an item that cannot be stored: ${(err as Error).message}` }
      }
    }
    return { items, dropped: false }
  }
}
