import type { Connection } from '../src/connection/clients.js'
import { batchWriteItems } from '../src/data/batch-write.js'
import type { Item } from '../src/data/values.js'
import { parallelScan } from '../src/scan/parallel-scan.js'
import { createTable } from '../src/tables/create.js'

export const DIGITS_38 = '98765432109876543210987654321098765432'
const KINDS = ['a', 'b', 'c']

/** Items whose values are easy to get wrong: 38 digits, tiny decimals, sets, binary, unicode, reserved names. */
export function specialItems(): Item[] {
  return [
    {
      pk: { S: 'special-numbers' },
      kind: { S: 'special' },
      n: { N: '0' },
      big: { N: DIGITS_38 },
      negBig: { N: `-${DIGITS_38}` },
      tiny: { N: '1E-130' },
      small: { N: '0.000000000000000000000000000000000001' },
      huge: { N: '9.9999999999999999999999999999999999999E+125' },
      ns: { NS: [DIGITS_38, '1', '-0.5'] },
    },
    {
      pk: { S: 'special-sets' },
      kind: { S: 'special' },
      n: { N: '1' },
      ss: { SS: ['x', 'y', 'ünïcødé'] },
      bs: { BS: [new Uint8Array([0]), new Uint8Array([255, 254]), new Uint8Array([1, 2, 3])] },
      bin: { B: new Uint8Array([0, 0, 0, 10, 13, 255]) },
    },
    {
      pk: { S: 'special-nesting ✓ 日本語 🚀' },
      kind: { S: 'special' },
      n: { N: '2' },
      empty: { S: '' },
      map: { M: { deep: { M: { deeper: { L: [{ N: DIGITS_38 }, { S: '' }, { NULL: true }, { BOOL: false }, { M: {} }, { L: [] }] } } } } },
      list: { L: [{ S: 'a' }, { N: '1.5' }, { SS: ['s'] }, { B: new Uint8Array([7]) }] },
      'dotted.name': { S: 'a name with a dot' },
      'with space': { S: 'and a space' },
    },
    {
      pk: { S: 'special-reserved' },
      kind: { S: 'special' },
      n: { N: '3' },
      name: { S: 'reserved: name' },
      status: { S: 'reserved: status' },
      size: { N: '42' },
      year: { N: '2026' },
      data: { S: 'reserved: data' },
    },
  ]
}

/** ~1 KB items: pk item-00042, kind a|b|c, n = index, status (a reserved word), payload. */
export function bulkItem(i: number): Item {
  return {
    pk: { S: `item-${String(i).padStart(5, '0')}` },
    kind: { S: KINDS[i % 3] },
    n: { N: String(i) },
    status: { S: i % 2 ? 'active' : 'idle' },
    price: { N: `${i}.${String(i * 7919).padStart(20, '0')}1` },
    payload: { S: `${i}:`.padEnd(900, 'abcdefghijklmnopqrstuvwxyz0123456789') },
  }
}

/** A table with a GSI (kind, n) holding `count` bulk items plus the special ones. */
export async function seedScanTable(conn: Connection, name: string, count: number): Promise<Item[]> {
  await createTable(
    conn,
    { name, hashKey: { name: 'pk', type: 'S' }, indexes: [{ name: 'by-kind', hashKey: { name: 'kind', type: 'S' }, rangeKey: { name: 'n', type: 'N' }, projection: 'ALL' }] },
    { wait: true },
  )
  const items = [...Array.from({ length: count }, (_, i) => bulkItem(i)), ...specialItems()]
  const result = await batchWriteItems(conn, name, items, { concurrency: 8 })
  if (result.failed.length) throw new Error(`seeding ${name}: ${result.failed.length} items failed: ${result.failed[0].reason}`)
  return items
}

/** Every item of a table, read with the plainest possible scan. */
export async function allItems(conn: Connection, table: string): Promise<Item[]> {
  const out: Item[] = []
  for await (const page of parallelScan(conn, { table, segments: 1 })) out.push(...page.items)
  return out
}

/** A decimal string by value: "1E-130" and "0.000...1" (129 zeros) give the same text. */
export function numberByValue(n: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(n)
  if (!m) return n
  let digits = `${m[2]}${m[3] ?? ''}`
  let point = m[2].length + Number(m[4] ?? 0)
  const lead = /^0*/.exec(digits)![0].length
  digits = digits.slice(lead)
  point -= lead
  digits = digits.replace(/0+$/, '')
  return digits ? `${m[1] === '-' ? '-' : ''}0.${digits}e${point}` : '0'
}

/**
 * An item with sets sorted, so two reads of the same item compare equal whatever order sets come
 * in; with `byValue`, numbers compare by value rather than spelling.
 */
export function canonical(item: Item, byValue = false): unknown {
  const num = (n: string) => (byValue ? numberByValue(n) : n)
  const value = (v: Item[string]): unknown => {
    if (v.N !== undefined) return { N: num(v.N) }
    if (v.SS) return { SS: [...v.SS].sort() }
    if (v.NS) return { NS: v.NS.map(num).sort() }
    if (v.BS) return { BS: v.BS.map((b) => Buffer.from(b).toString('base64')).sort() }
    if (v.B) return { B: Buffer.from(v.B).toString('base64') }
    if (v.M) return { M: canonical(v.M, byValue) }
    if (v.L) return { L: v.L.map(value) }
    return v
  }
  return Object.fromEntries(
    Object.keys(item)
      .sort()
      .map((k) => [k, value(item[k])]),
  )
}

export const byPk = (a: Item, b: Item) => (a.pk.S! < b.pk.S! ? -1 : a.pk.S! > b.pk.S! ? 1 : 0)
