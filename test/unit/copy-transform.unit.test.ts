import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import { loadTransform } from '../../src/copy/transform.js'
import { UserInputError } from '../../src/errors.js'
import { tempDir } from '../helpers.js'

const DIGITS_38 = '98765432109876543210987654321098765432'
const dir = tempDir('dynx-transform-')
const module = (name: string, text: string) => {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

describe('transform modules', () => {
  it('hands the function a plain item with exact numbers and writes back the same wire item', async () => {
    const seen: unknown[] = []
    ;(globalThis as Record<string, unknown>).__dynxSeen = seen
    const identity = await loadTransform(module('identity.mjs', 'export default (item) => { globalThis.__dynxSeen.push(item); return item }'))
    // A number set whose first member fits a JS number and whose second does not (the order DynamoDB Local returns).
    const wire = { pk: { S: 'a' }, small: { N: '1.5' }, big: { N: DIGITS_38 }, ns: { NS: ['1', DIGITS_38] }, bin: { B: 'AAEC' }, l: { L: [{ N: '2' }, { SS: ['x'] }] } }
    const out = await identity(wire as never)
    expect(out).toEqual({ items: [wire], dropped: false })
    const plain = seen[0] as Record<string, unknown>
    expect(plain.small).toBe(1.5)
    expect(String(plain.big)).toBe(DIGITS_38)
    expect(plain.bin).toEqual(new Uint8Array([0, 1, 2]))
  })

  it('integers past 2^53 that a float prints back unchanged still arrive exactly (NumberValue) and write back', async () => {
    const identity = await loadTransform(module('identity2.mjs', 'export default (item) => item'))
    const wire = { pk: { S: 'a' }, a: { N: '9007199254740994' }, b: { N: '100000000000000000000' }, ns: { NS: ['9007199254740994', '3'] } }
    expect(await identity(wire as never)).toEqual({ items: [wire], dropped: false })
  })

  it('a Date returned by a transform is an error for that item, not an empty map', async () => {
    const fn = await loadTransform(module('date.mjs', 'export default (item) => ({ ...item, when: new Date(0) })'))
    expect(await fn({ pk: { S: 'a' } })).toMatchObject({ error: expect.stringMatching(/^transform returned an item that cannot be stored/) })
  })

  it('null drops, an array fans out, a throw or a non-item is an error for that item only', async () => {
    const fn = await loadTransform(
      module(
        'mixed.mjs',
        `export default (item) => item.pk === 'drop' ? null : item.pk === 'two' ? [item, { ...item, pk: 'two-b' }] : item.pk === 'boom' ? (() => { throw new Error('no') })() : item.pk === 'num' ? 42 : item`,
      ),
    )
    expect(await fn({ pk: { S: 'drop' } })).toEqual({ items: [], dropped: true })
    expect(await fn({ pk: { S: 'two' } })).toEqual({ items: [{ pk: { S: 'two' } }, { pk: { S: 'two-b' } }], dropped: false })
    expect(await fn({ pk: { S: 'boom' } })).toEqual({ error: 'transform threw: no' })
    expect(await fn({ pk: { S: 'num' } })).toEqual({ error: 'transform returned number instead of an item' })
  })

  it('an async function and a named `transform` export work too', async () => {
    const fn = await loadTransform(module('named.mjs', 'export async function transform(item) { return { ...item, x: 1 } }'))
    expect(await fn({ pk: { S: 'a' } })).toEqual({ items: [{ pk: { S: 'a' }, x: { N: '1' } }], dropped: false })
  })

  it('a missing file, a file that does not load, or one without a function is bad input', async () => {
    await expect(loadTransform(join(dir, 'nope.mjs'))).rejects.toThrow(UserInputError)
    await expect(loadTransform(join(dir, 'nope.mjs'))).rejects.toThrow(/does not exist/)
    await expect(loadTransform(module('syntax.mjs', 'export default ('))).rejects.toThrow(/cannot be loaded/)
    await expect(loadTransform(module('nofn.mjs', 'export const x = 1'))).rejects.toThrow(/exports no function \(exports: x\)/)
  })
})
