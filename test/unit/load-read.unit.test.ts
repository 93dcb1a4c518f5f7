import { toWireItem } from '../../src/data/values.js'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'

import { itemBytes, itemTooLarge, keyProblem, keyText } from '../../src/load/check.js'
import { LoadCheckpoint } from '../../src/load/checkpoint.js'
import { detectEncoding, ItemDecoder, parseColumnTypes } from '../../src/load/formats.js'
import { readRecords, type LoadRecord } from '../../src/load/read.js'
import { resolveSources } from '../../src/load/sources.js'
import { UserInputError } from '../../src/errors.js'
import { tempDir } from '../helpers.js'

const dir = tempDir('dynx-load-unit-')
const plain = new ItemDecoder('plain', {}, { id: 'S' })

async function records(
  file: string,
  text: string | Buffer,
  o: { format: 'jsonl' | 'json' | 'csv'; from?: { offset: number; line: number }; gzip?: boolean; header?: string[]; decoder?: ItemDecoder; end?: number },
) {
  const path = join(dir, file)
  writeFileSync(path, o.gzip ? gzipSync(text) : text)
  const out: LoadRecord[] = []
  for await (const batch of readRecords({ path, gzip: Boolean(o.gzip) }, o.from ?? { offset: 0, line: 0 }, {
    format: o.format,
    decoder: o.decoder ?? plain,
    header: o.header,
    end: o.end,
  }))
    out.push(...batch)
  return out
}

const summary = (rs: LoadRecord[]) =>
  rs.map((r) => ({ line: r.line, end: r.end, ...(r.item ? { item: r.item } : {}), ...(r.error ? { error: true } : {}), ...(r.header ? { header: r.header } : {}) }))

describe('JSON array reader', () => {
  const text = '\uFEFF[\n {"id":"a","n":12345678901234567890123456789012345678},\n {"id":"b,]","x":[1,{"y":"}"}]},\n 5,\n {"id":"c\\"}\\\\"}\n]\n'

  it('splits elements at the byte level (strings with brackets, escapes, nesting), numbers exact, a scalar element is a bad record', async () => {
    const rs = await records('a.json', text, { format: 'json' })
    expect(summary(rs)).toEqual([
      { line: 2, end: 59, item: { id: { S: 'a' }, n: { N: '12345678901234567890123456789012345678' } } },
      { line: 3, end: 92, item: { id: { S: 'b,]' }, x: { L: [{ N: '1' }, { M: { y: { S: '}' } } }] } } },
      { line: 4, end: 96, error: true },
      { line: 5, end: 114, item: { id: { S: 'c"}\\' } } },
    ])
  })

  it('resumes after an element with the same records and lines as a run from the start', async () => {
    const all = await records('a.json', text, { format: 'json' })
    const rest = await records('a.json', text, { format: 'json', from: { offset: all[1].end, line: all[1].endLine } })
    expect(summary(rest)).toEqual(summary(all.slice(2)))
  })

  it('an element split across read chunks (1 MB) is read whole', async () => {
    const big = 'z'.repeat(1.5 * 1024 * 1024)
    const rs = await records('big.json', `[{"id":"1","s":"${big}"},{"id":"2"}]`, { format: 'json' })
    expect(rs.map((r) => r.item?.id.S)).toEqual(['1', '2'])
    expect(rs[0].item!.s.S!.length).toBe(big.length)
  })

  it('an array that is not closed, or text after it, gives a bad record, not a crash', async () => {
    expect(summary(await records('open.json', '[{"id":"a"},', { format: 'json' })).map((r) => Boolean(r.error))).toEqual([false, true])
    expect(summary(await records('after.json', '[{"id":"a"}] x', { format: 'json' })).map((r) => Boolean(r.error))).toEqual([false, true])
  })
})

describe('JSON lines reader', () => {
  it('\\r\\n, blank lines and a last line without a newline; offsets just past each line; a gzip file resumes at a decompressed offset', async () => {
    const text = '{"id":"a"}\r\n\n{bad\n{"id":"c"}'
    const rs = await records('l.jsonl', text, { format: 'jsonl' })
    expect(summary(rs)).toEqual([
      { line: 1, end: 12, item: { id: { S: 'a' } } },
      { line: 3, end: 18, error: true },
      { line: 4, end: 28, item: { id: { S: 'c' } } },
    ])
    const gz = await records('l.jsonl.gz', text, { format: 'jsonl', gzip: true, from: { offset: 18, line: 3 } })
    expect(summary(gz)).toEqual(summary(rs.slice(2)))
  })

  it('a byte range stops at its end', async () => {
    const rs = await records('r.jsonl', '{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n', { format: 'jsonl', from: { offset: 11, line: 1 }, end: 22 })
    expect(summary(rs)).toEqual([{ line: 2, end: 22, item: { id: { S: 'b' } } }])
  })
})

describe('CSV reader', () => {
  const decoder = new ItemDecoder('plain', parseColumnTypes('n=N,tags=SS,meta=M,ok=BOOL'), { id: 'S' })
  const text = 'id,n,tags,meta,ok\na,1,"[""x"",""y""]","{""k"":1.50}",true\n"b\nc",,,,\nd,2,3,4,5,6\ne,x,,,\n'

  it('quoted cells with line breaks, typed columns, empty cells left out, too many cells and a bad number are bad records', async () => {
    const rs = await records('a.csv', text, { format: 'csv', decoder })
    expect(summary(rs)).toEqual([
      { line: 1, end: 18, header: ['id', 'n', 'tags', 'meta', 'ok'] },
      { line: 2, end: 58, item: { id: { S: 'a' }, n: { N: '1' }, tags: { SS: ['x', 'y'] }, meta: { M: { k: { N: '1.50' } } }, ok: { BOOL: true } } },
      { line: 3, end: 68, item: { id: { S: 'b\nc' } } },
      { line: 5, end: 80, error: true },
      { line: 6, end: 87, error: true },
    ])
  })

  it('resumes after a row with the header given', async () => {
    const all = await records('a.csv', text, { format: 'csv', decoder })
    const rest = await records('a.csv', text, { format: 'csv', decoder, header: all[0].header, from: { offset: all[1].end, line: all[1].endLine } })
    expect(summary(rest)).toEqual(summary(all.slice(2)))
  })
})

describe('formats and checks', () => {
  it('DynamoDB JSON is told from plain by the first item; an export line is unwrapped', () => {
    expect(detectEncoding('{"id":{"S":"a"},"n":{"N":"1"}}')).toBe('raw')
    expect(detectEncoding('{"Item":{"id":{"S":"a"}}}')).toBe('raw')
    expect(detectEncoding('{"id":"a","n":1}')).toBe('plain')
    expect(detectEncoding('{"id":{"name":"x"}}')).toBe('plain')
    expect(new ItemDecoder('raw', {}, {}).fromJson('{"Item":{"id":{"S":"a"},"b":{"B":"AAE="}}}')).toEqual({ id: { S: 'a' }, b: { B: new Uint8Array([0, 1]) } })
    // An item whose only attribute is called Item, in DynamoDB JSON: not an export wrapper.
    expect(new ItemDecoder('raw', {}, {}).fromJson('{"Item":{"M":{"x":{"S":"y"}}}}')).toEqual({ Item: { M: { x: { S: 'y' } } } })
  })

  it('plain values typed by --types and by binary keys; a value that cannot be the type throws', () => {
    const d = new ItemDecoder('plain', parseColumnTypes('tags=SS,ns=NS,count=N'), { id: 'B' })
    expect(d.fromJson('{"id":"AAE=","tags":["a"],"ns":[1,"2.50"],"count":"7","l":[1]}')).toEqual({
      id: { B: new Uint8Array([0, 1]) },
      tags: { SS: ['a'] },
      ns: { NS: ['1', '2.50'] },
      count: { N: '7' },
      l: { L: [{ N: '1' }] },
    })
    expect(() => d.fromJson('{"id":"AA==","tags":[]}')).toThrow(/tags: an empty list cannot be SS/)
    expect(() => d.fromJson('{"id":"AA==","count":"seven"}')).toThrow(/count: "seven" cannot be N/)
  })

  it('--types: unknown types and malformed pairs are bad input', () => {
    expect(() => parseColumnTypes('n=INT')).toThrow(UserInputError)
    expect(() => parseColumnTypes('n')).toThrow(/is not NAME=TYPE/)
    expect(parseColumnTypes(' a=n , b=ss ')).toEqual({ a: 'N', b: 'SS' })
  })

  it('key problems and item size', () => {
    expect(keyProblem({ id: { S: 'a' } }, { id: 'S', n: 'N' })).toBe('the key attribute "n" is missing')
    expect(keyProblem({ id: { N: '1' } }, { id: 'S' })).toBe('the key attribute "id" is N, but the table\'s is S')
    expect(keyProblem({ id: { S: '' } }, { id: 'S' })).toBe('the key attribute "id" is empty')
    expect(keyProblem({ id: { S: 'a' } }, { id: 'S' })).toBeUndefined()
    expect(itemBytes({ ab: { S: 'xyz' }, n: { N: '12345' }, l: { L: [{ BOOL: true }] } })).toBe(2 + 3 + 1 + 4 + 1 + 3 + 1 + 1)
    // A number counts its digits before any . e E, without a sign or (unsigned) leading zeros, halved and rounded up, plus one.
    const byRegex = (n: string) => Math.ceil(n.replace(/^[-+]|[.eE].*$|^0+/g, '').length / 2) + 1
    // Over the limit exactly as itemBytes counts: multi-byte text, names, lists and numbers near the edge.
    const wide = (chars: number) => ({ id: { S: 'k' }, t: { S: 'é'.repeat(chars) } })
    const limit = 1000
    for (const chars of [400, 497, 498, 499, 500, 1000])
      expect(itemTooLarge(wide(chars), limit), String(chars)).toBe(itemBytes(wide(chars)) > limit ? itemBytes(wide(chars)) : undefined)
    const listy = { id: { S: 'k' }, l: { L: Array.from({ length: 300 }, () => ({ N: '1' })) }, m: { M: { ['ü'.repeat(10)]: { SS: ['ab', 'c'] } } } }
    expect(itemTooLarge(listy, itemBytes(listy) - 1)).toBe(itemBytes(listy))
    expect(itemTooLarge(listy, itemBytes(listy))).toBeUndefined()
    for (const n of ['0', '7', '-12', '+123', '00012', '-0012', '0.5', '12.5e10', '1E5', '123456789012345678901234567890123456789', '-0.000001'])
      expect(itemBytes({ n: { N: n } }), n).toBe(1 + byRegex(n))
  })
})

describe('sources and checkpoint', () => {
  it('folders, globs and export folders; missing files and empty matches are bad input', async () => {
    const root = join(dir, 'src')
    mkdirSync(join(root, 'sub'), { recursive: true })
    writeFileSync(join(root, 'a.jsonl'), '{}\n')
    writeFileSync(join(root, 'sub', 'b.csv.gz'), gzipSync('id\n'))
    writeFileSync(join(root, 'notes.txt'), 'x')
    const found = await resolveSources([root])
    expect(found.map((s) => [s.label.replace(root, 'ROOT'), s.format, s.gzip])).toEqual([
      ['ROOT/a.jsonl', 'jsonl', false],
      ['ROOT/sub/b.csv.gz', 'csv', true],
    ])
    expect((await resolveSources([join(root, '*.jsonl')])).map((s) => s.path)).toEqual([join(root, 'a.jsonl')])
    await expect(resolveSources([join(root, 'nope.jsonl')])).rejects.toThrow(/no such file/)
    await expect(resolveSources([join(root, '*.parquet')])).rejects.toThrow(/matches no file/)
    await expect(resolveSources([join(root, 'a.jsonl'), root])).rejects.toThrow(/given twice/)
  })

  it('a resumed checkpoint cuts the dead-letter file back to what it had saved (records of pages read again are not repeated)', () => {
    const file = join(dir, 'cp.json')
    const dead = join(dir, 'dead.jsonl')
    const cp = LoadCheckpoint.open(file, { a: 1 }, dead, () => [{ source: 0, start: 0, startLine: 0, offset: 10, line: 1, loaded: 1, deadLettered: 1, dropped: 0, done: false }])
    writeFileSync(dead, 'first\n')
    cp.save(6)
    writeFileSync(dead, 'first\nsecond, of an unsaved page\n')
    const again = LoadCheckpoint.open(file, { a: 1 }, 'ignored', () => [])
    expect(again.resumed).toBe(true)
    expect(again.parts[0].offset).toBe(10)
    expect(readFileSync(dead, 'utf8')).toBe('first\n')
    expect(() => LoadCheckpoint.open(file, { a: 2 }, dead, () => [])).toThrow(/belongs to another load \(a differs\)/)
  })
})

describe('keyText: one text per key', () => {
  it('tells keys apart whatever characters they hold (NUL, colons, digits), and gives one key one text', () => {
    const keys = { pk: 'S', sk: 'S' } as const
    const a = keyText({ pk: { S: 'a\u0000S1:x' }, sk: { S: 'y' } }, keys)
    const b = keyText({ pk: { S: 'a' }, sk: { S: 'x\u0000S1:y' } }, keys)
    expect(a).not.toBe(b)
    expect(keyText({ pk: { S: 'a' }, sk: { S: 'b' }, other: { N: '1' } }, keys)).toBe(keyText({ sk: { S: 'b' }, pk: { S: 'a' } }, keys))
    expect(keyText({ id: { N: '1' } }, { id: 'N' })).not.toBe(keyText({ id: { S: '1' } }, { id: 'S' }))
    expect(keyText({ id: { B: new Uint8Array([1, 2]) } }, { id: 'B' })).toBe(keyText({ id: { B: 'AQI=' as unknown as Uint8Array } }, { id: 'B' }))
  })
})

describe('toWireItem', () => {
  it('turns binary into base64 at any depth, and hands an item without binary back as it is (no copy)', () => {
    const plain = { id: { S: 'a' }, l: { L: [{ N: '1' }, { M: { x: { S: 'y' } } }] } }
    expect(toWireItem(plain)).toBe(plain)
    const withBinary = { id: { S: 'a' }, l: { L: [{ N: '1' }, { B: new Uint8Array([1, 2]) }, { M: { b: { BS: [new Uint8Array([3])] } } }] } }
    expect(toWireItem(withBinary)).toEqual({ id: { S: 'a' }, l: { L: [{ N: '1' }, { B: 'AQI=' }, { M: { b: { BS: ['Aw=='] } } }] } })
    expect(withBinary.l.L[1].B).toBeInstanceOf(Uint8Array)
  })
})
