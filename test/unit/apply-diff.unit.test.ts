import { describe, expect, it } from 'vitest'

import { diffTable } from '../../src/tables/apply.js'
import type { TableInfo } from '../../src/tables/describe.js'
import type { TableSpec } from '../../src/tables/spec.js'

const live = (spec: Partial<TableSpec>, unsupported: TableInfo['unsupported'] = []): TableInfo => ({
  name: 't',
  arn: 'arn',
  status: 'ACTIVE',
  itemCount: 0,
  sizeBytes: 0,
  indexes: [],
  unsupported,
  description: {},
  spec: { name: 't', hashKey: { name: 'pk', type: 'S' }, billing: 'PAY_PER_REQUEST', stream: false, ttl: false, pitr: false, tags: {}, ...spec },
})
const want = (spec: Partial<TableSpec>): TableSpec => ({ name: 't', hashKey: { name: 'pk', type: 'S' }, ...spec })
const kinds = (changes: { kind: string; setting: string }[]) => changes.map((c) => `${c.kind}:${c.setting}`)

describe('apply drift: what DynamoDB can change in place and what it cannot', () => {
  it('finds nothing when the spec leaves settings out (unmanaged)', () => {
    expect(diffTable(want({}), live({ stream: 'NEW_IMAGE', ttl: 'exp', pitr: true, tags: { a: 'b' } }))).toEqual([])
  })

  it('never attempts key schema or LSI changes: they are manual', () => {
    const changes = diffTable(want({ rangeKey: { name: 'sk', type: 'S' }, localIndexes: [{ name: 'lsi', rangeKey: { name: 'at', type: 'S' } }] }), live({}))
    expect(kinds(changes)).toEqual(['manual:keySchema', 'manual:localIndexes.lsi'])
  })

  it('creates missing GSIs in place but reports changed or extra ones as manual', () => {
    const changes = diffTable(
      want({
        indexes: [
          { name: 'new', hashKey: { name: 'e', type: 'S' } },
          { name: 'old', hashKey: { name: 'x', type: 'N' } },
        ],
      }),
      live({
        indexes: [
          { name: 'old', hashKey: { name: 'x', type: 'S' }, projection: 'ALL' },
          { name: 'extra', hashKey: { name: 'y', type: 'S' }, projection: 'ALL' },
        ],
      }),
    )
    expect(kinds(changes)).toEqual(['update:indexes.new', 'manual:indexes.old', 'manual:indexes.extra'])
  })

  it('updates billing, stream, TTL, PITR, tags and deletion protection in place', () => {
    const changes = diffTable(
      want({ billing: 'PROVISIONED', read: 5, write: 5, stream: 'NEW_IMAGE', ttl: 'exp', pitr: true, tags: { team: 'core' }, deletionProtection: true }),
      live({}),
    )
    expect(kinds(changes)).toEqual(['update:billing', 'update:stream', 'update:ttl', 'update:pitr', 'update:tags', 'update:deletionProtection'])
  })

  it('treats moving TTL to another attribute as manual (DynamoDB needs it disabled first, then an hour)', () => {
    expect(kinds(diffTable(want({ ttl: 'b' }), live({ ttl: 'a' })))).toEqual(['manual:ttl'])
  })

  it('does not count settings the engine cannot report as drift', () => {
    expect(kinds(diffTable(want({ pitr: true, ttl: 'exp' }), live({}, ['pitr', 'ttl'])))).toEqual(['unsupported:ttl', 'unsupported:pitr'])
  })

  it('compares provisioned throughput of table and indexes', () => {
    const changes = diffTable(
      want({ billing: 'PROVISIONED', read: 10, write: 5, indexes: [{ name: 'g', hashKey: { name: 'e', type: 'S' }, read: 3, write: 3 }] }),
      live({ billing: 'PROVISIONED', read: 5, write: 5, indexes: [{ name: 'g', hashKey: { name: 'e', type: 'S' }, projection: 'ALL', read: 1, write: 1 }] }),
    )
    expect(kinds(changes)).toEqual(['update:throughput', 'update:indexes.g.throughput'])
  })
})

describe('apply drift on an engine known to lack settings (the embedded --local engine)', () => {
  it('lists stream, TTL, deletion protection and new GSIs as unsupported, not drift', () => {
    const changes = diffTable(want({ stream: 'NEW_IMAGE', ttl: 'exp', deletionProtection: true, indexes: [{ name: 'g', hashKey: { name: 'e', type: 'S' } }] }), live({}), [
      'ttl',
      'stream',
      'deletionProtection',
      'pitr',
      'indexes.create',
    ])
    expect(kinds(changes)).toEqual(['unsupported:indexes.g', 'unsupported:stream', 'unsupported:ttl', 'unsupported:deletionProtection'])
  })

  it('leaves local indexes unmanaged when the spec leaves them out', () => {
    expect(
      diffTable(
        want({ rangeKey: { name: 'sk', type: 'S' } }),
        live({ rangeKey: { name: 'sk', type: 'S' }, localIndexes: [{ name: 'lsi', rangeKey: { name: 'a', type: 'S' }, projection: 'ALL' }] }),
      ),
    ).toEqual([])
  })
})
