import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import type { TableDescription } from '@aws-sdk/client-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'

import { createConnection, type Connection } from '../src/connection/clients.js'
import { batchWriteItems } from '../src/data/batch-write.js'
import type { Item } from '../src/data/values.js'
import { createTable } from '../src/tables/create.js'
import type { TableSpec } from '../src/tables/spec.js'

export const REPO = resolve(import.meta.dirname, '..')
export const BIN = join(REPO, 'bin', 'run.js')

/** Table names unique per test run, so test files can share one engine. */
export function uniqueName(base: string): string {
  return `${base}_${randomBytes(4).toString('hex')}`
}

export function connect(endpoint: string): Connection {
  return createConnection({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, requestTimeoutMs: 10_000 })
}

export function tempDir(label = 'dynx-test-'): string {
  return mkdtempSync(join(tmpdir(), label))
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI as a user would: a subprocess, no TTY, its own environment. */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((ok) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd ?? REPO,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        ok({ code, stdout, stderr })
      },
    )
  })
}

/** Provisioned read/write capacity of a table and each of its GSIs: `{ table: [r, w], index: [r, w] }`. */
export function capacityOf(d: TableDescription): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = { table: [d.ProvisionedThroughput!.ReadCapacityUnits!, d.ProvisionedThroughput!.WriteCapacityUnits!] }
  for (const g of d.GlobalSecondaryIndexes ?? []) out[g.IndexName!] = [g.ProvisionedThroughput!.ReadCapacityUnits!, g.ProvisionedThroughput!.WriteCapacityUnits!]
  return out
}

/** A provisioned table at 5/4 with a GSI byEmail at 3/2, ACTIVE: what the capacity bump tests raise and restore. */
export async function createBumpTable(conn: Connection, name: string): Promise<string> {
  await createTable(
    conn,
    {
      name,
      hashKey: { name: 'pk', type: 'S' },
      billing: 'PROVISIONED',
      read: 5,
      write: 4,
      indexes: [{ name: 'byEmail', hashKey: { name: 'email', type: 'S' }, projection: 'ALL', read: 3, write: 2 }],
    },
    { wait: true },
  )
  return name
}

/**
 * A table keyed by `pk` (S), on demand, with an `email-index` GSI (as the export, import and
 * copy --via tests use), holding `items` (each written, or the test fails).
 */
export async function createTableWithItems(conn: Connection, name: string, items: Item[], extra: Partial<TableSpec> = {}): Promise<void> {
  await createTable(
    conn,
    {
      name,
      hashKey: { name: 'pk', type: 'S' },
      billing: 'PAY_PER_REQUEST',
      indexes: [{ name: 'email-index', hashKey: { name: 'email', type: 'S' }, projection: 'ALL' }],
      ...extra,
    },
    { wait: true },
  )
  if (items.length) {
    const { failed } = await batchWriteItems(conn, name, items)
    if (failed.length) throw new Error(`${failed.length} items of ${name} could not be written: ${JSON.stringify(failed[0])}`)
  }
}

/** A spec using every setting a table can have (keys, capacity, a GSI and an LSI, TTL, stream, PITR, tags). */
export function fullSpec(name: string): TableSpec {
  return {
    name,
    hashKey: { name: 'pk', type: 'S' },
    rangeKey: { name: 'sk', type: 'N' },
    billing: 'PROVISIONED',
    read: 3,
    write: 2,
    indexes: [{ name: 'by-email', hashKey: { name: 'email', type: 'S' }, projection: ['name'], read: 2, write: 1 }],
    localIndexes: [{ name: 'by-created', rangeKey: { name: 'createdAt', type: 'S' }, projection: 'KEYS_ONLY' }],
    ttl: 'expiresAt',
    stream: 'NEW_AND_OLD_IMAGES',
    pitr: true,
    tags: { team: 'core', env: 'test' },
  }
}

/** A table with a local secondary index `by-date` (ImportTable cannot create one: export, import and copy --via refuse it). */
export async function createLsiTable(conn: Connection, name: string): Promise<void> {
  await createTable(
    conn,
    {
      name,
      hashKey: { name: 'pk', type: 'S' },
      rangeKey: { name: 'sk', type: 'S' },
      billing: 'PAY_PER_REQUEST',
      localIndexes: [{ name: 'by-date', rangeKey: { name: 'date', type: 'S' }, projection: 'ALL' }],
    },
    { wait: true },
  )
}

/**
 * A connection to AWS (eu-west-1, dummy credentials) whose DynamoDB and S3 clients answer from
 * aws-sdk-client-mock, for what no local engine does; undone and closed by `cleanup` (run after each test).
 */
export function mockAws(cleanup: Array<() => void>) {
  const conn = createConnection({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  const ddb = mockClient(conn.dynamodb)
  const s3 = mockClient(conn.s3)
  cleanup.push(() => {
    ddb.restore()
    s3.restore()
    conn.destroy()
  })
  return { conn, ddb, s3 }
}
