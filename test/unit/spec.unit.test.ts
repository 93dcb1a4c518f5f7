import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import { SpecValidationError } from '../../src/errors.js'
import { loadSpecFile, loadTableSpec, parseSpecDocument } from '../../src/tables/spec.js'
import { tempDir } from '../helpers.js'

function issuesOf(doc: unknown): string[] {
  try {
    parseSpecDocument(doc, 'spec.yaml')
  } catch (err) {
    if (err instanceof SpecValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`)
    throw err
  }
  return []
}

const ok = { name: 'users', hashKey: { name: 'id', type: 'S' } }

describe('spec validation names the path of every problem', () => {
  it('accepts a minimal table', () => {
    expect(issuesOf({ tables: [ok] })).toEqual([])
  })

  it('reports a missing index hashKey as tables[2].indexes[0].hashKey: required', () => {
    const doc = { tables: [ok, { ...ok, name: 'two' }, { ...ok, name: 'three', indexes: [{ name: 'by-x', rangeKey: { name: 'x', type: 'S' } }] }] }
    expect(issuesOf(doc)).toEqual(['tables[2].indexes[0].hashKey: required'])
  })

  it('rejects key types other than S, N, B and says which are allowed', () => {
    expect(issuesOf({ tables: [{ name: 'users', hashKey: { name: 'id', type: 'BOOL' } }] })).toEqual(['tables[0].hashKey.type: must be one of "S", "N", "B" (got "BOOL")'])
  })

  it('rejects unknown fields such as a misspelt hashkey', () => {
    expect(issuesOf({ tables: [{ ...ok, hashkey: { name: 'id', type: 'S' } }] })).toEqual(['tables[0].hashkey: unknown field (check the spelling; see "Spec files" in the README)'])
  })

  it('requires read/write for PROVISIONED billing and forbids them on demand', () => {
    expect(issuesOf({ tables: [{ ...ok, billing: 'PROVISIONED', read: 5 }] })).toEqual(['tables[0].write: required when billing is PROVISIONED'])
    expect(issuesOf({ tables: [{ ...ok, read: 5, write: 5 }] })).toHaveLength(2)
  })

  it('catches an attribute used with two types, an LSI without a sort key, and duplicate names', () => {
    const issues = issuesOf({
      tables: [{ ...ok, indexes: [{ name: 'by-id', hashKey: { name: 'id', type: 'N' } }], localIndexes: [{ name: 'by-id', rangeKey: { name: 'at', type: 'S' } }] }, ok],
    })
    expect(issues).toContain('tables[0].indexes[0].hashKey: attribute "id" is N here but S at tables[0].hashKey')
    expect(issues).toContain('tables[0].localIndexes[0]: local secondary indexes need the table to have a rangeKey')
    expect(issues).toContain('tables[0].localIndexes[0].name: duplicate index name "by-id"')
    expect(issues).toContain('tables[1].name: duplicate table "users"')
  })

  it('explains projection, ttl and stream values it cannot use', () => {
    const issues = issuesOf({ tables: [{ ...ok, ttl: true, stream: 'ALL', indexes: [{ name: 'idx', hashKey: { name: 'e', type: 'S' }, projection: 'SOME' }] }] })
    expect(issues.some((i) => i.startsWith('tables[0].ttl: invalid value true: use the TTL attribute name'))).toBe(true)
    expect(issues.some((i) => i.startsWith('tables[0].stream:'))).toBe(true)
    expect(issues.some((i) => i.startsWith('tables[0].indexes[0].projection:'))).toBe(true)
  })
})

describe('spec files', () => {
  it('reads YAML and JSON, and reports unparseable files with their name', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'a.yaml'), 'tables:\n  - name: users\n    hashKey: { name: id, type: S }\n    ttl: expiresAt\n')
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ tables: [ok] }))
    writeFileSync(join(dir, 'bad.json'), '{ "tables": [')
    expect((await loadSpecFile(join(dir, 'a.yaml')))[0]).toMatchObject({ name: 'users', ttl: 'expiresAt' })
    expect((await loadSpecFile(join(dir, 'a.json')))[0].name).toBe('users')
    await expect(loadSpecFile(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json is not a valid dynx spec:\n {2}\(root\): not valid JSON/)
    await expect(loadSpecFile(join(dir, 'missing.yaml'))).rejects.toThrow(/Cannot read spec file .*missing\.yaml: ENOENT/)
  })

  it('create --spec takes a single-table file or picks the named entry of a tables list', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'one.yaml'), 'hashKey: { name: id, type: S }\nstream: NEW_IMAGE\n')
    writeFileSync(join(dir, 'many.yaml'), 'tables:\n  - name: a_table\n    hashKey: { name: a, type: S }\n  - name: b_table\n    hashKey: { name: b, type: N }\n')
    expect(await loadTableSpec(join(dir, 'one.yaml'), 'staging_users')).toMatchObject({ name: 'staging_users', stream: 'NEW_IMAGE' })
    expect((await loadTableSpec(join(dir, 'many.yaml'), 'b_table')).hashKey).toEqual({ name: 'b', type: 'N' })
    await expect(loadTableSpec(join(dir, 'many.yaml'), 'c_table')).rejects.toThrow('has no table named "c_table" (it has a_table, b_table)')
  })
})
