import { describe, expect, it } from 'vitest'

import {
  jsonNumber,
  parseExpressionNames,
  parseExpressionValues,
  parsePlainJson,
  parsePlainJsonFast,
  parseRawItem,
  plainCell,
  plainItemJson,
  rawItemJson,
  type Item,
} from '../../src/data/values.js'
import { UserInputError } from '../../src/errors.js'

const DIGITS_38 = '12345678901234567890123456789012345678'

const everyType: Item = {
  id: { S: 'héllo ✓ 日本' },
  big: { N: DIGITS_38 },
  tiny: { N: '-1E-130' },
  dec: { N: '0.000000000000000000000000000000000001' },
  empty: { S: '' },
  yes: { BOOL: true },
  nothing: { NULL: true },
  bin: { B: new Uint8Array([0, 1, 2, 253, 254, 255]) },
  ss: { SS: ['a', 'b'] },
  ns: { NS: [DIGITS_38, '-0.5'] },
  bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
  list: { L: [{ N: '1' }, { S: 'x' }, { M: { deep: { N: DIGITS_38 } } }] },
  map: { M: { status: { S: 'ok' }, inner: { L: [] } } },
}

describe('plain JSON of items', () => {
  it('prints every digit DynamoDB sent, never through a float', () => {
    const text = plainItemJson({ big: { N: DIGITS_38 }, ns: { NS: [DIGITS_38] } })
    expect(text).toBe(`{"big":${DIGITS_38},"ns":[${DIGITS_38}]}`)
    expect(JSON.parse(text).big).not.toBe(DIGITS_38) // what a JS number would have lost
  })

  it('turns sets into arrays, binary into base64 and keeps nesting', () => {
    const parsed = JSON.parse(plainItemJson(everyType)) as Record<string, unknown>
    expect(parsed).toMatchObject({ id: 'héllo ✓ 日本', empty: '', yes: true, nothing: null, ss: ['a', 'b'], bin: Buffer.from([0, 1, 2, 253, 254, 255]).toString('base64') })
    expect(parsed.bs).toEqual(['AQ==', 'AgM='])
    expect(parsed.map).toEqual({ status: 'ok', inner: [] })
    expect((parsed.list as unknown[])[1]).toBe('x')
  })

  it('keeps an attribute called __proto__ as an attribute', () => {
    const item = JSON.parse('{"__proto__": {"S": "x"}, "a": {"N": "1"}}') as Item // JSON.parse makes it an own property
    expect(plainItemJson(item)).toBe('{"__proto__":"x","a":1}')
  })

  it('normalises number spellings an engine may echo into valid JSON without changing digits', () => {
    expect(jsonNumber('+5')).toBe('5')
    expect(jsonNumber('.5')).toBe('0.5')
    expect(jsonNumber('5.')).toBe('5')
    expect(jsonNumber('007')).toBe('7')
    expect(jsonNumber('1E+2')).toBe('1E+2')
    expect(jsonNumber(`-${DIGITS_38}`)).toBe(`-${DIGITS_38}`)
    expect(() => jsonNumber('abc')).toThrow(/not a DynamoDB number/)
  })

  it('gives CSV cells scalars as text and nested values as JSON', () => {
    expect(plainCell({ S: 'a,b' })).toBe('a,b')
    expect(plainCell({ N: DIGITS_38 })).toBe(DIGITS_38)
    expect(plainCell(undefined)).toBe('')
    expect(plainCell({ NULL: true })).toBe('')
    expect(plainCell({ M: { a: { N: '1' } } })).toBe('{"a":1}')
  })
})

describe('raw (DynamoDB JSON) items', () => {
  it('round-trips every type exactly', () => {
    const back = parseRawItem(rawItemJson(everyType))
    expect(back).toEqual(everyType)
    expect(back.bin.B).toBeInstanceOf(Uint8Array)
  })

  it('keeps an attribute called __proto__ when reading DynamoDB JSON back', () => {
    const item = parseRawItem('{"id":{"S":"1"},"__proto__":{"S":"x"}}')
    expect(Object.keys(item)).toEqual(['id', '__proto__'])
    expect(rawItemJson(item)).toBe('{"id":{"S":"1"},"__proto__":{"S":"x"}}')
  })

  it('rejects lines that are not AttributeValue maps, naming the attribute', () => {
    expect(() => parseRawItem('{"a": "plain"}')).toThrow(/a: expected an AttributeValue/)
    expect(() => parseRawItem('{"a": {"S": "x", "N": "1"}}')).toThrow(/a: expected exactly one of/)
    expect(() => parseRawItem('{"m": {"M": {"n": {"Q": 1}}}}')).toThrow(/m\.n/)
  })
})

describe('expression flags', () => {
  it('marshals --values from plain JSON with exact numbers', () => {
    expect(parseExpressionValues(`{":big": ${DIGITS_38}, ":s": "x", ":b": true, ":n": null, ":l": [1, "a"], ":m": {"k": 2.50}}`)).toEqual({
      ':big': { N: DIGITS_38 },
      ':s': { S: 'x' },
      ':b': { BOOL: true },
      ':n': { NULL: true },
      ':l': { L: [{ N: '1' }, { S: 'a' }] },
      ':m': { M: { k: { N: '2.50' } } },
    })
  })

  it('names the flag and shows an example for malformed JSON', () => {
    const err = (() => {
      try {
        parseExpressionValues('{":a": 1')
      } catch (e) {
        return e as UserInputError
      }
    })()
    expect(err).toBeInstanceOf(UserInputError)
    expect(err?.message).toMatch(/--values is not valid JSON/)
    expect(err?.hint).toMatch(/--values '\{/)
    expect(() => parseExpressionValues('[1]')).toThrow(/must be a JSON object/)
    expect(() => parseExpressionValues('{"a": 1}')).toThrow(/must start with ":"/)
    expect(() => parseExpressionNames('{"s": "status"}')).toThrow(/must start with "#"/)
    expect(() => parseExpressionNames('{"#s": 1}')).toThrow(/attribute name string/)
  })
})

describe('parsePlainJsonFast (what dynx load parses plain lines with)', () => {
  it('gives what parsePlainJson gives: numbers exact in any position, strings with digits, quotes and escapes untouched, invalid JSON refused', () => {
    const cases = [
      '{"a":12345678901234567890123456789012345678,"b":-0.000000000000000000000000000000000001,"c":1.50,"d":1e-130,"e":-9.9999999999999999999999999999999999999E+125}',
      '{"s":"12345678901234567890 \\" 42 \\\\","n":[1,2.5,{"x":-3}],"t":true,"f":false,"z":null,"k 1":0}',
      '{"unicode":"ünï ✓ \\u00e9 \\ud83d\\ude80","nested":{"l":[[],{}],"m":{"deep":[1e5,"1e5"]}}}',
      '{"nul":"a\\u0000b","n":7}',
      '[1,"2",3]',
    ]
    for (const text of cases) expect(parsePlainJsonFast(text)).toEqual(parsePlainJson(text))
    for (const bad of ['{"a":01}', '{"a":1', '{"a":.5}', '{"a":+1}']) {
      expect(() => parsePlainJson(bad)).toThrow()
      expect(() => parsePlainJsonFast(bad)).toThrow()
    }
  })
})
