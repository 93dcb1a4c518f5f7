import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, inject, it } from 'vitest'

import { createBackup, listBackups, type BackupDetail, type BackupInfo } from '../../src/backup/index.js'
import type { PrefixRestoreResult, TableRestoreResult } from '../../src/backup/restore.js'
import { batchWriteItems } from '../../src/data/batch-write.js'
import type { Item } from '../../src/data/values.js'
import type { PitrChange, PitrStatus } from '../../src/pitr/pitr.js'
import { createTable } from '../../src/tables/create.js'
import { describeTable, findTable } from '../../src/tables/describe.js'
import type { TableSpec } from '../../src/tables/spec.js'
import { utcDate } from '../../src/time.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { connect, runCli, tempDir, uniqueName } from '../helpers.js'

// The built CLI against moto server, the one engine with backups and PITR. moto makes backups
// AVAILABLE at once and restores instantly, so every command here finishes in one go. The
// server is shared with every other test file of the run: every table, prefix and backup name is
// unique, and every assertion looks only at this file's own tables and backups.

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.moto
const conn = connect(endpoint)
afterAll(() => conn.destroy())

const DIGITS_38 = '12345678901234567890123456789012345678'
const BINARY = new Uint8Array([0, 1, 127, 128, 255])
const SLOW = 180_000

/** The CLI against moto (--endpoint last, after any positionals and flags). */
const dynx = (...args: string[]) => runCli([...args, '--endpoint', endpoint])
const json = <T>(stdout: string): T => JSON.parse(stdout) as T

/** Items whose values are easy to lose on the way: 38 digits, binary, nested maps, lists and sets. */
function sampleItems(tag: string, count = 6): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    pk: { S: `${tag}-${String(i).padStart(3, '0')}` },
    n: { N: i === 0 ? DIGITS_38 : String(i) },
    bin: { B: BINARY },
    map: { M: { name: { S: `ünïcødé ✓ ${i}` }, deep: { M: { big: { N: `-${DIGITS_38}` }, nothing: { NULL: true } } } } },
    list: { L: [{ S: 'x' }, { N: '-0.5' }, { BOOL: i % 2 === 0 }] },
    ss: { SS: ['a', `b${i}`] },
  }))
}

/** A table keyed by pk (S) holding the given items. */
async function tableWithItems(name: string, items: Item[], extra: Partial<TableSpec> = {}): Promise<void> {
  await createTable(conn, { name, hashKey: { name: 'pk', type: 'S' }, billing: 'PAY_PER_REQUEST', ...extra }, { wait: true })
  if (items.length) {
    const written = await batchWriteItems(conn, name, items)
    expect(written.failed).toEqual([])
  }
}

const byPk = (a: Item, b: Item) => (a.pk.S ?? '').localeCompare(b.pk.S ?? '')

/** Every item of a table through all pages, sorted by pk. */
async function scanAll(table: string): Promise<Item[]> {
  const items: Item[] = []
  let start: Item | undefined
  do {
    const out = await conn.dynamodb.send(new ScanCommand({ TableName: table, Limit: 4, ...(start ? { ExclusiveStartKey: start } : {}) }))
    items.push(...((out.Items ?? []) as Item[]))
    start = out.LastEvaluatedKey as Item | undefined
  } while (start)
  return items.sort(byPk)
}

const sorted = (items: Item[]) => [...items].sort(byPk)
const names = (list: BackupInfo[]) => list.map((b) => b.name)
/** This table's backups, straight from the library (not through the CLI under test). */
const backupsOf = async (table: string) => listBackups(conn, { table })

/** n backups of a table named TABLE-n1..TABLE-nN, oldest first, apart in time so their order is certain. */
async function backupsInOrder(table: string, from: number, to: number): Promise<BackupInfo[]> {
  const out: BackupInfo[] = []
  for (let i = from; i <= to; i++) {
    out.push(...(await createBackup(conn, [table], { name: `{table}-n${i}`, wait: true })).backups)
    await sleep(30)
  }
  return out
}

describe.concurrent('dynx backup create / list (CLI, moto)', () => {
  it('backup create T --wait prints name, status, size and ARN; --json gives the backup AVAILABLE', { timeout: SLOW }, async () => {
    const table = uniqueName('bkcli_create')
    await tableWithItems(table, sampleItems('c', 3))

    const text = await dynx('backup', 'create', table, '--wait')
    expect(text.code, text.stderr).toBe(0)
    const m = text.stdout.match(new RegExp(`^(${table}-\\d{8}-\\d{6})  AVAILABLE  (\\d+) B\\n  (arn:aws:dynamodb:us-east-1:\\d+:table/${table}/backup/\\S+)\\n?$`))
    expect(m, text.stdout).not.toBeNull()
    const [, name, size, arn] = m as RegExpMatchArray
    expect(Number(size)).toBeGreaterThan(0)
    expect((await backupsOf(table)).map((b) => [b.name, b.arn, b.status, b.type])).toEqual([[name, arn, 'AVAILABLE', 'USER']])

    const before = Date.now()
    const r = await dynx('backup', 'create', table, '--name', '{table}-json', '--wait', '--json')
    expect(r.code, r.stderr).toBe(0)
    const out = json<{ backups: BackupInfo[] }>(r.stdout)
    expect(out.backups).toHaveLength(1)
    expect(out.backups[0]).toMatchObject({
      name: `${table}-json`,
      table,
      status: 'AVAILABLE',
      type: 'USER',
      arn: expect.stringMatching(new RegExp(`^arn:aws:dynamodb:us-east-1:\\d+:table/${table}/backup/`)),
    })
    expect(out.backups[0].sizeBytes).toBeGreaterThan(0)
    expect(Date.parse(out.backups[0].createdAt)).toBeGreaterThanOrEqual(before - 2000)
    expect(names(await backupsOf(table))).toEqual([`${table}-json`, name])
  })

  it('backup create --prefix P --name "{table}-pre-{date}" backs up all 3 tables; list by --prefix, --table and --since', { timeout: SLOW }, async () => {
    const prefix = `${uniqueName('bkcli_pre')}_`
    const tables = ['a', 'b', 'c'].map((t) => `${prefix}${t}`)
    for (const t of tables) await tableWithItems(t, sampleItems(t, 2))
    const dates = [utcDate(new Date())]

    const r = await dynx('backup', 'create', '--prefix', prefix, '--name', '{table}-pre-{date}', '--wait', '--json')
    expect(r.code, r.stderr).toBe(0)
    dates.push(utcDate(new Date()))
    const created = json<{ backups: BackupInfo[] }>(r.stdout).backups
    expect(created.map((b) => b.table)).toEqual(tables)
    for (const b of created) {
      expect(b.status).toBe('AVAILABLE')
      expect(dates.map((d) => `${b.table}-pre-${d}`)).toContain(b.name)
    }

    // --prefix: exactly the three, in table order.
    const byPrefix = await dynx('backup', 'list', '--prefix', prefix, '--json')
    expect(byPrefix.code, byPrefix.stderr).toBe(0)
    expect(json<{ backups: BackupInfo[] }>(byPrefix.stdout).backups.map((b) => [b.table, b.arn])).toEqual(created.map((b) => [b.table, b.arn]))

    // The text table: the header columns, every backup, and a count.
    const listed = await dynx('backup', 'list', '--prefix', prefix)
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toMatch(/│ Name +│ Table +│ Created \(UTC\) +│ Size +│ Status +│ Type +│/)
    for (const b of created) expect(listed.stdout).toMatch(new RegExp(`│ ${b.name} +│ ${b.table} +│ \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +│ \\d+ B +│ AVAILABLE +│ USER +│`))
    expect(listed.stdout).toMatch(/\n3 backups\.\n?$/)

    // --table (with the global --prefix prepended), and --table with the full name.
    const one = await dynx('backup', 'list', '--prefix', prefix, '--table', 'b', '--json')
    expect(one.code, one.stderr).toBe(0)
    expect(json<{ backups: BackupInfo[] }>(one.stdout).backups.map((b) => b.arn)).toEqual([created[1].arn])
    const full = await dynx('backup', 'list', '--table', tables[2], '--json')
    expect(json<{ backups: BackupInfo[] }>(full.stdout).backups.map((b) => b.arn)).toEqual([created[2].arn])

    // --since 1h has all three; --since a moment after them only what came later.
    const recent = await dynx('backup', 'list', '--prefix', prefix, '--since', '1h', '--json')
    expect(recent.code, recent.stderr).toBe(0)
    expect(json<{ backups: BackupInfo[] }>(recent.stdout).backups).toHaveLength(3)
    await sleep(50)
    const cut = new Date().toISOString()
    await sleep(50)
    const [later] = await backupsInOrder(tables[0], 9, 9)
    const since = await dynx('backup', 'list', '--prefix', prefix, '--since', cut, '--json')
    expect(since.code, since.stderr).toBe(0)
    expect(json<{ backups: BackupInfo[] }>(since.stdout).backups.map((b) => b.arn)).toEqual([later.arn])
    const bad = await dynx('backup', 'list', '--prefix', prefix, '--since', 'yesterday-ish')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--since "yesterday-ish" is neither an ISO 8601 time nor a duration')
  })

  it('backup create with an unknown table: exit 2, nothing backed up (not even the tables that exist)', { timeout: SLOW }, async () => {
    const ghost = uniqueName('nope_xyz')
    const r = await dynx('backup', 'create', ghost)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`Table "${ghost}" does not exist on ${endpoint}`)
    expect(await backupsOf(ghost)).toEqual([])
    expect(await findTable(conn, ghost)).toBeUndefined()

    const real = uniqueName('bkcli_typo')
    await tableWithItems(real, sampleItems('t', 1))
    const mixed = await dynx('backup', 'create', real, ghost)
    expect(mixed.code).toBe(2)
    expect(mixed.stderr).toContain(`Table "${ghost}" does not exist`)
    expect(await backupsOf(real)).toEqual([])
  })
})

describe.concurrent('dynx backup describe (CLI, moto)', () => {
  it('by name and by ARN; a name two backups share -> exit 2 listing both ARNs, and restore/delete refuse it too; an unknown name -> exit 2', { timeout: SLOW }, async () => {
    const [a, b] = [uniqueName('bkcli_desc_a'), uniqueName('bkcli_desc_b')]
    await tableWithItems(a, sampleItems('a', 4))
    await tableWithItems(b, sampleItems('b', 1))
    const shared = uniqueName('samename')
    const ra = await dynx('backup', 'create', a, '--name', shared, '--json')
    const rb = await dynx('backup', 'create', b, '--name', shared, '--json')
    expect([ra.code, rb.code]).toEqual([0, 0])
    const arnA = json<{ backups: BackupInfo[] }>(ra.stdout).backups[0].arn
    const arnB = json<{ backups: BackupInfo[] }>(rb.stdout).backups[0].arn
    expect(arnA).not.toBe(arnB)

    const ambiguous = await dynx('backup', 'describe', shared)
    expect(ambiguous.code).toBe(2)
    expect(ambiguous.stdout).toBe('')
    expect(ambiguous.stderr).toContain(`2 backups are named "${shared}"`)
    expect(ambiguous.stderr).toContain(`${arnA}  (table ${a}`)
    expect(ambiguous.stderr).toContain(`${arnB}  (table ${b}`)
    expect(ambiguous.stderr).toContain('Pass the ARN of the one you mean')

    // By ARN: the one meant.
    const byArn = await dynx('backup', 'describe', arnA)
    expect(byArn.code, byArn.stderr).toBe(0)
    expect(byArn.stdout).toMatch(new RegExp(`^Name +${shared}$`, 'm'))
    expect(byArn.stdout).toMatch(new RegExp(`^ARN +${arnA.replace(/[/.-]/g, '\\$&')}$`, 'm'))
    expect(byArn.stdout).toMatch(/^Status +AVAILABLE$/m)
    expect(byArn.stdout).toMatch(/^Type +USER$/m)
    expect(byArn.stdout).toMatch(new RegExp(`^Table +${a}$`, 'm'))
    expect(byArn.stdout).toMatch(/^Items +4$/m)
    const detail = json<BackupDetail>((await dynx('backup', 'describe', arnB, '--json')).stdout)
    expect(detail).toMatchObject({ name: shared, arn: arnB, table: b, status: 'AVAILABLE', type: 'USER', itemCount: 1 })
    expect(detail.keys).toMatch(/^pk(:S)?$/)
    expect(detail.description.BackupDetails?.BackupArn).toBe(arnB)

    // By a name only one backup has.
    const own = `${a}-own`
    expect((await dynx('backup', 'create', a, '--name', own)).code).toBe(0)
    const byName = await dynx('backup', 'describe', own, '--json')
    expect(byName.code, byName.stderr).toBe(0)
    expect(json<BackupDetail>(byName.stdout)).toMatchObject({ name: own, table: a, itemCount: 4 })

    // Restore and delete refuse the shared name before doing anything.
    const target = uniqueName('bkcli_desc_t')
    const restore = await dynx('backup', 'restore', shared, target)
    expect(restore.code).toBe(2)
    expect(restore.stderr).toContain(`2 backups are named "${shared}"`)
    expect(await findTable(conn, target)).toBeUndefined()
    const del = await dynx('backup', 'delete', shared, '--yes')
    expect(del.code).toBe(2)
    expect(del.stderr).toContain(`2 backups are named "${shared}"`)
    expect(names(await backupsOf(a))).toContain(shared)
    expect(names(await backupsOf(b))).toEqual([shared])

    const unknown = uniqueName('nobackup')
    const missing = await dynx('backup', 'describe', unknown)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`No backup named "${unknown}" on ${endpoint}.`)
    const missingJson = await dynx('backup', 'describe', unknown, '--json')
    expect(missingJson.code).toBe(2)
    expect(json<{ error: { name: string; exitCode: number } }>(missingJson.stdout).error).toMatchObject({ name: 'BackupNotFoundError', exitCode: 2 })
  })
})

describe.concurrent('dynx backup restore (CLI, moto)', () => {
  it('restores NAME into TARGET with the items as they were at the backup, re-applies TTL, stream and tags, and reports them', { timeout: SLOW }, async () => {
    const source = uniqueName('bkcli_rs_src')
    const items = sampleItems('r', 7)
    await tableWithItems(source, items, { ttl: 'expires', stream: 'NEW_AND_OLD_IMAGES', tags: { team: 'data' } })
    const name = `${source}-bk`
    expect((await dynx('backup', 'create', source, '--name', name, '--wait')).code).toBe(0)
    // Written after the backup: the restored table must not have it.
    await conn.dynamodb.send(new PutItemCommand({ TableName: source, Item: { pk: { S: 'after-backup' } } }))

    const target = uniqueName('bkcli_rs_tgt')
    const r = await dynx('backup', 'restore', name, target)
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`Restored backup ${name} into ${target} (ACTIVE).`)
    expect(lines).toContain('  applied  TTL off -> expires')
    expect(lines).toContain('  applied  stream off -> NEW_AND_OLD_IMAGES')
    expect(lines).toContain('  applied  tags team=data')
    expect(
      lines.slice(1).every((l) => /^ {2}(applied|skipped|note:) /.test(l)),
      r.stdout,
    ).toBe(true)

    expect(await scanAll(target)).toEqual(sorted(items))
    const info = await describeTable(conn, target)
    expect(info.spec).toMatchObject({ ttl: 'expires', stream: 'NEW_AND_OLD_IMAGES', tags: { team: 'data' }, billing: 'PAY_PER_REQUEST' })

    // The same through `dynx scan`: every item, 38 digits untouched.
    const scan = await dynx('scan', target, '--format', 'jsonl')
    expect(scan.code, scan.stderr).toBe(0)
    const rows = scan.stdout.trim().split('\n')
    expect(rows).toHaveLength(items.length)
    expect(rows.find((l) => l.includes('"r-000"'))).toContain(`"n":${DIGITS_38}`)
  })

  it('onto an existing table: exit 2 "already exists" and that table unchanged; --no-reconcile --json has no reconcile', { timeout: SLOW }, async () => {
    const source = uniqueName('bkcli_rx_src')
    const items = sampleItems('x', 3)
    await tableWithItems(source, items)
    const name = `${source}-bk`
    expect((await dynx('backup', 'create', source, '--name', name)).code).toBe(0)

    const existing = uniqueName('bkcli_rx_old')
    const kept = [{ pk: { S: 'keep-me' }, v: { N: '1' } }]
    await tableWithItems(existing, kept)
    const refused = await dynx('backup', 'restore', name, existing)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`Table "${existing}" already exists.`)
    expect(refused.stderr).toContain('A restore never overwrites a table')
    expect(refused.stdout).toBe('')
    expect(await scanAll(existing)).toEqual(kept)
    const refusedJson = await dynx('backup', 'restore', name, existing, '--json')
    expect(refusedJson.code).toBe(2)
    expect(json<{ error: { name: string } }>(refusedJson.stdout).error.name).toBe('TableExistsError')

    const plain = uniqueName('bkcli_rx_nor')
    const r = await dynx('backup', 'restore', name, plain, '--no-reconcile', '--json')
    expect(r.code, r.stderr).toBe(0)
    const out = json<TableRestoreResult>(r.stdout)
    expect(out).toMatchObject({ source, target: plain, backup: { name, table: source } })
    expect(out).not.toHaveProperty('reconcile')
    expect(await scanAll(plain)).toEqual(sorted(items))

    const plainText = uniqueName('bkcli_rx_nort')
    const t = await dynx('backup', 'restore', name, plainText, '--no-reconcile')
    expect(t.code, t.stderr).toBe(0)
    expect(t.stdout).toContain(`Restored backup ${name} into ${plainText}`)
    expect(t.stdout).toContain('not reconciled (--no-reconcile)')
    expect(t.stdout).toContain(`dynx backup reconcile ${plainText}`)
    expect(t.stdout).not.toContain('applied')

    // What the restore printed, run later: the settings come back from the source.
    const rec = await dynx('backup', 'reconcile', plainText)
    expect(rec.code, rec.stderr).toBe(0)
    expect(rec.stdout).toContain(`Reconciled ${plainText} with ${source}:`)
    // moto restores an on-demand table as provisioned; the source is on-demand.
    expect(rec.stdout).toMatch(/applied +billing PROVISIONED -> PAY_PER_REQUEST/)
    const again = await dynx('backup', 'reconcile', plainText, '--json')
    expect(again.code, again.stderr).toBe(0)
    expect(json<{ settings: unknown[]; source: string }>(again.stdout)).toMatchObject({ source, settings: [] })
    const notRestored = await dynx('backup', 'reconcile', source)
    expect(notRestored.code).toBe(2)
    expect(notRestored.stderr).toContain('does not say which table it was restored from')

    const noTarget = await dynx('backup', 'restore', name)
    expect(noTarget.code).toBe(2)
    expect(noTarget.stderr).toContain('Give the BACKUP (name or ARN) and the TARGET table')
  })

  it('--prefix P --to-prefix Q restores every table from its newest backup; run again -> exit 2 "already exist"', { timeout: SLOW }, async () => {
    const id = uniqueName('bkcli_pr')
    const [prefix, toPrefix] = [`${id}_p_`, `${id}_q_`]
    const suffixes = ['one', 'two', 'three']
    const data = new Map(suffixes.map((s, i) => [s, sampleItems(s, i + 1)]))
    for (const s of suffixes) await tableWithItems(`${prefix}${s}`, data.get(s) ?? [])
    expect((await dynx('backup', 'create', '--prefix', prefix, '--wait')).code).toBe(0)

    const r = await dynx('backup', 'restore', '--prefix', prefix, '--to-prefix', toPrefix, '--json')
    expect(r.code, r.stderr).toBe(0)
    const out = json<PrefixRestoreResult>(r.stdout)
    expect(out.failed).toEqual([])
    expect(out.restores.map((x) => [x.source, x.target, x.status])).toEqual([...suffixes].sort().map((s) => [`${prefix}${s}`, `${toPrefix}${s}`, 'ACTIVE']))
    for (const s of suffixes) expect(await scanAll(`${toPrefix}${s}`)).toEqual(sorted(data.get(s) ?? []))

    const again = await dynx('backup', 'restore', '--prefix', prefix, '--to-prefix', toPrefix)
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(
      `3 restore targets already exist: ${[...suffixes]
        .sort()
        .map((s) => `${toPrefix}${s}`)
        .join(', ')}. Nothing was restored.`,
    )
    for (const s of suffixes) expect(await scanAll(`${toPrefix}${s}`)).toEqual(sorted(data.get(s) ?? []))
  })
})

describe.concurrent('dynx backup delete / prune (CLI, moto)', () => {
  it('delete without --yes and no TTY -> exit 2 "Not confirmed", kept; --dry-run deletes nothing; --yes deletes', { timeout: SLOW }, async () => {
    const table = uniqueName('bkcli_del')
    await tableWithItems(table, sampleItems('d', 1))
    const name = `${table}-bk`
    expect((await dynx('backup', 'create', table, '--name', name)).code).toBe(0)

    const unconfirmed = await dynx('backup', 'delete', name)
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain('Delete 1 backup? Not confirmed: stdin is not a terminal.')
    expect(unconfirmed.stderr).toContain('Re-run with --yes')
    expect(names(await backupsOf(table))).toEqual([name])

    const dry = await dynx('backup', 'delete', name, '--dry-run')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(new RegExp(`│ ${name} +│ ${table} +│`))
    expect(dry.stdout).toContain('Dry run: nothing was deleted.')
    const dryJson = await dynx('backup', 'delete', name, '--dry-run', '--json')
    expect(json<{ dryRun: boolean; deleted: BackupInfo[]; backups: BackupInfo[] }>(dryJson.stdout)).toMatchObject({ dryRun: true, deleted: [], backups: [{ name, table }] })
    expect(names(await backupsOf(table))).toEqual([name])

    const yes = await dynx('backup', 'delete', name, '--yes')
    expect(yes.code, yes.stderr).toBe(0)
    expect(yes.stdout).toMatch(new RegExp(`^deleted ${name} \\(${table}, \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\)\\n?$`))
    expect(await backupsOf(table)).toEqual([])

    const gone = await dynx('backup', 'delete', name, '--yes')
    expect(gone.code).toBe(2)
    expect(gone.stderr).toContain(`No backup named "${name}"`)
  })

  it('prune: bad input exits 2 and deletes nothing; --keep 1 --dry-run plans; --keep 1 --yes deletes; --older-than 1s keeps the newest', { timeout: SLOW }, async () => {
    const table = uniqueName('bkcli_prune')
    await tableWithItems(table, sampleItems('p', 1))
    await backupsInOrder(table, 1, 3)
    const all = [`${table}-n3`, `${table}-n2`, `${table}-n1`]
    expect(names(await backupsOf(table))).toEqual(all)

    const bad: Array<[string[], string]> = [
      [['--keep', '-1'], '--keep -1 is not a whole number of backups to keep.'],
      [['--keep=-1'], '--keep -1 is not a whole number of backups to keep.'],
      [[], 'Prune needs --keep N or --older-than AGE.'],
      [['--older-than', '30'], '--older-than "30" is not a duration.'],
      [['--keep', '1', '--older-than', '30'], '--older-than "30" is not a duration.'],
    ]
    for (const [args, message] of bad) {
      for (const extra of [[], ['--yes']]) {
        const r = await dynx('backup', 'prune', '--table', table, ...args, ...extra)
        expect(r.code, [...args, ...extra].join(' ')).toBe(2)
        expect(r.stderr, args.join(' ')).toContain(message)
      }
    }
    expect(names(await backupsOf(table))).toEqual(all)

    const dry = await dynx('backup', 'prune', '--table', table, '--keep', '1', '--dry-run')
    expect(dry.code, dry.stderr).toBe(0)
    const when = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ'
    expect(dry.stdout).toMatch(
      new RegExp(
        [
          '^Rule: keep the newest 1\\.',
          `${table}: delete 2, keep 1`,
          ` {2}delete {2}${table}-n2 {2}${when}`,
          ` {2}delete {2}${table}-n1 {2}${when}`,
          ` {2}keep {4}${table}-n3 {2}${when}`,
          'Dry run: 2 backups would be deleted; nothing was\\.',
        ].join('\\n'),
      ),
    )
    expect(names(await backupsOf(table))).toEqual(all)

    const unconfirmed = await dynx('backup', 'prune', '--table', table, '--keep', '1')
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain('Delete 2 backups? Not confirmed')
    expect(names(await backupsOf(table))).toEqual(all)

    const yes = await dynx('backup', 'prune', '--table', table, '--keep', '1', '--yes', '--json')
    expect(yes.code, yes.stderr).toBe(0)
    const pruned = json<{ dryRun: boolean; deleted: BackupInfo[]; failed: unknown[] }>(yes.stdout)
    expect(pruned.dryRun).toBe(false)
    expect(names(pruned.deleted).sort()).toEqual([`${table}-n1`, `${table}-n2`])
    expect(pruned.failed).toEqual([])
    expect(names(await backupsOf(table))).toEqual([`${table}-n3`])

    await backupsInOrder(table, 4, 5)
    await sleep(1500)
    const aged = await dynx('backup', 'prune', '--table', table, '--older-than', '1s', '--yes')
    expect(aged.code, aged.stderr).toBe(0)
    expect(aged.stdout).toContain(`${table}: delete 2, keep 1`)
    expect(aged.stdout).toContain('Deleted 2 of 2.')
    expect(names(await backupsOf(table))).toEqual([`${table}-n5`])

    // Nothing left to give up: exit 0, nothing deleted, no question asked.
    const nothing = await dynx('backup', 'prune', '--table', table, '--older-than', '1s')
    expect(nothing.code, nothing.stderr).toBe(0)
    expect(nothing.stdout).toContain('Deleted 0 of 0.')
    expect(names(await backupsOf(table))).toEqual([`${table}-n5`])
  })
})

describe.concurrent('dynx pitr (CLI, moto)', () => {
  it('enable --recovery-days 7, status --json shows ENABLED with its window, disable needs --yes, --recovery-days 36 -> exit 2', { timeout: SLOW }, async () => {
    const table = uniqueName('bkcli_pitr')
    await tableWithItems(table, sampleItems('e', 1))
    const status = async () => {
      const r = await dynx('pitr', 'status', table, '--json')
      expect(r.code, r.stderr).toBe(0)
      const { tables } = json<{ tables: PitrStatus[] }>(r.stdout)
      expect(tables).toHaveLength(1)
      return tables[0]
    }
    expect(await status()).toEqual({ table, status: 'DISABLED' })

    const on = await dynx('pitr', 'enable', table, '--recovery-days', '7')
    expect(on.code, on.stderr).toBe(0)
    expect(on.stdout.trim()).toBe(`${table}: DISABLED -> ENABLED (7 days)`)
    const s = await status()
    expect(s).toMatchObject({ table, status: 'ENABLED', recoveryPeriodInDays: 7 })
    expect(Date.parse(s.earliestRestorableTime ?? '')).not.toBeNaN()
    expect(Date.parse(s.latestRestorableTime ?? '')).toBeGreaterThanOrEqual(Date.parse(s.earliestRestorableTime ?? ''))
    const text = await dynx('pitr', 'status', table)
    expect(text.stdout).toMatch(new RegExp(`│ ${table} +│ ENABLED +│ \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +│ \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +│ 7 days +│`))

    // The same again changes nothing (safe in CI).
    const again = await dynx('pitr', 'enable', table, '--recovery-days', '7', '--json')
    expect(again.code, again.stderr).toBe(0)
    expect(json<{ tables: PitrChange[] }>(again.stdout).tables.map((c) => [c.table, c.changed, c.after.status])).toEqual([[table, false, 'ENABLED']])

    for (const days of ['36', '0']) {
      const r = await dynx('pitr', 'enable', table, '--recovery-days', days)
      expect(r.code, days).toBe(2)
      expect(r.stderr).toContain(`--recovery-days ${days} is out of range.`)
    }
    expect(await status()).toMatchObject({ status: 'ENABLED', recoveryPeriodInDays: 7 })

    const unconfirmed = await dynx('pitr', 'disable', table)
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain(`Disable point-in-time recovery on ${table}? Its restorable history is lost. Not confirmed: stdin is not a terminal.`)
    expect((await status()).status).toBe('ENABLED')

    const dry = await dynx('pitr', 'disable', table, '--dry-run')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('Dry run: nothing was changed.')
    expect((await status()).status).toBe('ENABLED')

    const off = await dynx('pitr', 'disable', table, '--yes')
    expect(off.code, off.stderr).toBe(0)
    expect(off.stdout.trim()).toBe(`${table}: ENABLED -> DISABLED`)
    expect(await status()).toEqual({ table, status: 'DISABLED' })
  })

  it('restore --latest copies the data; a time outside the window, PITR off, no time or two times -> exit 2 and no table', { timeout: SLOW }, async () => {
    const source = uniqueName('bkcli_pitr_src')
    const items = sampleItems('s', 5)
    await tableWithItems(source, items, { tags: { env: 'test' } })
    expect((await dynx('pitr', 'enable', source)).code).toBe(0)

    const target = uniqueName('bkcli_pitr_tgt')
    const r = await dynx('pitr', 'restore', source, target, '--latest')
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(`Restored ${source} as of latest into ${target} (ACTIVE).`)
    expect(lines).toContain('  applied  tags env=test')
    expect(
      lines.some((l) => /^ {2}applied {2}point-in-time recovery on/.test(l)),
      r.stdout,
    ).toBe(true)
    expect(await scanAll(target)).toEqual(sorted(items))
    expect(await scanAll(target)).toEqual(await scanAll(source))

    const window = json<{ tables: PitrStatus[] }>((await dynx('pitr', 'status', source, '--json')).stdout).tables[0]
    const outside = uniqueName('bkcli_pitr_old')
    const old = await dynx('pitr', 'restore', source, outside, '--time', '2000-01-01T00:00:00Z')
    expect(old.code).toBe(2)
    expect(old.stderr).toContain(
      `2000-01-01T00:00:00.000Z is outside the restorable window of "${source}": ${window.earliestRestorableTime} to ${window.latestRestorableTime} (UTC).`,
    )
    expect(await findTable(conn, outside)).toBeUndefined()

    const off = uniqueName('bkcli_pitr_off')
    await tableWithItems(off, sampleItems('o', 1))
    const offTarget = uniqueName('bkcli_pitr_offt')
    const notOn = await dynx('pitr', 'restore', off, offTarget, '--latest')
    expect(notOn.code).toBe(2)
    expect(notOn.stderr).toContain(`Point-in-time recovery is not enabled on "${off}"`)
    expect(await findTable(conn, offTarget)).toBeUndefined()

    const other = uniqueName('bkcli_pitr_none')
    const none = await dynx('pitr', 'restore', source, other)
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('Say when to restore to: --time, --ago or --latest.')
    const both = await dynx('pitr', 'restore', source, other, '--time', '2000-01-01T00:00:00Z', '--latest')
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--latest=true cannot also be provided when using --time/)
    const existing = await dynx('pitr', 'restore', source, off, '--latest')
    expect(existing.code).toBe(2)
    expect(existing.stderr).toContain(`Table "${off}" already exists.`)
    expect(await scanAll(off)).toEqual(sorted(sampleItems('o', 1)))
    expect(await findTable(conn, other)).toBeUndefined()
  })

  // DescribeContinuousBackups answers TableNotFoundException (not ResourceNotFoundException) for a
  // missing table, on AWS as on moto; every case is checked softly so each command's result shows.
  it('pitr enable / status / disable of an unknown table: exit 2 naming the table, nothing created', { timeout: SLOW }, async ({ expect }) => {
    const ghost = uniqueName('nope_xyz')
    // disable without --yes: the unknown table is named before any question is asked.
    for (const args of [
      ['enable', ghost],
      ['enable', ghost, '--recovery-days', '7'],
      ['status', ghost],
      ['disable', ghost, '--yes'],
      ['disable', ghost],
    ]) {
      const r = await dynx('pitr', ...args)
      expect.soft({ args: args.join(' '), code: r.code }).toEqual({ args: args.join(' '), code: 2 })
      expect.soft(r.stderr, args.join(' ')).toContain(`Table "${ghost}" does not exist`)
    }
    expect(await findTable(conn, ghost)).toBeUndefined()
  })
})

describe.concurrent('backups and PITR on engines without them: exit 2 for every command (README, exit codes)', () => {
  // The same missing feature, the same exit code, whichever command meets it first and however
  // the engine is reached: refused up front for --local, answered by the engine (dynalite) through --endpoint.
  const cases: Array<[string[], string]> = [
    [['backup', 'create', 'T'], 'on-demand backups'],
    [['backup', 'create', 'T', 'T2', '--wait'], 'on-demand backups'],
    [['backup', 'list'], 'on-demand backups'],
    [['backup', 'describe', 'some-backup'], 'on-demand backups'],
    [['backup', 'delete', 'some-backup', '--yes'], 'on-demand backups'],
    [['backup', 'prune', '--table', 'T', '--keep', '1', '--yes'], 'on-demand backups'],
    [['backup', 'restore', 'some-backup', 'T_restored'], 'on-demand backups'],
    [['pitr', 'status', 'T'], 'point-in-time recovery'],
    [['pitr', 'enable', 'T'], 'point-in-time recovery'],
    [['pitr', 'disable', 'T', '--yes'], 'point-in-time recovery'],
    [['pitr', 'restore', 'T', 'T_restored', '--latest'], 'point-in-time recovery'],
  ]

  it('--local', { timeout: SLOW }, async ({ expect }) => {
    const env = { DYNX_LOCAL_PATH: tempDir('dynx-local-'), DYNX_HOME: tempDir('dynx-home-') }
    for (const [args, what] of cases) {
      const r = await runCli([...args, '--local'], { env })
      expect.soft({ args: args.join(' '), code: r.code }).toEqual({ args: args.join(' '), code: 2 })
      expect.soft(r.stderr, args.join(' ')).toContain(`The embedded --local engine does not support ${what}.`)
      expect.soft(r.stdout, args.join(' ')).toBe('')
    }
  })

  it('--endpoint of dynalite, with the tables there (backup create used to exit 1, listing each table as failed)', { timeout: SLOW }, async ({ expect }) => {
    const dynalite = connect(engines.dynalite)
    const [t, t2] = [uniqueName('nobackups'), uniqueName('nobackups')]
    try {
      for (const name of [t, t2]) await createTable(dynalite, { name, hashKey: { name: 'pk', type: 'S' }, billing: 'PAY_PER_REQUEST' }, { wait: true })
      for (const [args] of cases) {
        const named = args.map((a) => (a === 'T' ? t : a === 'T2' ? t2 : a))
        for (const json of args[1] === 'create' ? [false, true] : [false]) {
          const r = await runCli([...named, '--endpoint', engines.dynalite, ...(json ? ['--json'] : [])])
          expect.soft({ args: named.join(' '), json, code: r.code }).toEqual({ args: named.join(' '), json, code: 2 })
          if (json) expect.soft((JSON.parse(r.stdout) as { error?: { name: string } }).error?.name, named.join(' ')).toBe('UnsupportedByEngineError')
          else expect.soft(r.stderr, named.join(' ')).toMatch(/The DynamoDB engine at \S+ does not support/)
        }
      }
    } finally {
      dynalite.destroy()
    }
  })
})
