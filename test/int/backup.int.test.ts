import { DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling'
import { DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import {
  backupName,
  createBackup,
  DEFAULT_BACKUP_NAME,
  deleteBackups,
  describeBackup,
  listBackups,
  pruneBackups,
  reconcileRestore,
  restoreBackup,
  restoreBackupsByPrefix,
  type BackupInfo,
} from '../../src/backup/index.js'
import type { Connection } from '../../src/connection/clients.js'
import { batchWriteItems } from '../../src/data/batch-write.js'
import type { Item } from '../../src/data/values.js'
import { BackupNotFoundError, PitrNotEnabledError, RestoreWindowError, TableExistsError, UserInputError } from '../../src/errors.js'
import { pitrStatus, restoreToPointInTime, setPitr } from '../../src/pitr/index.js'
import { createTable } from '../../src/tables/create.js'
import { describeTable, findTable, listTableNames } from '../../src/tables/describe.js'
import type { TableSpec } from '../../src/tables/spec.js'
import { connect, uniqueName } from '../helpers.js'

// Everything here runs against moto server, the engine with backups, PITR and Application Auto
// Scaling. moto makes backups AVAILABLE at once, restores instantly and keeps tables ACTIVE, so
// the CREATING paths are left to unit tests. The server is shared with other test files: every
// table has a unique name and every assertion filters to this file's own tables.

const DIGITS_38 = '12345678901234567890123456789012345678'
const BINARY = new Uint8Array([0, 1, 2, 127, 128, 254, 255])

let conn: Connection

beforeAll(() => {
  conn = connect(inject('engines').moto)
})
afterAll(() => conn.destroy())

/** Items whose values are easy to lose: 38 digits, binary, nested maps and lists. */
function sampleItems(count = 12): Item[] {
  const items: Item[] = [
    {
      pk: { S: 'special' },
      sk: { N: '1' },
      kind: { S: 'a' },
      big: { N: DIGITS_38 },
      negBig: { N: `-${DIGITS_38}` },
      bin: { B: BINARY },
      map: { M: { name: { S: 'ünïcødé ✓' }, n: { N: DIGITS_38 }, nested: { M: { flag: { BOOL: true }, nothing: { NULL: true } } } } },
      list: { L: [{ S: 'x' }, { N: '-0.5' }, { B: new Uint8Array([9, 8, 7]) }, { L: [{ N: '3' }] }, { M: { k: { S: 'v' } } }] },
      ss: { SS: ['a', 'b'] },
      ns: { NS: ['1', DIGITS_38] },
    },
  ]
  for (let i = 0; i < count - 1; i++) {
    items.push({ pk: { S: `item-${String(i).padStart(3, '0')}` }, sk: { N: String(i) }, kind: { S: ['a', 'b', 'c'][i % 3] }, payload: { S: `payload ${i}` } })
  }
  return items
}

function spec(name: string, extra: Partial<TableSpec> = {}): TableSpec {
  return {
    name,
    hashKey: { name: 'pk', type: 'S' },
    rangeKey: { name: 'sk', type: 'N' },
    billing: 'PAY_PER_REQUEST',
    indexes: [{ name: 'byKind', hashKey: { name: 'kind', type: 'S' }, projection: 'ALL' }],
    ...extra,
  }
}

/** A table with the sample items (or as many as asked); returns what was written. */
async function tableWithItems(name: string, count = 12, extra: Partial<TableSpec> = {}): Promise<Item[]> {
  await createTable(conn, spec(name, extra), { wait: true })
  const items = sampleItems(count)
  const written = await batchWriteItems(conn, name, items)
  expect(written.failed).toEqual([])
  return items
}

const sortKey = (item: Item) => `${item.pk.S}|${item.sk.N?.padStart(40, '0')}`
const sorted = (items: Item[]) => [...items].sort((a, b) => sortKey(a).localeCompare(sortKey(b)))

/** Every item of a table, through all pages (small pages, so paging really happens). */
async function scanAll(table: string): Promise<Item[]> {
  const items: Item[] = []
  let start: Item | undefined
  do {
    const out = await conn.dynamodb.send(new ScanCommand({ TableName: table, Limit: 5, ...(start ? { ExclusiveStartKey: start } : {}) }))
    items.push(...((out.Items ?? []) as Item[]))
    start = out.LastEvaluatedKey as Item | undefined
  } while (start)
  return sorted(items)
}

/** Source and restored table hold the same items, attribute for attribute, and those are what was written. */
async function expectSameItems(source: string, target: string, written: Item[]): Promise<void> {
  const [a, b] = await Promise.all([scanAll(source), scanAll(target)])
  expect(b).toHaveLength(written.length)
  expect(b).toEqual(a)
  expect(a).toEqual(sorted(written))
  const special = b.find((i) => i.pk.S === 'special')!
  expect(special.big).toEqual({ N: DIGITS_38 })
  expect(special.bin.B).toEqual(BINARY)
  expect(special.map.M?.n).toEqual({ N: DIGITS_38 })
}

const names = (list: BackupInfo[]) => list.map((b) => b.name)

/** n backups of a table named NAME-1..NAME-n, oldest first, a few ms apart so creation times differ. */
async function backupsInOrder(table: string, n: number): Promise<BackupInfo[]> {
  const out: BackupInfo[] = []
  for (let i = 1; i <= n; i++) {
    out.push(...(await createBackup(conn, [table], { name: `{table}-${i}`, wait: true })).backups)
    await sleep(20)
  }
  return out
}

describe('createBackup on moto', () => {
  it('backs up one table under the default name {table}-{date}-{time}; wait: true returns it AVAILABLE', async () => {
    const table = uniqueName('bk_one')
    await tableWithItems(table, 3)
    const before = new Date()
    const { backups } = await createBackup(conn, [table], { wait: true })
    const after = new Date()
    expect(backups).toHaveLength(1)
    const [b] = backups
    expect(b.name).toMatch(new RegExp(`^${table}-\\d{8}-\\d{6}$`))
    // Built from the moment of the call (UTC), which lies between before and after.
    expect([backupName(DEFAULT_BACKUP_NAME, table, before), backupName(DEFAULT_BACKUP_NAME, table, after)]).toContain(b.name)
    expect(b).toMatchObject({ table, status: 'AVAILABLE', type: 'USER' })
    expect(b.arn).toMatch(/^arn:aws:dynamodb:/)
    expect(Date.parse(b.createdAt)).toBeGreaterThanOrEqual(before.getTime() - 1000)
    expect(names(await listBackups(conn, { table }))).toEqual([b.name])
  })

  it('backs up every table of a prefix (listTableNames, then createBackup), one backup each, in table order', async () => {
    const prefix = `${uniqueName('bk_pre')}_`
    const tables = [`${prefix}a`, `${prefix}b`, `${prefix}c`]
    for (const t of tables) await tableWithItems(t, 2)
    const found = await listTableNames(conn, prefix)
    expect([...found].sort()).toEqual(tables)
    const now = new Date()
    const { backups } = await createBackup(conn, found, { wait: true, now })
    expect(backups.map((b) => b.table)).toEqual(found)
    expect(names(backups)).toEqual(found.map((t) => backupName(DEFAULT_BACKUP_NAME, t, now)))
    for (const b of backups) expect(b).toMatchObject({ status: 'AVAILABLE', type: 'USER' })
  })

  it('an unknown table among several: nothing is backed up', async () => {
    const table = uniqueName('bk_typo')
    await tableWithItems(table, 1)
    await expect(createBackup(conn, [table, uniqueName('bk_ghost')])).rejects.toMatchObject({ name: 'TableNotFoundError' })
    expect(await listBackups(conn, { table })).toEqual([])
  })
})

describe('listBackups on moto', () => {
  it('filters by table, by prefix, by since, and by type; newest first within a table', async () => {
    const prefix = `${uniqueName('bk_list')}_`
    const [a, b] = [`${prefix}a`, `${prefix}b`]
    await tableWithItems(a, 1)
    await tableWithItems(b, 1)
    const oldA = await backupsInOrder(a, 2)
    const oldB = await backupsInOrder(b, 1)
    await sleep(50)
    const since = new Date()
    await sleep(50)
    const newA = await backupsInOrder(a, 1)

    // By table: only a's, newest first.
    const byTable = await listBackups(conn, { table: a })
    expect(byTable.every((x) => x.table === a)).toBe(true)
    expect(byTable.map((x) => x.arn)).toEqual([newA[0].arn, oldA[1].arn, oldA[0].arn])
    const times = byTable.map((x) => Date.parse(x.createdAt))
    expect(times).toEqual([...times].sort((x, y) => y - x))

    // By prefix: both tables, sorted by table, newest first within each.
    const byPrefix = await listBackups(conn, { prefix })
    expect(byPrefix.map((x) => x.arn)).toEqual([newA[0].arn, oldA[1].arn, oldA[0].arn, oldB[0].arn])

    // Since: only what was created at or after it.
    expect((await listBackups(conn, { prefix, since })).map((x) => x.arn)).toEqual([newA[0].arn])
    // Before: the complement.
    expect((await listBackups(conn, { prefix, before: since })).map((x) => x.arn)).toEqual([oldA[1].arn, oldA[0].arn, oldB[0].arn])

    // Types: ours are all USER backups; there are no SYSTEM ones.
    expect(await listBackups(conn, { prefix, type: 'system' })).toEqual([])
    expect(await listBackups(conn, { table: a, type: 'system' })).toEqual([])
    expect((await listBackups(conn, { prefix, type: 'user' })).map((x) => x.arn)).toEqual(byPrefix.map((x) => x.arn))

    // Paging through small pages gives the same answer.
    expect((await listBackups(conn, { prefix, pageSize: 1 })).map((x) => x.arn)).toEqual(byPrefix.map((x) => x.arn))
  })
})

describe('describeBackup on moto', () => {
  it('by name and by ARN: the same backup, with the item count and the key schema', async () => {
    const table = uniqueName('bk_desc')
    const items = await tableWithItems(table, 7)
    const { backups } = await createBackup(conn, [table], { name: '{table}-describe', wait: true })
    const byName = await describeBackup(conn, `${table}-describe`)
    const byArn = await describeBackup(conn, backups[0].arn)
    for (const d of [byName, byArn]) {
      expect(d).toMatchObject({ name: `${table}-describe`, arn: backups[0].arn, table, status: 'AVAILABLE', type: 'USER', itemCount: items.length })
      // AWS's SourceTableDetails has no attribute types, so the keys may come without them.
      expect(d.keys).toMatch(/^pk(:S)?\/sk(:N)?$/)
      expect(d.description.BackupDetails?.BackupArn).toBe(backups[0].arn)
    }
    expect(byName.createdAt).toBe(backups[0].createdAt)
  })

  it('a name that matches two backups is ambiguous; an unknown name is BackupNotFoundError', async () => {
    const table = uniqueName('bk_amb')
    await tableWithItems(table, 1)
    await createBackup(conn, [table], { name: '{table}-same' })
    await createBackup(conn, [table], { name: '{table}-same' })
    await expect(describeBackup(conn, `${table}-same`)).rejects.toMatchObject({ name: 'AmbiguousBackupError', exitCode: 2 })
    await expect(describeBackup(conn, `${table}-nope`)).rejects.toBeInstanceOf(BackupNotFoundError)
  })
})

describe('restoreBackup on moto', () => {
  it('restores into a new table: same items attribute for attribute (38 digits, binary, map, list) and the same GSI', async () => {
    const source = uniqueName('bk_src')
    const target = uniqueName('bk_dst')
    const written = await tableWithItems(source, 23)
    const { backups } = await createBackup(conn, [source], { wait: true })
    const result = await restoreBackup(conn, backups[0].arn, target)
    expect(result).toMatchObject({ source, target, status: 'ACTIVE' })
    expect(result.backup?.arn).toBe(backups[0].arn)
    await expectSameItems(source, target, written)
    const [s, t] = await Promise.all([describeTable(conn, source), describeTable(conn, target)])
    expect(t.status).toBe('ACTIVE')
    expect(t.spec.hashKey).toEqual(s.spec.hashKey)
    expect(t.spec.rangeKey).toEqual(s.spec.rangeKey)
    expect(t.spec.indexes).toEqual([{ name: 'byKind', hashKey: { name: 'kind', type: 'S' }, projection: 'ALL' }])
    expect(t.spec.indexes).toEqual(s.spec.indexes)
  })

  it('restores by backup name as well', async () => {
    const source = uniqueName('bk_srcn')
    const target = uniqueName('bk_dstn')
    const written = await tableWithItems(source, 4)
    await createBackup(conn, [source], { name: '{table}-byname', wait: true })
    const result = await restoreBackup(conn, `${source}-byname`, target, { reconcile: false, wait: true })
    expect(result).toMatchObject({ source, target, status: 'ACTIVE' })
    expect(result.reconcile).toBeUndefined()
    await expectSameItems(source, target, written)
  })

  it('onto an existing table: TableExistsError (exit code 2), and the existing table is left as it was', async () => {
    const source = uniqueName('bk_exsrc')
    const existing = uniqueName('bk_exists')
    await tableWithItems(source, 5)
    await createTable(conn, { name: existing, hashKey: { name: 'id', type: 'S' } }, { wait: true })
    await batchWriteItems(conn, existing, [{ id: { S: 'keep-me' }, v: { N: '1' } }])
    const before = await describeTable(conn, existing)
    const { backups } = await createBackup(conn, [source], { wait: true })
    const err = await restoreBackup(conn, backups[0].arn, existing).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TableExistsError)
    expect((err as TableExistsError).exitCode).toBe(2)
    expect((err as TableExistsError).table).toBe(existing)
    const after = await describeTable(conn, existing)
    expect(after.spec).toEqual(before.spec)
    expect(after.arn).toBe(before.arn)
    const items = (await conn.dynamodb.send(new ScanCommand({ TableName: existing }))).Items
    expect(items).toEqual([{ id: { S: 'keep-me' }, v: { N: '1' } }])
  })
})

describe('restoreBackupsByPrefix on moto', () => {
  it('restores the newest backup (or the newest before a time) of each table of a prefix into another prefix; a second run is refused, restoring nothing', async () => {
    const prefix = `${uniqueName('bk_rp')}_`
    const toPrefix = `${uniqueName('bk_rt')}_`
    const counts: Record<string, number> = { a: 3, b: 5, c: 8 }
    for (const [suffix, n] of Object.entries(counts)) await tableWithItems(`${prefix}${suffix}`, n)
    const tables = await listTableNames(conn, prefix)
    const { backups } = await createBackup(conn, tables, { name: '{table}-first', wait: true })
    expect(backups).toHaveLength(3)
    await sleep(20)
    const between = new Date()
    await sleep(20)
    await batchWriteItems(conn, `${prefix}a`, [{ pk: { S: 'late' }, sk: { N: '99' }, kind: { S: 'a' } }])
    counts.a += 1
    // A newer backup of a with one more item: the restore must use it.
    await createBackup(conn, [`${prefix}a`], { name: '{table}-second', wait: true })

    const planned: string[] = []
    const result = await restoreBackupsByPrefix(conn, {
      prefix,
      toPrefix,
      beforeRestore: (plan) => void planned.push(...plan.map((p) => `${p.table}>${p.target}:${p.backup.name}`)),
    })
    expect(result.failed).toEqual([])
    expect(planned.sort()).toEqual([`${prefix}a>${toPrefix}a:${prefix}a-second`, `${prefix}b>${toPrefix}b:${prefix}b-first`, `${prefix}c>${toPrefix}c:${prefix}c-first`])
    expect(result.restores.map((r) => r.target)).toEqual([`${toPrefix}a`, `${toPrefix}b`, `${toPrefix}c`])
    for (const [suffix, n] of Object.entries(counts)) {
      const info = await describeTable(conn, `${toPrefix}${suffix}`)
      expect(info.status).toBe('ACTIVE')
      expect(info.itemCount).toBe(n)
      await expectSameItems(`${prefix}${suffix}`, `${toPrefix}${suffix}`, await scanAll(`${prefix}${suffix}`))
    }

    // Again: every target exists, so nothing at all is restored.
    const again = await restoreBackupsByPrefix(conn, { prefix, toPrefix }).catch((e: unknown) => e)
    expect(again).toBeInstanceOf(UserInputError)
    expect((again as Error).message).toContain('3 restore targets already exist')
    for (const s of ['a', 'b', 'c']) expect((again as Error).message).toContain(`${toPrefix}${s}`)
    expect((again as Error).message).toContain('Nothing was restored')
    expect((await listTableNames(conn, toPrefix)).sort()).toEqual([`${toPrefix}a`, `${toPrefix}b`, `${toPrefix}c`])

    // With before: the newest backup older than that time, i.e. a's first one, without the late item.
    const olderPrefix = `${uniqueName('bk_ro')}_`
    const older = await restoreBackupsByPrefix(conn, { prefix, toPrefix: olderPrefix, before: between, reconcile: false, wait: true })
    expect(older.failed).toEqual([])
    expect(older.restores.map((r) => [r.target, r.backup?.name])).toEqual([
      [`${olderPrefix}a`, `${prefix}a-first`],
      [`${olderPrefix}b`, `${prefix}b-first`],
      [`${olderPrefix}c`, `${prefix}c-first`],
    ])
    expect((await describeTable(conn, `${olderPrefix}a`)).itemCount).toBe(counts.a - 1)
    expect((await scanAll(`${olderPrefix}a`)).some((i) => i.pk.S === 'late')).toBe(false)
  })

  it('a prefix where one table has no backup is refused, naming that table, and nothing is restored', async () => {
    const prefix = `${uniqueName('bk_rm')}_`
    const toPrefix = `${uniqueName('bk_rn')}_`
    await tableWithItems(`${prefix}a`, 2)
    await tableWithItems(`${prefix}b`, 2)
    await tableWithItems(`${prefix}c`, 2)
    await createBackup(conn, [`${prefix}a`, `${prefix}c`], { wait: true })
    const err = await restoreBackupsByPrefix(conn, { prefix, toPrefix }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserInputError)
    expect((err as Error).message).toContain(`1 of 3 tables have no backup: ${prefix}b.`)
    expect((err as Error).message).toContain('Nothing was restored')
    expect(await listTableNames(conn, toPrefix)).toEqual([])
  })
})

describe('deleteBackups on moto', () => {
  it('deletes by name: gone from listBackups and from describeBackup; the other backup stays', async () => {
    const table = uniqueName('bk_del')
    await tableWithItems(table, 1)
    const [doomed, kept] = await backupsInOrder(table, 2)
    const confirmed: string[] = []
    const result = await deleteBackups(conn, [doomed.name], { beforeDelete: (list) => void confirmed.push(...names(list)) })
    expect(confirmed).toEqual([doomed.name])
    expect(names(result.deleted)).toEqual([doomed.name])
    expect(result.failed).toEqual([])
    expect((await listBackups(conn, { table })).map((b) => b.arn)).toEqual([kept.arn])
    await expect(describeBackup(conn, doomed.name)).rejects.toBeInstanceOf(BackupNotFoundError)
    await expect(describeBackup(conn, doomed.arn)).rejects.toBeInstanceOf(BackupNotFoundError)
  })

  it('an unknown name among several: nothing is deleted', async () => {
    const table = uniqueName('bk_deltypo')
    await tableWithItems(table, 1)
    const [b] = await backupsInOrder(table, 1)
    await expect(deleteBackups(conn, [b.name, `${table}-nope`])).rejects.toBeInstanceOf(BackupNotFoundError)
    expect((await listBackups(conn, { table })).map((x) => x.arn)).toEqual([b.arn])
  })
})

describe('pruneBackups on moto', () => {
  it('keep 2 of 4: the 2 oldest go, the 2 newest stay', async () => {
    const table = uniqueName('bk_keep')
    await tableWithItems(table, 1)
    const [b1, b2, b3, b4] = await backupsInOrder(table, 4)
    const result = await pruneBackups(conn, { table, keep: 2 })
    expect(result.dryRun).toBe(false)
    expect(result.failed).toEqual([])
    expect(names(result.deleted).sort()).toEqual([b1.name, b2.name])
    expect(result.tables).toHaveLength(1)
    expect(names(result.tables[0].keep)).toEqual([b4.name, b3.name])
    expect(names(await listBackups(conn, { table }))).toEqual([b4.name, b3.name])
  })

  it('dry run: reports the plan and deletes nothing', async () => {
    const table = uniqueName('bk_dry')
    await tableWithItems(table, 1)
    const [b1, b2, b3] = await backupsInOrder(table, 3)
    let asked = false
    const result = await pruneBackups(conn, { table, keep: 1, dryRun: true, beforeDelete: () => void (asked = true) })
    expect(asked).toBe(false)
    expect(result).toMatchObject({ dryRun: true, deleted: [], failed: [], rule: 'keep the newest 1' })
    expect(result.tables.map((t) => ({ table: t.table, keep: names(t.keep), delete: names(t.delete) }))).toEqual([{ table, keep: [b3.name], delete: [b2.name, b1.name] }])
    expect(names(await listBackups(conn, { table }))).toEqual([b3.name, b2.name, b1.name])
  })

  it('olderThanMs 1000: deletes the backups older than a second; the newest is always kept, however old', async () => {
    const table = uniqueName('bk_age')
    await tableWithItems(table, 1)
    const [b1, b2] = await backupsInOrder(table, 2)
    await sleep(1500)
    const [b3] = await backupsInOrder(table, 1)
    const first = await pruneBackups(conn, { table, olderThanMs: 1000 })
    expect(names(first.deleted).sort()).toEqual([b1.name, b2.name])
    expect(names(await listBackups(conn, { table }))).toEqual([b3.name])

    // Now the only backup left is older than a second too, but it is the newest: it stays.
    await sleep(1100)
    const second = await pruneBackups(conn, { table, olderThanMs: 1000 })
    expect(second.deleted).toEqual([])
    expect(second.tables.map((t) => [names(t.keep), names(t.delete)])).toEqual([[[b3.name], []]])
    expect(names(await listBackups(conn, { table }))).toEqual([b3.name])
  })

  it('keep and olderThanMs together: only backups that both rules give up are deleted', async () => {
    const table = uniqueName('bk_both')
    await tableWithItems(table, 1)
    const [b1, b2, b3] = await backupsInOrder(table, 3)
    await sleep(1200)
    const [b4] = await backupsInOrder(table, 1)
    // b4 is young; b3 is old but among the newest 2; b1 and b2 are old and beyond keep.
    const result = await pruneBackups(conn, { table, keep: 2, olderThanMs: 1000 })
    expect(names(result.deleted).sort()).toEqual([b1.name, b2.name])
    expect(names(await listBackups(conn, { table }))).toEqual([b4.name, b3.name])
  })

  it('keep 0, given explicitly, deletes every user backup of the table', async () => {
    const table = uniqueName('bk_zero')
    await tableWithItems(table, 1)
    const all = await backupsInOrder(table, 3)
    const result = await pruneBackups(conn, { table, keep: 0 })
    expect(names(result.deleted).sort()).toEqual(names(all).sort())
    expect(await listBackups(conn, { table })).toEqual([])
  })

  it('by prefix: keep applies per table, and backups of other tables are untouched', async () => {
    const prefix = `${uniqueName('bk_pp')}_`
    const other = `${uniqueName('bk_ppother')}`
    await tableWithItems(`${prefix}a`, 1)
    await tableWithItems(`${prefix}b`, 1)
    await tableWithItems(other, 1)
    const a = await backupsInOrder(`${prefix}a`, 2)
    const b = await backupsInOrder(`${prefix}b`, 3)
    const o = await backupsInOrder(other, 2)
    const result = await pruneBackups(conn, { prefix, keep: 1 })
    expect(names(result.deleted).sort()).toEqual([a[0].name, b[0].name, b[1].name].sort())
    expect(names(await listBackups(conn, { prefix }))).toEqual([a[1].name, b[2].name])
    expect(names(await listBackups(conn, { table: other }))).toEqual([o[1].name, o[0].name])
  })
})

describe('point-in-time recovery on moto', () => {
  it('setPitr enable with 7 recovery days, pitrStatus shows it with its window, disable turns it off', async () => {
    const table = uniqueName('bk_pitr')
    await tableWithItems(table, 1)
    expect((await pitrStatus(conn, [table]))[0].status).toBe('DISABLED')

    const on = await setPitr(conn, [table], true, { recoveryDays: 7 })
    expect(on.tables).toHaveLength(1)
    expect(on.tables[0]).toMatchObject({ table, changed: true, before: { status: 'DISABLED' }, after: { status: 'ENABLED', recoveryPeriodInDays: 7 } })
    const [status] = await pitrStatus(conn, [table])
    expect(status).toMatchObject({ table, status: 'ENABLED', recoveryPeriodInDays: 7 })
    expect(status.earliestRestorableTime).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(status.latestRestorableTime).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(Date.parse(status.latestRestorableTime!)).toBeGreaterThanOrEqual(Date.parse(status.earliestRestorableTime!))

    // Asked again for the same: left alone.
    const same = await setPitr(conn, [table], true, { recoveryDays: 7 })
    expect(same.tables[0].changed).toBe(false)

    const off = await setPitr(conn, [table], false)
    expect(off.tables[0]).toMatchObject({ changed: true, after: { status: 'DISABLED' } })
    const [offStatus] = await pitrStatus(conn, [table])
    expect(offStatus.status).toBe('DISABLED')
    expect(offStatus.earliestRestorableTime).toBeUndefined()
  })

  it('restoreToPointInTime with latest and with the earliest restorable time: the same items as the source', async () => {
    const source = uniqueName('bk_pitrsrc')
    const written = await tableWithItems(source, 9)
    await setPitr(conn, [source], true)
    const [status] = await pitrStatus(conn, [source])

    const latestTarget = uniqueName('bk_pitrlatest')
    const latest = await restoreToPointInTime(conn, source, latestTarget, { latest: true })
    expect(latest).toMatchObject({ source, target: latestTarget, restoredTo: 'latest', status: 'ACTIVE' })
    expect(latest.window).toEqual({ earliest: status.earliestRestorableTime, latest: status.latestRestorableTime })
    await expectSameItems(source, latestTarget, written)
    // Reconciled from the live source, which has PITR on.
    expect(latest.reconcile).toMatchObject({ from: 'table', failed: false })
    expect(latest.reconcile!.settings.find((o) => o.setting === 'pitr')?.status).toBe('applied')
    expect((await pitrStatus(conn, [latestTarget]))[0].status).toBe('ENABLED')

    // moto's window is one instant; its earliest end is a valid time to restore to.
    const atTarget = uniqueName('bk_pitrat')
    const time = new Date(status.earliestRestorableTime!)
    const at = await restoreToPointInTime(conn, source, atTarget, { time })
    expect(at).toMatchObject({ source, target: atTarget, restoredTo: time.toISOString(), status: 'ACTIVE' })
    await expectSameItems(source, atTarget, written)
    const t = await describeTable(conn, atTarget)
    expect(t.spec.indexes).toEqual([{ name: 'byKind', hashKey: { name: 'kind', type: 'S' }, projection: 'ALL' }])
  })

  it('a time outside the restorable window: RestoreWindowError and no target table', async () => {
    const source = uniqueName('bk_pitrwin')
    await tableWithItems(source, 2)
    await setPitr(conn, [source], true)
    const [status] = await pitrStatus(conn, [source])
    const target = uniqueName('bk_pitrwint')
    const tooEarly = new Date(Date.parse(status.earliestRestorableTime!) - 60_000)
    const err = await restoreToPointInTime(conn, source, target, { time: tooEarly }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RestoreWindowError)
    expect(err).toMatchObject({ table: source, time: tooEarly.toISOString(), earliest: status.earliestRestorableTime, latest: status.latestRestorableTime, exitCode: 2 })
    const tooLate = new Date(Date.parse(status.latestRestorableTime!) + 60_000)
    await expect(restoreToPointInTime(conn, source, target, { time: tooLate })).rejects.toBeInstanceOf(RestoreWindowError)
    expect(await findTable(conn, target)).toBeUndefined()
  })

  it('a source without PITR: PitrNotEnabledError and no target table', async () => {
    const source = uniqueName('bk_nopitr')
    await tableWithItems(source, 2)
    const target = uniqueName('bk_nopitrt')
    const err = await restoreToPointInTime(conn, source, target, { latest: true }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PitrNotEnabledError)
    expect(err).toMatchObject({ table: source, exitCode: 2 })
    expect(await findTable(conn, target)).toBeUndefined()
  })
})

describe('reconcile after restore on moto', () => {
  const TAGS = { team: 'core', env: 'test' }
  const fullExtra: Partial<TableSpec> = { ttl: 'expiresAt', tags: TAGS, pitr: true, stream: 'NEW_AND_OLD_IMAGES' }

  it('default reconcile puts back TTL, tags, PITR, stream and on-demand billing from the live source', async () => {
    const source = uniqueName('bk_rc')
    const target = uniqueName('bk_rct')
    const written = await tableWithItems(source, 6, fullExtra)
    await setPitr(conn, [source], true, { recoveryDays: 7 })
    const s = await describeTable(conn, source)
    expect(s.spec).toMatchObject({ ttl: 'expiresAt', tags: TAGS, pitr: true, stream: 'NEW_AND_OLD_IMAGES', billing: 'PAY_PER_REQUEST' })
    expect(s.pitr?.recoveryPeriodInDays).toBe(7)
    const { backups } = await createBackup(conn, [source], { wait: true })

    const result = await restoreBackup(conn, backups[0].arn, target)
    expect(result.status).toBe('ACTIVE')
    expect(result.reconcile).toMatchObject({ from: 'table', source, failed: false, notes: [] })
    const outcomes = Object.fromEntries(result.reconcile!.settings.map((o) => [o.setting, o.status]))
    // moto restores an on-demand table without a billing mode (read as PROVISIONED 0/0): reconcile sets it back.
    expect(outcomes).toEqual({ billing: 'applied', ttl: 'applied', tags: 'applied', pitr: 'applied', stream: 'applied' })
    expect(result.reconcile!.settings.find((o) => o.setting === 'pitr')?.detail).toContain('7 days')

    const t = await describeTable(conn, target)
    expect(t.spec.ttl).toBe('expiresAt')
    expect(t.spec.tags).toEqual(TAGS)
    expect(t.pitr).toMatchObject({ status: 'ENABLED', recoveryPeriodInDays: 7 })
    expect(t.spec.stream).toBe('NEW_AND_OLD_IMAGES')
    expect(t.streamArn).toBeTruthy()
    expect(t.spec.billing).toBe('PAY_PER_REQUEST')
    expect(t.spec.indexes).toEqual(s.spec.indexes)
    await expectSameItems(source, target, written)
  })

  it('reconcile: false leaves TTL, tags and PITR off', async () => {
    const source = uniqueName('bk_norc')
    const target = uniqueName('bk_norct')
    await tableWithItems(source, 3, fullExtra)
    const { backups } = await createBackup(conn, [source], { wait: true })
    const result = await restoreBackup(conn, backups[0].arn, target, { reconcile: false })
    expect(result.reconcile).toBeUndefined()
    const t = await describeTable(conn, target)
    expect(t.spec.ttl).toBe(false)
    expect(t.spec.tags).toEqual({})
    expect(t.pitr?.status).toBe('DISABLED')
  })

  it('reconcileRestore after a --no-reconcile restore finds the source from RestoreSummary and puts the settings back; a second run applies nothing', async () => {
    const source = uniqueName('bk_later')
    const target = uniqueName('bk_latert')
    await tableWithItems(source, 3, fullExtra)
    const { backups } = await createBackup(conn, [source], { wait: true })
    await restoreBackup(conn, backups[0].arn, target, { reconcile: false })
    expect((await describeTable(conn, target)).spec.ttl).toBe(false)

    const first = await reconcileRestore(conn, target)
    expect(first).toMatchObject({ target, from: 'table', source, failed: false })
    expect(first.settings.map((o) => o.setting).sort()).toEqual(['billing', 'pitr', 'stream', 'tags', 'ttl'])
    const t = await describeTable(conn, target)
    expect(t.spec).toMatchObject({ ttl: 'expiresAt', tags: TAGS, pitr: true, stream: 'NEW_AND_OLD_IMAGES', billing: 'PAY_PER_REQUEST' })

    const again = await reconcileRestore(conn, target)
    expect(again.settings).toEqual([])
  })

  it('source table deleted after the backup: settings come from the backup (from "backup"), with a note on what it lacks', async () => {
    const source = uniqueName('bk_gone')
    const target = uniqueName('bk_gonet')
    const written = await tableWithItems(source, 5, fullExtra)
    const { backups } = await createBackup(conn, [source], { name: '{table}-last', wait: true })
    await conn.dynamodb.send(new DeleteTableCommand({ TableName: source }))
    expect(await findTable(conn, source)).toBeUndefined()

    const result = await restoreBackup(conn, `${source}-last`, target)
    expect(result).toMatchObject({ source, target, status: 'ACTIVE' })
    expect(result.backup?.arn).toBe(backups[0].arn)
    expect(result.reconcile?.from).toBe('backup')
    expect(result.reconcile?.failed).toBe(false)
    expect(result.reconcile?.notes).toHaveLength(1)
    expect(result.reconcile?.notes[0]).toContain(`source table ${source} no longer exists`)
    expect(result.reconcile?.notes[0]).toMatch(/no tags, point-in-time recovery or auto scaling/)
    const items = await scanAll(target)
    expect(items).toEqual(sorted(written))
    // Not recorded in a backup, so not put back.
    const t = await describeTable(conn, target)
    expect(t.spec.tags).toEqual({})
    expect(t.pitr?.status).toBe('DISABLED')
  })

  it('auto scaling of a provisioned source is copied onto table/<target>: same min/max and a policy with the same target value', async () => {
    const source = uniqueName('bk_as')
    const target = uniqueName('bk_ast')
    await tableWithItems(source, 3, {
      billing: 'PROVISIONED',
      read: 5,
      write: 4,
      indexes: [{ name: 'byKind', hashKey: { name: 'kind', type: 'S' }, projection: 'ALL', read: 3, write: 2 }],
    })
    const read = { ServiceNamespace: 'dynamodb' as const, ResourceId: `table/${source}`, ScalableDimension: 'dynamodb:table:ReadCapacityUnits' as const }
    const indexWrite = { ServiceNamespace: 'dynamodb' as const, ResourceId: `table/${source}/index/byKind`, ScalableDimension: 'dynamodb:index:WriteCapacityUnits' as const }
    await conn.autoscaling.send(new RegisterScalableTargetCommand({ ...read, MinCapacity: 5, MaxCapacity: 50 }))
    await conn.autoscaling.send(new RegisterScalableTargetCommand({ ...indexWrite, MinCapacity: 2, MaxCapacity: 10 }))
    await conn.autoscaling.send(
      new PutScalingPolicyCommand({
        ...read,
        PolicyName: `${source}-read`,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' } },
      }),
    )
    const { backups } = await createBackup(conn, [source], { wait: true })

    const result = await restoreBackup(conn, backups[0].arn, target)
    expect(result.reconcile).toMatchObject({ from: 'table', failed: false })
    const scaling = result.reconcile!.settings.filter((o) => o.setting === 'autoScaling')
    expect(scaling.map((o) => o.status)).toEqual(['applied', 'applied'])

    const targets = await conn.autoscaling.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: [`table/${target}`, `table/${target}/index/byKind`] }),
    )
    expect((targets.ScalableTargets ?? []).map((x) => [x.ResourceId, x.ScalableDimension, x.MinCapacity, x.MaxCapacity]).sort()).toEqual([
      [`table/${target}`, 'dynamodb:table:ReadCapacityUnits', 5, 50],
      [`table/${target}/index/byKind`, 'dynamodb:index:WriteCapacityUnits', 2, 10],
    ])
    const policies = await conn.autoscaling.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb', ResourceId: `table/${target}` }))
    expect(policies.ScalingPolicies).toHaveLength(1)
    expect(policies.ScalingPolicies![0]).toMatchObject({
      PolicyName: `${target}-read`,
      PolicyType: 'TargetTrackingScaling',
      ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 70 },
    })
    // The source's own settings are untouched.
    const sourceTargets = await conn.autoscaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: [`table/${source}`] }))
    expect(sourceTargets.ScalableTargets?.map((x) => [x.MinCapacity, x.MaxCapacity])).toEqual([[5, 50]])
    // And the capacity itself matches the source.
    const t = await describeTable(conn, target)
    expect(t.spec).toMatchObject({ billing: 'PROVISIONED', read: 5, write: 4 })
    expect(t.spec.indexes).toEqual([{ name: 'byKind', hashKey: { name: 'kind', type: 'S' }, projection: 'ALL', read: 3, write: 2 }])
  })
})
