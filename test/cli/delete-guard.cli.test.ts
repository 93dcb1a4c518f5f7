import { ListBackupsCommand, UpdateContinuousBackupsCommand } from '@aws-sdk/client-dynamodb'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'

import { batchWriteItems } from '../../src/data/batch-write.js'
import { createTable } from '../../src/tables/create.js'
import { connect, runCli, tempDir, uniqueName } from '../helpers.js'
import { allItems } from '../scan-fixtures.js'
import type { EngineEndpoints } from '../setup/engines.js'

// `dynx delete` in a protected environment of dynx.config needs a way back: --backup (an on-demand
// backup taken and waited for first) or PITR on the table. On moto, which has backups and PITR.

const engines = inject('engines') as EngineEndpoints
const LONG = 120_000

describe('delete in a protected environment (CLI, moto)', () => {
  const conn = connect(engines.moto)
  const prefix = `${uniqueName('prot')}_`
  const dir = tempDir('dynx-delete-guard-')
  writeFileSync(join(dir, 'dynx.config.yaml'), `environments:\n  prod:\n    endpoint: ${engines.moto}\n    prefix: ${prefix}\n    protected: true\n`)
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: { DYNX_HOME: join(dir, 'home') }, timeoutMs: LONG })
  afterAll(() => conn.destroy())

  const seed = async (name: string) => {
    await createTable(conn, { name: `${prefix}${name}`, hashKey: { name: 'pk', type: 'S' } }, { wait: true })
    await batchWriteItems(
      conn,
      `${prefix}${name}`,
      Array.from({ length: 30 }, (_, i) => ({ pk: { S: `k${i}` }, stale: { BOOL: i < 10 } })),
    )
  }
  const filter = ['--filter', 'stale = :t', '--values', '{":t":true}', '--env', 'prod', '--yes', '--confirm-env', 'prod']

  it('without PITR or --backup: exit 2, nothing deleted; with --backup: a backup is taken first, then the items are deleted', { timeout: LONG }, async () => {
    await seed('events')
    const refused = await cli(['delete', 'events', ...filter])
    expect(refused.code, refused.stderr).toBe(2)
    expect(refused.stderr).toMatch(/protected environment "prod" and has no point-in-time recovery/)
    expect(refused.stderr).toMatch(/--backup/)
    expect(await allItems(conn, `${prefix}events`)).toHaveLength(30)

    const r = await cli(['delete', 'events', ...filter, '--backup', '--json'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const result = JSON.parse(r.stdout) as { deleted: number; backup?: string }
    expect(result.deleted).toBe(10)
    const backups = await conn.dynamodb.send(new ListBackupsCommand({ TableName: `${prefix}events` }))
    expect(backups.BackupSummaries?.map((b) => b.BackupArn)).toContain(result.backup)
    expect(await allItems(conn, `${prefix}events`)).toHaveLength(20)
  })

  it('with PITR on the table: deleted without --backup', { timeout: LONG }, async () => {
    await seed('orders')
    await conn.dynamodb.send(new UpdateContinuousBackupsCommand({ TableName: `${prefix}orders`, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }))
    const r = await cli(['delete', 'orders', ...filter, '--json'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ deleted: 10, outcome: 'ok' })
  })
})
