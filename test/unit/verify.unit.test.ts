import { DescribeTableCommand, DynamoDBClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { describe, expect, it } from 'vitest'

import { renderVerifyResult } from '../../src/cli/verify-render.js'
import { createConnection } from '../../src/connection/clients.js'
import type { Item } from '../../src/data/values.js'
import { canonicalItemText, canonicalKeyText, canonicalNumber, compareNumbers } from '../../src/verify/canonical.js'
import { fileSideOf } from '../../src/verify/files.js'
import { verifyTables } from '../../src/verify/verify.js'
import { DIGITS_38, specialItems } from '../scan-fixtures.js'

const text = canonicalItemText
const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64')
/** What a wireItems scan hands out: binary as base64 text. */
const wire = (item: Item): Item => JSON.parse(JSON.stringify(item, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))) as Item

describe('canonicalNumber', () => {
  it.each([
    ['1.50', '1.5', '15e-1', '+1.5', '0001.5000', '.15e1', '150E-2'],
    ['7', '007', '7.0', '7.', '0.7e1', '70e-1'],
    ['0', '-0', '0.000', '+0', '0e10', '-0.0e-5', '00'],
    ['1200', '12e2', '1.2E3', '1200.00', '0.12e+4'],
    ['-42', '-42.0', '-4.2e1', '-0042'],
    ['1E-130', '0.1e-129', '10e-131'],
  ])('%s has one canonical spelling', (...spellings) => {
    const forms = new Set(spellings.map(canonicalNumber))
    expect(forms.size).toBe(1)
  })

  it('keeps all 38 digits and extreme exponents exactly (no float)', () => {
    expect(canonicalNumber(DIGITS_38)).toBe(DIGITS_38)
    expect(canonicalNumber(`-${DIGITS_38}`)).toBe(`-${DIGITS_38}`)
    // One unit in the 38th digit apart: equal as JS numbers, different here.
    expect(Number('12345678901234567890123456789012345678')).toBe(Number('12345678901234567890123456789012345679'))
    expect(canonicalNumber('12345678901234567890123456789012345678')).not.toBe(canonicalNumber('12345678901234567890123456789012345679'))
    expect(canonicalNumber('9.9999999999999999999999999999999999999E+125')).toBe('99999999999999999999999999999999999999e88')
    expect(canonicalNumber('0.000000000000000000000000000000000001')).toBe('1e-36')
    expect(canonicalNumber('1.5')).toBe('15e-1')
    expect(canonicalNumber('1200')).toBe('12e2')
  })

  it('rejects text that is not a number', () => {
    for (const bad of ['', '-', 'abc', '1.2.3', '1e', 'e5', '1e+']) expect(() => canonicalNumber(bad), bad).toThrow(/not a DynamoDB number/)
  })

  it('orders numbers by value', () => {
    const sorted = ['-1e3', '-15', '-1.5', '-0.001', '0', '1E-130', '0.5', '1.5', '2', '15', '1e3', DIGITS_38].reverse().sort(compareNumbers)
    expect(sorted).toEqual(['-1e3', '-15', '-1.5', '-0.001', '0', '1E-130', '0.5', '1.5', '2', '15', '1e3', DIGITS_38])
    expect(compareNumbers('1.50', '15e-1')).toBe(0)
  })
})

describe('canonicalItemText', () => {
  it('ignores attribute and nested map key order', () => {
    const a: Item = { pk: { S: 'x' }, b: { N: '1' }, m: { M: { z: { S: 'z' }, a: { M: { y: { BOOL: true }, x: { NULL: true } } } } } }
    const b: Item = { m: { M: { a: { M: { x: { NULL: true }, y: { BOOL: true } } }, z: { S: 'z' } } }, b: { N: '1' }, pk: { S: 'x' } }
    expect(text(a)).toBe(text(b))
  })

  it('ignores set element order, and number spelling inside sets', () => {
    expect(text({ s: { SS: ['b', 'a', 'ü'] } })).toBe(text({ s: { SS: ['ü', 'a', 'b'] } }))
    expect(text({ s: { NS: ['1.50', DIGITS_38, '-0'] } })).toBe(text({ s: { NS: ['0', '15e-1', DIGITS_38] } }))
    expect(text({ s: { BS: [new Uint8Array([2]), new Uint8Array([1, 0])] } })).toBe(text({ s: { BS: [new Uint8Array([1, 0]), new Uint8Array([2])] } }))
  })

  it('treats binary as Uint8Array and as base64 text alike', () => {
    const bytes: Item = { b: { B: new Uint8Array([0, 255, 10]) }, bs: { BS: [new Uint8Array([1]), new Uint8Array([])] }, l: { L: [{ B: new Uint8Array([7]) }] } }
    const text64 = { b: { B: b64([0, 255, 10]) }, bs: { BS: [b64([]), b64([1])] }, l: { L: [{ B: b64([7]) }] } } as unknown as Item
    expect(text(bytes)).toBe(text(text64))
    // A Uint8Array that is a view into a larger buffer encodes only its own bytes.
    const view = new Uint8Array(new Uint8Array([9, 0, 255, 10, 9]).buffer, 1, 3)
    expect(text({ b: { B: view } })).toBe(text({ b: { B: new Uint8Array([0, 255, 10]) } }))
    for (const item of specialItems()) expect(text(wire(item))).toBe(text(item))
  })

  it('keeps list order and nesting, and tells different values apart', () => {
    const base: Item = { pk: { S: 'k' }, l: { L: [{ S: 'a' }, { N: '1' }, { M: { x: { L: [{ NULL: true }] } } }] } }
    const variants: Item[] = [
      { pk: { S: 'k' }, l: { L: [{ N: '1' }, { S: 'a' }, { M: { x: { L: [{ NULL: true }] } } }] } }, // list order
      { pk: { S: 'k' }, l: { L: [{ S: 'a' }, { N: '1.0001' }, { M: { x: { L: [{ NULL: true }] } } }] } },
      { pk: { S: 'k' }, l: { L: [{ S: 'a' }, { N: '1' }, { M: { x: { L: [{ BOOL: false }] } } }] } },
      { pk: { S: 'k' }, l: { L: [{ S: 'a' }, { S: '1' }, { M: { x: { L: [{ NULL: true }] } } }] } }, // N vs S
      { pk: { S: 'k' }, l: { L: [{ S: 'a' }, { N: '1' }, { M: { x: { L: [{ NULL: true }] }, y: { S: '' } } }] } },
      { pk: { S: 'k' }, l: { L: [{ S: 'a' }, { N: '1' }, { M: { x: { L: [{ NULL: true }] } } }] }, extra: { S: '' } },
      { pk: { S: 'K' }, l: { L: [{ S: 'a' }, { N: '1' }, { M: { x: { L: [{ NULL: true }] } } }] } },
    ]
    const texts = new Set([base, ...variants].map(text))
    expect(texts.size).toBe(variants.length + 1)
    expect(text(base)).toBe(text(structuredClone(base)))
  })

  it('cannot be fooled by delimiters inside strings and names', () => {
    const pairs: Array<[Item, Item]> = [
      [{ a: { S: 'x' }, b: { S: 'y' } }, { a: { S: 'x1:bS1:y' } }],
      [{ s: { SS: ['a', 'b'] } }, { s: { SS: ['a1:b'] } }],
      [{ 'a}': { S: '' } }, { a: { S: '}' } }],
      [{ l: { L: [{ S: 'a' }, { S: 'b' }] } }, { l: { L: [{ S: 'aS1:b' }] } }],
      [{ m: { M: {} } }, { m: { L: [] } }],
      [{ n: { NS: ['1', '2'] } }, { n: { NS: ['12'] } }],
    ]
    for (const [a, b] of pairs) expect(text(a)).not.toBe(text(b))
  })

  it('handles every special fixture item and is stable', () => {
    for (const item of specialItems()) {
      const shuffled = Object.fromEntries(Object.entries(item).reverse()) as Item
      expect(text(shuffled)).toBe(text(item))
    }
  })
})

describe('canonicalKeyText', () => {
  it('encodes the key attributes in key-schema order, numbers by value, binary either way', () => {
    expect(canonicalKeyText({ pk: { S: 'a' }, sk: { N: '1.50' }, other: { S: 'x' } }, ['pk', 'sk'])).toBe(canonicalKeyText({ sk: { N: '15e-1' }, pk: { S: 'a' } }, ['pk', 'sk']))
    expect(canonicalKeyText({ pk: { S: 'a' }, sk: { S: 'b' } }, ['pk', 'sk'])).not.toBe(canonicalKeyText({ pk: { S: 'b' }, sk: { S: 'a' } }, ['pk', 'sk']))
    expect(canonicalKeyText({ id: { B: new Uint8Array([1, 2]) } }, ['id'])).toBe(canonicalKeyText({ id: { B: b64([1, 2]) } } as unknown as Item, ['id']))
    expect(() => canonicalKeyText({ pk: { S: 'a' } }, ['pk', 'sk'])).toThrow(/no key attribute "sk"/)
  })
})

describe('verifyTables on live tables (faked Scan: stands for a write landing between the two reads)', () => {
  const described = (name: string) => ({
    Table: {
      TableName: name,
      TableArn: `arn:aws:dynamodb:us-east-1:1:table/${name}`,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
      ItemCount: 3,
      TableSizeBytes: 100,
    },
  })
  const row = (id: string, v: string): Item => ({ id: { S: id }, v: { N: v } })

  it('the first read differs, the second finds no differing key: equal (exit 0), not drift with zero differences', async () => {
    const conn = createConnection({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
    const mock = mockClient(DynamoDBClient)
    try {
      mock.on(DescribeTableCommand, { TableName: 'a' }).resolves(described('a')).on(DescribeTableCommand, { TableName: 'b' }).resolves(described('b'))
      const reads = { a: 0, b: 0 }
      mock.on(ScanCommand).callsFake((input: ScanCommandInput) => {
        const table = input.TableName as 'a' | 'b'
        reads[table]++
        // b's k2 was still being written when the first read passed it (v 1, then 2 like a's).
        const items = [row('k1', '1'), row('k2', table === 'b' && reads.b === 1 ? '1' : '2'), row('k3', '3')]
        return { Items: items, Count: items.length, ScannedCount: items.length }
      })
      const result = await verifyTables(conn, 'a', conn, 'b', { segments: 1 })
      // Both tables were read twice: the first read's checksums differed.
      expect(reads).toEqual({ a: 2, b: 2 })
      expect(result.source.checksum).not.toBe(result.target.checksum)
      expect(result).toMatchObject({ equal: true, outcome: 'ok', complete: true, differences: { missing: 0, extra: 0, changed: 0 }, diffs: [] })
      expect(renderVerifyResult(result)).toMatch(/^equal: 3 items, .*\nThe first read's checksums differed but the second read found no differing key/)
    } finally {
      mock.restore()
      conn.destroy()
    }
  })
})

describe('fileSideOf (which verify argument names files)', () => {
  it('takes -, paths, globs and existing data files as files, and bare names as tables even where a folder has that name', () => {
    // The tests run in the repository: src/ is a folder, README.md a file, package.json an existing .json file.
    expect(fileSideOf('package.json', 'users')).toBe('source')
    expect(fileSideOf('users', './dumps')).toBe('target')
    expect(fileSideOf('parts*.csv', 'users')).toBe('source')
    expect(fileSideOf('-', 'users')).toBe('source')
    expect(fileSideOf('src', 'users')).toBeUndefined()
    expect(fileSideOf('users.jsonl', 'users')).toBeUndefined() // no such file: a table name may hold a dot
    expect(fileSideOf('users', undefined)).toBeUndefined()
  })

  it('refuses two file sides, and file flags without one (exit 2)', () => {
    expect(() => fileSideOf('./a.jsonl', './b.jsonl')).toThrow(/Both .* name files/)
    expect(() => fileSideOf('users', 'users_copy', ['--types'])).toThrow(/--types says how to read files, but neither SOURCE nor TARGET is one/)
  })
})
