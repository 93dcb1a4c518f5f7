import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { mkdir, readdir, readFile, rename } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { z } from 'zod'

import { UserInputError } from '../errors.js'
import { dynxHome } from '../home.js'
import { defaultLocalPath } from '../local/engine.js'
import type { LedgerConnection, TableThroughput, ThroughputChange } from './types.js'

export const LEDGER_KIND = 'dynx-throughput-ledger'

/**
 * What a bump changed, written (and fsync'd) before the first change is made, so the original
 * values survive a crash of dynx or of the job it runs. `status` turns "restored" only when
 * every change has been undone.
 */
export interface Ledger {
  kind: typeof LEDGER_KIND
  version: 1
  id: string
  createdAt: string
  status: 'open' | 'restored'
  restoredAt?: string
  pid: number
  hostname: string
  /** The job run under the bump, if any. */
  command?: string[]
  connection: LedgerConnection
  /** Every change dynx makes; restore puts each `from` value back. */
  changes: ThroughputChange[]
  /** Everything dynx read before changing anything: all units, changed or not. */
  original: TableThroughput[]
}

const Change = z.object({
  table: z.string().min(1),
  index: z.string().min(1).optional(),
  dimension: z.enum(['read', 'write']),
  mechanism: z.enum(['provisioned', 'on-demand', 'auto-scaling']),
  from: z.number().int().nonnegative(),
  to: z.number().int().positive(),
  fromMax: z.number().int().nonnegative().optional(),
  toMax: z.number().int().positive().optional(),
})

const LedgerFile = z.object({
  kind: z.literal(LEDGER_KIND),
  version: z.literal(1),
  id: z.string(),
  createdAt: z.string(),
  status: z.enum(['open', 'restored']),
  restoredAt: z.string().optional(),
  pid: z.number(),
  hostname: z.string(),
  command: z.array(z.string()).optional(),
  connection: z.object({
    endpoint: z.string().optional(),
    region: z.string().optional(),
    profile: z.string().optional(),
    local: z.boolean().optional(),
    localPath: z.string().optional(),
  }),
  changes: z.array(Change),
  original: z.array(z.any()),
})

export function ledgerDir(): string {
  return join(dynxHome(), 'ledgers')
}

/** ~/.dynx/ledgers/20261121T134501Z-users-orders-1a2b3c.json */
export function defaultLedgerPath(tables: string[], now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  const names =
    tables
      .slice(0, 3)
      .map((t) => t.replace(/[^A-Za-z0-9_.-]/g, '_'))
      .join('-') + (tables.length > 3 ? `-and-${tables.length - 3}-more` : '')
  return join(ledgerDir(), `${stamp}-${names}-${randomBytes(3).toString('hex')}.json`)
}

export function newLedger(changes: ThroughputChange[], original: TableThroughput[], connection: LedgerConnection, command?: string[]): Ledger {
  return {
    kind: LEDGER_KIND,
    version: 1,
    id: randomBytes(8).toString('hex'),
    createdAt: new Date().toISOString(),
    status: 'open',
    pid: process.pid,
    hostname: hostname(),
    ...(command && command.length ? { command } : {}),
    connection,
    changes,
    original,
  }
}

/**
 * Writes the ledger durably: a temp file is written and fsync'd, renamed over the ledger, and the
 * directory fsync'd, so after a crash the file holds either the old or the new ledger, whole.
 */
export async function writeLedger(path: string, ledger: Ledger): Promise<void> {
  const dir = dirname(resolve(path))
  await mkdir(dir, { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, `${JSON.stringify(ledger, null, 2)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  await rename(tmp, path)
  try {
    const dirFd = openSync(dir, 'r')
    try {
      fsyncSync(dirFd)
    } finally {
      closeSync(dirFd)
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  }
}

/** Reads and checks a ledger; anything that is not one is bad input (exit 2), and nothing is changed. */
export async function readLedger(path: string): Promise<Ledger> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new UserInputError(
      `Cannot read ledger ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
      'Check the path; ledgers are kept in ~/.dynx/ledgers unless --ledger named another file.',
    )
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw notALedger(path, 'it is not JSON')
  }
  if (!doc || typeof doc !== 'object' || (doc as { kind?: unknown }).kind !== LEDGER_KIND) throw notALedger(path, `it has no "kind": "${LEDGER_KIND}"`)
  const parsed = LedgerFile.safeParse(doc)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw notALedger(path, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data as Ledger
}

function notALedger(path: string, why: string): UserInputError {
  return new UserInputError(
    `${path} is not a dynx throughput ledger (${why}).`,
    'Pass the file `dynx throughput bump` printed, or `dynx throughput restore TABLE` to find the newest open ledger of a table.',
  )
}

/** Open ledgers in the ledger folder that change `table`, newest first. */
export async function findOpenLedgers(table?: string, dir: string = ledgerDir()): Promise<Array<{ path: string; ledger: Ledger }>> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json'))
  } catch {
    return []
  }
  const found: Array<{ path: string; ledger: Ledger }> = []
  for (const name of names) {
    const path = join(dir, name)
    try {
      const ledger = await readLedger(path)
      if (ledger.status === 'open' && (table === undefined || ledger.changes.some((c) => c.table === table))) found.push({ path, ledger })
    } catch {
      // Not a ledger (or unreadable): not ours to judge here.
    }
  }
  return found.sort((a, b) => b.ledger.createdAt.localeCompare(a.ledger.createdAt))
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/** The command that restores a ledger, with the connection it was made on. */
export function restoreCommand(path: string, connection: LedgerConnection): string {
  const args = ['dynx', 'throughput', 'restore', '--ledger', path]
  // The store is named only when it is not the one a plain --local opens.
  const otherStore = connection.local && connection.localPath && resolve(connection.localPath) !== defaultLocalPath()
  const env = otherStore ? `DYNX_LOCAL_PATH=${shellQuote(connection.localPath ?? '')} ` : ''
  if (connection.local) args.push('--local')
  else {
    if (connection.endpoint) args.push('--endpoint', connection.endpoint)
    if (connection.region) args.push('--region', connection.region)
    if (connection.profile) args.push('--profile', connection.profile)
  }
  return env + args.map(shellQuote).join(' ')
}
