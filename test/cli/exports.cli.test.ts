import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import type { Item } from '../../src/data/values.js'
import type { ExportInfo, ExportResult } from '../../src/exports/export.js'
import type { ImportResult } from '../../src/exports/import.js'
import { readBytes } from '../../src/load/read.js'
import { s3Sources } from '../../src/load/s3-sources.js'
import { describeContinuousBackups, describeTable, findTable } from '../../src/tables/describe.js'
import type { TableSpec } from '../../src/tables/spec.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { connect, createLsiTable, createTableWithItems, runCli, tempDir, uniqueName } from '../helpers.js'

// The built CLI against moto server, which serves DynamoDB and S3 on one port. moto runs an export
// or an import at once in a thread, keeps no ClientToken and writes no manifest files: one gzip
// data file at <prefix>/AWSDynamoDB/<uuid>/data/<uuid>.gz (the uuid is not the export ARN's id), so
// the tests find the folder by listing the bucket. What moto lacks (tokens echoed, manifests,
// incremental exports, long transitions, import errors) is in test/unit/exports.unit.test.ts.

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.moto
const conn = connect(endpoint)
const bucket = uniqueName('dynx-exports').toLowerCase().replaceAll('_', '-')
afterAll(() => conn.destroy())
beforeAll(async () => {
  await conn.s3.send(new CreateBucketCommand({ Bucket: bucket }))
})

const SLOW = 120_000
const dynx = (...args: string[]) => runCli([...args, '--endpoint', endpoint])
const json = <T>(stdout: string): T => JSON.parse(stdout) as T
const DIGITS_38 = '12345678901234567890123456789012345678'

// ASCII strings only: moto's ImportTable reads its own export's "\u00fc" escapes as the six characters
// (its JSON parser does not decode them), a moto bug the real service does not have.
function sampleItems(count: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    pk: { S: `u-${String(i).padStart(4, '0')}` },
    n: { N: i === 0 ? DIGITS_38 : String(i) },
    bin: { B: new Uint8Array([0, 1, 255, i % 256]) },
    map: { M: { name: { S: `name ${i}` }, list: { L: [{ N: '-0.5' }, { NULL: true }] } } },
    email: { S: `u${i}@example.com` },
  }))
}

const tableWithItems = (name: string, items: Item[], extra: Partial<TableSpec> = {}) => createTableWithItems(conn, name, items, extra)

/** The export folders (…/AWSDynamoDB/<id>/) under a prefix of the bucket. */
async function exportFolders(prefix: string): Promise<string[]> {
  const out = await conn.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/AWSDynamoDB/` }))
  const folders = new Set((out.Contents ?? []).map((o) => /^(.*\/AWSDynamoDB\/[^/]+\/)/.exec(o.Key ?? '')?.[1]).filter((k): k is string => Boolean(k)))
  return [...folders].map((k) => `s3://${bucket}/${k}`)
}

const pitrStatus = async (table: string) => (await describeContinuousBackups(conn, table)).ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus

describe('dynx export and dynx import on moto server (DynamoDB and S3 on one port)', () => {
  const source = uniqueName('exp_users')
  const items = sampleItems(120)
  const prefix = `users-${source}`
  let folder = ''

  beforeAll(async () => {
    await tableWithItems(source, items, { ttl: 'expiresAt', tags: { team: 'data' } })
  }, SLOW)

  it('exit 2 with nothing started: PITR off without --enable-pitr names the flag', async () => {
    const r = await dynx('export', source, `s3://${bucket}/${prefix}`)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--enable-pitr')
    expect(await pitrStatus(source)).toBe('DISABLED')
    expect(await exportFolders(prefix)).toEqual([])
    const list = await dynx('export', 'list', '--table', source, '--json')
    expect(json<{ exports: ExportInfo[] }>(list.stdout).exports).toEqual([])
  })

  it('exit 2 with nothing started: malformed s3:// URLs', async () => {
    for (const url of ['s3:/bucket/x', 's3://', 's3://Bad_Bucket/x', 's3://ab/x', `s3://${bucket}//x`, `https://${bucket}/x`]) {
      const r = await dynx('export', source, url, '--enable-pitr')
      expect(r.code, url).toBe(2)
      expect(r.stderr, url).toMatch(/not an s3:\/\/ URL|names no bucket|not a valid S3 bucket name|empty path segment/)
    }
    // --enable-pitr was given, but the URL is checked before anything is changed.
    expect(await pitrStatus(source)).toBe('DISABLED')
  })

  it('exit 2 on --local: the embedded engine has no export or import', async () => {
    const home = tempDir()
    const env = { DYNX_LOCAL_PATH: join(home, 'local'), HOME: home }
    const e = await runCli(['export', 'users', `s3://${bucket}/x`, '--local'], { env })
    expect(e.code).toBe(2)
    expect(e.stderr).toContain('The embedded --local engine does not support export to S3')
    const i = await runCli(['import', `s3://${bucket}/x/AWSDynamoDB/abc/`, 'users2', '--like', 'users', '--local'], { env })
    expect(i.code).toBe(2)
    expect(i.stderr).toContain('does not support import from S3')
  })

  it(
    '--enable-pitr turns PITR on and exports; the same command run twice follows one export',
    async () => {
      const first = await dynx('export', source, `s3://${bucket}/${prefix}`, '--enable-pitr', '--wait', '--json')
      expect(first.code, first.stderr).toBe(0)
      const a = json<ExportResult>(first.stdout)
      expect(a).toMatchObject({ table: source, status: 'COMPLETED', itemCount: items.length, followed: false, pitrEnabled: true, type: 'FULL_EXPORT', format: 'DYNAMODB_JSON' })
      expect(a.exportArn).toMatch(/^arn:aws:dynamodb:/)
      expect(await pitrStatus(source)).toBe('ENABLED')

      const again = await dynx('export', source, `s3://${bucket}/${prefix}`, '--enable-pitr', '--wait', '--json')
      expect(again.code, again.stderr).toBe(0)
      expect(json<ExportResult>(again.stdout)).toMatchObject({ exportArn: a.exportArn, followed: true, pitrEnabled: false, status: 'COMPLETED' })
      const text = await dynx('export', source, `s3://${bucket}/${prefix}`)
      expect(text.stdout).toContain('Following the export this command started before')
      // One export in S3 and in ListExports.
      const folders = await exportFolders(prefix)
      expect(folders).toHaveLength(1)
      folder = folders[0]!
      const list = json<{ exports: ExportInfo[] }>((await dynx('export', 'list', '--table', source, '--json')).stdout).exports
      expect(list.map((e) => e.exportArn)).toEqual([a.exportArn])
      const described = await dynx('export', 'describe', a.exportArn)
      expect(described.code).toBe(0)
      expect(described.stdout).toMatch(/Status\s+COMPLETED/)
      expect(described.stdout).toMatch(/Items\s+120/)
    },
    SLOW,
  )

  it(
    'import --like into a new table: equal item for item (dynx verify), GSI, TTL, tags and PITR re-applied',
    async () => {
      expect(folder).not.toBe('')
      const target = uniqueName('imp_users')
      const r = await dynx('import', folder, target, '--like', source, '--wait', '--json')
      expect(r.code, r.stderr).toBe(0)
      const result = json<ImportResult>(r.stdout)
      expect(result).toMatchObject({
        table: target,
        status: 'COMPLETED',
        processedItems: items.length,
        importedItems: items.length,
        errors: 0,
        outcome: 'ok',
        format: 'DYNAMODB_JSON',
      })
      expect(result.data).toBe(`${folder}data/`)
      // The export folder itself, read from S3, against the new table.
      const againstExport = await dynx('verify', folder, target)
      expect(againstExport.code, againstExport.stdout + againstExport.stderr).toBe(0)
      expect(againstExport.stdout).toContain('equal')
      const verify = await dynx('verify', source, target)
      expect(verify.code, verify.stdout + verify.stderr).toBe(0)
      expect(verify.stdout).toContain(`equal: ${items.length} items`)
      const info = await describeTable(conn, target)
      expect(info.spec.indexes?.map((g) => g.name)).toEqual(['email-index'])
      expect(info.spec.ttl).toBe('expiresAt')
      expect(info.spec.tags).toEqual({ team: 'data' })
      expect(info.pitr?.status).toBe('ENABLED')
      expect(result.reconcile?.settings.map((s) => `${s.setting} ${s.status}`).sort()).toEqual(['pitr applied', 'tags applied', 'ttl applied'])
      // Importing again into the same name is refused: an import never overwrites.
      const twice = await dynx('import', folder, target, '--like', source)
      expect(twice.code).toBe(2)
      expect(twice.stderr).toContain('already exists')
    },
    SLOW,
  )

  it(
    'import --spec FILE takes the definition and settings from the spec',
    async () => {
      const target = uniqueName('imp_spec')
      const dir = tempDir()
      const file = join(dir, 'spec.json')
      writeFileSync(file, JSON.stringify({ tables: [{ name: target, hashKey: { name: 'pk', type: 'S' }, billing: 'PAY_PER_REQUEST', ttl: 'gone', tags: { from: 'spec' } }] }))
      const r = await dynx('import', folder, target, '--spec', file, '--wait')
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain(`${items.length} of ${items.length} items imported`)
      const info = await describeTable(conn, target)
      expect(info.spec.ttl).toBe('gone')
      expect(info.spec.tags).toEqual({ from: 'spec' })
      expect((await dynx('verify', source, target)).code).toBe(0)
    },
    SLOW,
  )

  it('exit 2 with nothing started: an import of a table with LSIs names the reason and the alternatives', async () => {
    const withLsi = uniqueName('exp_lsi')
    await createLsiTable(conn, withLsi)
    const target = uniqueName('imp_lsi')
    const r = await dynx('import', `s3://${bucket}/${prefix}/AWSDynamoDB/x/`, target, '--like', withLsi)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('local secondary indexes (by-date)')
    expect(r.stderr).toContain('cannot create them')
    expect(r.stderr).toContain('dynx copy')
    expect(r.stderr).toContain('dynx load')
    expect(await findTable(conn, target)).toBeUndefined()
  })

  it('exit 2: an import URL that is not an export folder, or a folder with no data', async () => {
    const target = uniqueName('imp_bad')
    const notFolder = await dynx('import', `s3://${bucket}/${prefix}/`, target, '--like', source)
    expect(notFolder.code).toBe(2)
    expect(notFolder.stderr).toContain('is not the folder of a DynamoDB export')
    const empty = await dynx('import', `s3://${bucket}/${prefix}/AWSDynamoDB/nothing-here/`, target, '--like', source)
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain('holds no data/ objects')
    expect(await findTable(conn, target)).toBeUndefined()
  })

  it(
    'load reads the same export from s3:// and from a local copy of its folder',
    async () => {
      expect(folder).not.toBe('')
      const fromS3 = uniqueName('load_s3')
      await tableWithItems(fromS3, [])
      const r = await dynx('load', fromS3, folder, '--json')
      expect(r.code, r.stderr).toBe(0)
      expect(json<{ loaded: number; complete: boolean }>(r.stdout).loaded).toBe(items.length)
      expect((await dynx('verify', source, fromS3)).code).toBe(0)

      // A local copy of the folder, as `aws s3 cp --recursive` makes it.
      const dir = tempDir()
      const key = folder.slice(`s3://${bucket}/`.length)
      const listed = await conn.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }))
      for (const o of listed.Contents ?? []) {
        const body = await conn.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }))
        const path = join(dir, o.Key!.slice(key.length))
        mkdirSync(dirname(path), { recursive: true })
        writeFileSync(path, await body.Body!.transformToByteArray())
      }
      const fromDisk = uniqueName('load_disk')
      await tableWithItems(fromDisk, [])
      const d = await dynx('load', fromDisk, dir, '--json')
      expect(d.code, d.stderr).toBe(0)
      expect(json<{ loaded: number; complete: boolean }>(d.stdout).loaded).toBe(items.length)
      expect((await dynx('verify', source, fromDisk)).code).toBe(0)
    },
    SLOW,
  )

  it(
    'load reads the data objects under an s3:// prefix; an uncompressed object is read from an offset with a Range',
    async () => {
      const lines = sampleItems(30).map((item) => JSON.stringify({ pk: item.pk.S, n: Number(item.n.N) % 1000, note: 'x'.repeat(50) }))
      const text = `${lines.join('\n')}\n`
      await conn.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain/part-1.jsonl', Body: text }))
      await conn.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain/README.txt', Body: 'not data' }))
      const target = uniqueName('load_prefix')
      await tableWithItems(target, [])
      const r = await dynx('load', target, `s3://${bucket}/plain/`, '--json')
      expect(r.code, r.stderr).toBe(0)
      expect(json<{ loaded: number; complete: boolean }>(r.stdout)).toMatchObject({ loaded: 30, complete: true })

      const [source] = await s3Sources(conn, `s3://${bucket}/plain/`)
      expect(source).toMatchObject({ label: `s3://${bucket}/plain/part-1.jsonl`, size: Buffer.byteLength(text), gzip: false, format: 'jsonl' })
      const offset = Buffer.byteLength(`${lines.slice(0, 7).join('\n')}\n`)
      const chunks: Buffer[] = []
      for await (const chunk of readBytes(source!, offset, offset + 100)) chunks.push(chunk)
      expect(Buffer.concat(chunks).toString()).toBe(
        Buffer.from(text)
          .subarray(offset, offset + 100)
          .toString(),
      )
      const rest: Buffer[] = []
      for await (const chunk of readBytes(source!, Buffer.byteLength(text))) rest.push(chunk)
      expect(rest).toEqual([])
      // A prefix with no data objects, and a malformed URL, are bad input before anything is written.
      expect((await dynx('load', target, `s3://${bucket}/nothing-here/`)).code).toBe(2)
      expect((await dynx('load', target, 's3://Bad_Bucket/x')).code).toBe(2)
    },
    SLOW,
  )

  it('in a protected environment, --enable-pitr is a write that needs the environment named; an export alone is not asked', async () => {
    const table = uniqueName('exp_prot')
    await tableWithItems(table, sampleItems(3))
    const dir = tempDir('dynx-protected-')
    writeFileSync(join(dir, 'dynx.config.yaml'), `environments:\n  prod:\n    endpoint: ${endpoint}\n    region: us-east-1\n    protected: true\n`)
    const inProd = (...args: string[]) => runCli([...args, '--env', 'prod'], { cwd: dir })
    const refusal = '"prod" is a protected environment'
    const asked = await inProd('export', table, `s3://${bucket}/prot`, '--enable-pitr')
    expect(asked.code).toBe(2)
    expect(asked.stderr).toContain(refusal)
    expect(await pitrStatus(table)).toBe('DISABLED')
    const confirmed = await inProd('export', table, `s3://${bucket}/prot`, '--enable-pitr', '--yes', '--confirm-env', 'prod', '--json')
    expect(confirmed.code, confirmed.stderr).toBe(0)
    expect(json<ExportResult>(confirmed.stdout)).toMatchObject({ pitrEnabled: true })
    const again = await inProd('export', table, `s3://${bucket}/prot`, '--json')
    expect(again.stderr).not.toContain(refusal)
    expect(again.code, again.stderr).toBe(0)
    expect(json<ExportResult>(again.stdout).followed).toBe(true)
  })
})
