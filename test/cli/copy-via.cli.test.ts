import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import type { CopyViaOutput } from '../../src/cli/copy-via.js'
import { connectionIdentity } from '../../src/connection/clients.js'
import { viaStatePath } from '../../src/copy/via-s3.js'
import type { Item } from '../../src/data/values.js'
import { setPointInTimeRecovery } from '../../src/tables/settings.js'
import { describeContinuousBackups, describeTable, findTable } from '../../src/tables/describe.js'
import type { TableSpec } from '../../src/tables/spec.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { connect, createLsiTable, createTableWithItems, runCli, tempDir, uniqueName } from '../helpers.js'
import { CTRL_C, runInPty } from '../pty/run-in-pty.js'

// `dynx copy --via s3://...` as a user runs it, against moto server (DynamoDB and S3 on one port).
// moto runs exports and imports at once, writes no manifest (dynx finds the one export folder
// under the copy's own prefix) and ignores ExportType INCREMENTAL_EXPORT (it writes a full export),
// so the end-to-end runs here use --no-catch-up; the catch-up rounds, with the real service's
// incremental exports, are in test/unit/copy-via.unit.test.ts.

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.moto
const conn = connect(endpoint)
const bucket = uniqueName('dynx-via').toLowerCase().replaceAll('_', '-')
const home = tempDir('dynx-via-home-')
afterAll(() => conn.destroy())
beforeAll(async () => {
  await conn.s3.send(new CreateBucketCommand({ Bucket: bucket }))
})

const SLOW = 120_000
const dynx = (...args: string[]) => runCli([...args, '--endpoint', endpoint], { env: { DYNX_HOME: home } })
const json = <T>(stdout: string): T => JSON.parse(stdout) as T
const DIGITS_38 = '12345678901234567890123456789012345678'

function sampleItems(count: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    pk: { S: `u-${String(i).padStart(4, '0')}` },
    n: { N: i === 0 ? DIGITS_38 : String(i) },
    bin: { B: new Uint8Array([0, 1, 255, i % 256]) },
    tags: { SS: ['a', `t${i}`] },
    email: { S: `u${i}@example.com` },
    expiresAt: { N: String(2_000_000_000 + i) },
  }))
}

const tableWithItems = (name: string, items: Item[], extra: Partial<TableSpec> = {}) => createTableWithItems(conn, name, items, extra)

const listed = async (prefix = '') => ((await conn.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key)
const pitrStatus = async (table: string) => (await describeContinuousBackups(conn, table)).ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus

describe('dynx copy --via s3:// on moto server', () => {
  const source = uniqueName('via_users')
  const items = sampleItems(150)

  beforeAll(async () => {
    // TTL, tags and PITR on the source: what ImportTable cannot set and the copy must reconcile.
    await tableWithItems(source, items, { ttl: 'expiresAt', tags: { team: 'data', cost: 'c-42' } })
    await setPointInTimeRecovery(conn, source, true)
  }, SLOW)

  it(
    'Ctrl-C typed on a terminal during the wait for the 15-minute catch-up window: exit 130 at once, state kept; the same command (--no-catch-up) finishes without a second export',
    async () => {
      const target = uniqueName('via_ctrlc')
      const via = `s3://${bucket}/ctrlc`
      // Import done, catch-up waits for T0 + 15 minutes (counting down): where a person stops a --via copy.
      const r = await runInPty(['copy', source, target, '--via', via, '--endpoint', endpoint], {
        env: { DYNX_HOME: home },
        steps: [{ waitFor: '15 minutes have passed', timeoutMs: 90_000 }, { sleepMs: 500 }, { write: CTRL_C }],
        timeoutMs: 110_000,
      })
      expect(r.failedStep, r.text).toBeNull()
      expect(r.exitCode, r.text).toBe(130)
      expect(r.exitMs! - r.marks[0]!.ms).toBeLessThan(5_000)
      const id = await connectionIdentity(conn)
      const state = join(home, 'checkpoints', basename(viaStatePath(id, source, id, target)))
      expect(existsSync(state)).toBe(true)
      const exportsBefore = json<{ exports: unknown[] }>((await dynx('export', 'list', '--table', source, '--json')).stdout).exports.length

      const again = await dynx('copy', source, target, '--via', via, '--no-catch-up', '--json')
      expect(again.code, again.stderr).toBe(0)
      expect(json<CopyViaOutput>(again.stdout).tables![0]).toMatchObject({ status: 'copied', resumed: true, import: { importedItems: items.length } })
      expect(json<{ exports: unknown[] }>((await dynx('export', 'list', '--table', source, '--json')).stdout).exports.length).toBe(exportsBefore)
      expect(existsSync(state)).toBe(false)
      expect((await dynx('verify', source, target)).code).toBe(0)
    },
    SLOW,
  )

  it(
    'export, import, reconcile, verify: TARGET equal item for item, with the GSI, TTL, tags and PITR of SOURCE; a re-run finds TARGET there (exit 2)',
    async () => {
      const target = uniqueName('via_copy')
      const r = await dynx('copy', source, target, '--via', `s3://${bucket}/copies`, '--no-catch-up', '--verify', '--json')
      expect(r.code, r.stderr).toBe(0)
      const out = json<CopyViaOutput>(r.stdout)
      expect(out.outcome).toBe('ok')
      expect(out.plan.entries).toMatchObject([{ source, target, route: ['export', 'import', 'reconcile', 'verify'], pitr: 'on', resumes: false }])
      const t = out.tables![0]!
      expect(t).toMatchObject({ source, target, status: 'copied', pitrEnabled: false, catchUp: { rounds: [], stopped: 'skipped' }, deadLettered: 0 })
      expect(t.export).toMatchObject({ status: 'COMPLETED', itemCount: items.length })
      expect(t.export!.folder).toMatch(new RegExp(`^s3://${bucket}/copies/${source}-\\d{8}T\\d{6}Z/full/AWSDynamoDB/[^/]+/$`))
      expect(t.import).toMatchObject({ status: 'COMPLETED', importedItems: items.length, processedItems: items.length, errors: 0, outcome: 'ok' })
      expect(t.import!.reconcile!.settings.map((s) => `${s.setting} ${s.status}`).sort()).toEqual(['pitr applied', 'tags applied', 'ttl applied'])
      // Without catch-up TARGET holds SOURCE as of the export time, and says so.
      expect(t.consistentAsOf).toBe(t.exportTime)
      expect(t.verify).toMatchObject({ equal: true, complete: true })
      expect(t.verify!.source.items).toBe(items.length)

      const info = await describeTable(conn, target)
      expect(info.spec.indexes?.map((g) => g.name)).toEqual(['email-index'])
      expect(info.spec.ttl).toBe('expiresAt')
      expect(info.spec.tags).toEqual({ team: 'data', cost: 'c-42' })
      expect(info.pitr?.status).toBe('ENABLED')
      const verify = await dynx('verify', source, target)
      expect(verify.code, verify.stdout + verify.stderr).toBe(0)
      // A finished copy leaves no state file behind.
      expect(readdirSync(join(home, 'checkpoints')).filter((f) => f.startsWith(`via-${source}--${target}`))).toEqual([])

      const again = await dynx('copy', source, target, '--via', `s3://${bucket}/copies`, '--no-catch-up')
      expect(again.code).toBe(2)
      expect(again.stderr).toContain(`The target table "${target}" already exists`)
      expect(again.stderr).toContain('ImportTable only creates tables')
      expect(again.stderr).toContain(`dynx copy ${source} ${target}`)
      expect(again.stderr).toContain(`dynx load ${target} s3://`)
    },
    SLOW,
  )

  it(
    'text output: the route, what was reconciled, and up to which moment TARGET holds SOURCE',
    async () => {
      const target = uniqueName('via_text')
      const r = await dynx('copy', source, target, '--via', `s3://${bucket}/copies`, '--no-catch-up')
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain("Copy plan by DynamoDB's export and import")
      expect(r.stderr).toContain('export -> import -> reconcile')
      expect(r.stdout).toContain(`${source} -> ${target}: copied`)
      expect(r.stdout).toContain(`import: ${items.length} of ${items.length} items imported`)
      expect(r.stdout).toMatch(/applied\s+TTL off -> expiresAt/)
      expect(r.stdout).toContain('catch-up: skipped (--no-catch-up)')
      expect(r.stdout).toMatch(new RegExp(`${target} holds ${source} as of \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ; writes to ${source} after that are not copied`))
    },
    SLOW,
  )

  it(
    'TARGET on another connection (--target-endpoint): SOURCE’s definition and settings go as a spec, TTL, tags and PITR applied from it',
    async () => {
      const target = uniqueName('via_other')
      // The same moto by another name: a second connection, as another account or region would be.
      const other = endpoint.replace('127.0.0.1', 'localhost')
      const r = await dynx('copy', source, target, '--via', `s3://${bucket}/other`, '--target-endpoint', other, '--no-catch-up', '--verify', '--json')
      expect(r.code, r.stderr).toBe(0)
      const t = json<CopyViaOutput>(r.stdout).tables![0]!
      expect(t).toMatchObject({ status: 'copied', verify: { equal: true } })
      expect(t.import!.reconcile).toMatchObject({ source: 'spec' })
      expect(
        t
          .import!.reconcile!.settings.filter((x) => x.status === 'applied')
          .map((x) => x.setting)
          .sort(),
      ).toEqual(expect.arrayContaining(['pitr', 'tags', 'ttl']))
      const info = await describeTable(conn, target)
      expect(info.spec.ttl).toBe('expiresAt')
      expect(info.spec.tags).toEqual({ team: 'data', cost: 'c-42' })
      expect(info.pitr?.status).toBe('ENABLED')
      expect(info.spec.indexes?.map((g) => g.name)).toEqual(['email-index'])
    },
    SLOW,
  )

  it(
    'a prefix copy with --enable-pitr: every table of the prefix by the native route, PITR turned on where it was off',
    async () => {
      const from = `${uniqueName('viaenv')}_`
      const to = `${uniqueName('viacopy')}_`
      await tableWithItems(`${from}a`, sampleItems(20))
      await tableWithItems(`${from}b`, sampleItems(30), { tags: { side: 'b' } })
      const r = await dynx('copy', '--from-prefix', from, '--to-prefix', to, '--via', `s3://${bucket}/env`, '--enable-pitr', '--no-catch-up', '--verify', '--json')
      expect(r.code, r.stderr).toBe(0)
      const out = json<CopyViaOutput>(r.stdout)
      expect(out.tables!.map((t) => [t.target, t.status, t.pitrEnabled, t.verify?.equal])).toEqual([
        [`${to}a`, 'copied', true, true],
        [`${to}b`, 'copied', true, true],
      ])
      expect(out.plan.entries.map((e) => e.pitr)).toEqual(['turned on by this copy', 'turned on by this copy'])
      expect(await pitrStatus(`${from}a`)).toBe('ENABLED')
      expect((await describeTable(conn, `${to}b`)).spec.tags).toEqual({ side: 'b' })
    },
    SLOW,
  )

  it(
    'the same command continues a copy whose export was started (its ARN in the state file): no second export, the import follows',
    async () => {
      const target = uniqueName('via_resume')
      const t0 = new Date(Date.now() - 60_000)
      t0.setMilliseconds(0)
      const stamp = t0
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z')
      // What a run killed after ExportTableToPointInTime left behind: T0 and the export's ARN.
      const started = await dynx('export', source, `s3://${bucket}/resume/${source}-${stamp}/full`, '--time', t0.toISOString(), '--json')
      expect(started.code, started.stderr).toBe(0)
      const arn = json<{ exportArn: string }>(started.stdout).exportArn
      const id = await connectionIdentity(conn)
      const state = join(home, 'checkpoints', basename(viaStatePath(id, source, id, target)))
      mkdirSync(dirname(state), { recursive: true })
      writeFileSync(
        state,
        JSON.stringify({
          version: 1,
          kind: 'copy-via',
          fingerprint: { source, target, from: id, to: id, via: `s3://${bucket}/resume` },
          exportTime: t0.toISOString(),
          export: { arn },
          rounds: [],
        }),
      )
      const exportsBefore = json<{ exports: unknown[] }>((await dynx('export', 'list', '--table', source, '--json')).stdout).exports.length
      const r = await dynx('copy', source, target, '--via', `s3://${bucket}/resume`, '--no-catch-up', '--json')
      expect(r.code, r.stderr).toBe(0)
      const out = json<CopyViaOutput>(r.stdout)
      expect(out.plan.entries[0]).toMatchObject({ resumes: true, phase: 'export' })
      expect(out.tables![0]).toMatchObject({ status: 'copied', resumed: true, exportTime: t0.toISOString(), export: { exportArn: arn }, import: { importedItems: items.length } })
      expect(json<{ exports: unknown[] }>((await dynx('export', 'list', '--table', source, '--json')).stdout).exports.length).toBe(exportsBefore)
      expect((await dynx('verify', source, target)).code).toBe(0)
      expect(existsSync(state)).toBe(false)
    },
    SLOW,
  )

  it('--dry-run shows the route, the sizes, the cost estimate and its dated prices, and starts nothing', async () => {
    const target = uniqueName('via_dry')
    const before = await listed()
    const r = await dynx('copy', source, target, '--via', `s3://${bucket}/dry`, '--dry-run')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('export -> import -> reconcile -> catch-up')
    expect(r.stdout).toMatch(/Export\s*│\s*Import \(at least\)/)
    expect(r.stdout).toContain('Prices: us-east-1, as of 2024-11')
    expect(r.stdout).toContain('incremental exports $0.10 per GB of changes')
    expect(r.stdout).toContain('AWS documents no fixed speed for export or import')
    expect(r.stdout).toContain('each round exports at least 15 minutes of changes')
    expect(r.stdout).toContain('items/s (measured with `npm run bench`')
    const j = json<CopyViaOutput>((await dynx('copy', source, target, '--via', `s3://${bucket}/dry`, '--dry-run', '--verify', '--json')).stdout)
    expect(j).toMatchObject({ dryRun: true, outcome: 'ok' })
    expect(j.plan.entries[0]).toMatchObject({ route: ['export', 'import', 'reconcile', 'catch-up', 'verify'], estimatedItems: items.length })
    expect(j.plan.entries[0]!.estimate).toMatchObject({ incrementalUsdPerGb: 0.1, catchUpAtLeastMinutes: 15, pricesFallback: false })
    expect(await findTable(conn, target)).toBeUndefined()
    expect(await listed()).toEqual(before)
  })

  it('exit 2 with nothing started: malformed s3:// URLs, PITR off without --enable-pitr, a source with LSIs, --local', async () => {
    const target = uniqueName('via_bad')
    const before = await listed()
    for (const url of ['s3:/bucket/x', 's3://', 's3://Bad_Bucket/x', `s3://${bucket}//x`, `https://${bucket}/x`]) {
      const r = await dynx('copy', source, target, '--via', url)
      expect(r.code, url).toBe(2)
      expect(r.stderr, url).toMatch(/not an s3:\/\/ URL|names no bucket|not a valid S3 bucket name|empty path segment/)
    }

    const noPitr = uniqueName('via_nopitr')
    await tableWithItems(noPitr, sampleItems(3))
    const pitr = await dynx('copy', noPitr, target, '--via', `s3://${bucket}/copies`)
    expect(pitr.code).toBe(2)
    expect(pitr.stderr).toContain('Point-in-time recovery is off')
    expect(pitr.stderr).toContain('--enable-pitr')
    expect(await pitrStatus(noPitr)).toBe('DISABLED')

    const withLsi = uniqueName('via_lsi')
    await createLsiTable(conn, withLsi)
    const lsi = await dynx('copy', withLsi, target, '--via', `s3://${bucket}/copies`, '--enable-pitr')
    expect(lsi.code).toBe(2)
    expect(lsi.stderr).toContain('local secondary indexes (by-date)')
    expect(lsi.stderr).toContain(`dynx copy ${withLsi} ${target}`)
    // Checked before --enable-pitr changed anything.
    expect(await pitrStatus(withLsi)).toBe('DISABLED')

    // A prefix copy is checked whole before any table is started: one bad table stops them all.
    const env = `${uniqueName('viamix')}_`
    await tableWithItems(`${env}ok`, sampleItems(2))
    await setPointInTimeRecovery(conn, `${env}ok`, true)
    await tableWithItems(`${env}off`, sampleItems(2))
    const mixed = await dynx('copy', '--from-prefix', env, '--to-prefix', `${env}x_`, '--via', `s3://${bucket}/mixed`)
    expect(mixed.code).toBe(2)
    expect(mixed.stderr).toContain(`Point-in-time recovery is off on "${env}off"`)
    expect(await findTable(conn, `${env}x_ok`)).toBeUndefined()

    const local = tempDir()
    const l = await runCli(['copy', 'users', 'users2', '--via', `s3://${bucket}/x`, '--local'], { env: { DYNX_LOCAL_PATH: join(local, 'local'), HOME: local } })
    expect(l.code).toBe(2)
    expect(l.stderr).toContain('The embedded --local engine does not support export to S3')

    // Flags that belong to the scan-based copy are refused with --via.
    const transform = await dynx('copy', source, target, '--via', `s3://${bucket}/copies`, '--transform', './x.mjs')
    expect(transform.code).toBe(2)
    // --via always creates TARGET (ImportTable only creates tables): --no-create contradicts it.
    const noCreate = await dynx('copy', source, target, '--via', `s3://${bucket}/copies`, '--no-create')
    expect(noCreate.code).toBe(2)
    expect(noCreate.stderr).toContain('--no-create')

    expect(await findTable(conn, target)).toBeUndefined()
    expect(await listed()).toEqual(before)
    expect(existsSync(join(home, 'checkpoints')) ? readdirSync(join(home, 'checkpoints')).filter((f) => f.includes(target)) : []).toEqual([])
  })
})
