import type { Connection } from '../connection/clients.js'
import { withPrefix } from '../connection/names.js'
import { DynxError, SchemaMismatchError } from '../errors.js'
import { BatchWriter, type WriteFailure } from '../copy/writer.js'
import { toWireItem, type Item } from '../data/values.js'
import { createTable, type CreateProgress } from './create.js'
import { describeTable } from './describe.js'
import type { TableSpec } from './spec.js'
import { waitForTableActive } from './wait.js'

/** The sample environment: users with a GSI on email, orders with a sort key and an LSI. */
export function sampleTableSpecs(prefix = ''): TableSpec[] {
  return [
    {
      name: withPrefix('users', prefix),
      hashKey: { name: 'userId', type: 'S' },
      billing: 'PAY_PER_REQUEST',
      indexes: [{ name: 'email-index', hashKey: { name: 'email', type: 'S' }, projection: 'ALL' }],
      tags: { app: 'dynx-sample' },
    },
    {
      name: withPrefix('orders', prefix),
      hashKey: { name: 'customerId', type: 'S' },
      rangeKey: { name: 'orderId', type: 'S' },
      billing: 'PAY_PER_REQUEST',
      localIndexes: [{ name: 'createdAt-index', rangeKey: { name: 'createdAt', type: 'S' }, projection: 'ALL' }],
      tags: { app: 'dynx-sample' },
    },
  ]
}

// Deterministic so a second bootstrap rewrites the same items instead of adding new ones.
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Leslie', 'Margaret', 'Tim']
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lamport', 'Hamilton', 'Berners-Lee']
const PRODUCTS = ['keyboard', 'monitor', 'cable', 'laptop stand', 'headset', 'webcam', 'desk lamp', 'notebook']
const pad = (n: number, w: number) => String(n).padStart(w, '0')
const isoDay = (r: () => number) => new Date(Date.UTC(2025, 0, 1) + Math.floor(r() * 365 * 86_400_000)).toISOString()

/** Sample users: every attribute type, and numbers with more digits than a JS number keeps. */
export function sampleUsers(count: number): Item[] {
  return [...sampleUserItems(count)]
}

/** The sample users one at a time, so that a million of them never sit in memory together. */
export function* sampleUserItems(count: number): Generator<Item> {
  const r = rng(42)
  for (let i = 0; i < count; i++) {
    const first = FIRST[Math.floor(r() * FIRST.length)]
    const last = LAST[Math.floor(r() * LAST.length)]
    const id = `user-${pad(i + 1, 6)}`
    yield {
      userId: { S: id },
      email: { S: `${first}.${last}.${i + 1}@example.com`.toLowerCase() },
      name: { S: `${first} ${last}` },
      status: { S: r() < 0.9 ? 'active' : 'suspended' },
      createdAt: { S: isoDay(r) },
      // 38 significant digits: survives only if never squeezed through a JS number.
      balance: { N: `${Math.floor(r() * 1e6)}.${pad(Math.floor(r() * 1e9), 9)}${pad(Math.floor(r() * 1e9), 9)}${pad(Math.floor(r() * 1e9), 9)}` },
      loginCount: { N: String(Math.floor(r() * 5000)) },
      roles: { SS: r() < 0.2 ? ['admin', 'user'] : ['user'] },
      avatar: { B: Uint8Array.from({ length: 8 }, () => Math.floor(r() * 256)) },
      address: { M: { city: { S: ['Lisbon', 'Oslo', 'Quito', 'Osaka'][Math.floor(r() * 4)] }, zip: { S: pad(Math.floor(r() * 99999), 5) } } },
      verified: { BOOL: r() < 0.7 },
      ...(r() < 0.3 ? { nickname: { NULL: true } } : {}),
    }
  }
}

export function sampleOrders(count: number, users: number): Item[] {
  return [...sampleOrderItems(count, users)]
}

/** The sample orders one at a time. */
export function* sampleOrderItems(count: number, users: number): Generator<Item> {
  const r = rng(7)
  for (let i = 0; i < count; i++) {
    const lines = 1 + Math.floor(r() * 3)
    const items = Array.from({ length: lines }, () => ({
      M: {
        product: { S: PRODUCTS[Math.floor(r() * PRODUCTS.length)] },
        quantity: { N: String(1 + Math.floor(r() * 4)) },
        price: { N: `${1 + Math.floor(r() * 500)}.${pad(Math.floor(r() * 100), 2)}` },
      },
    }))
    yield {
      customerId: { S: `user-${pad(1 + Math.floor(r() * Math.max(1, users)), 6)}` },
      orderId: { S: `order-${pad(i + 1, 8)}` },
      createdAt: { S: isoDay(r) },
      status: { S: ['placed', 'shipped', 'delivered', 'returned'][Math.floor(r() * 4)] },
      total: { N: `${1 + Math.floor(r() * 2000)}.${pad(Math.floor(r() * 100), 2)}` },
      items: { L: items },
      expiresAt: { N: String(1_900_000_000 + Math.floor(r() * 1e7)) },
    }
  }
}

/** Items generated and written this many at a time: memory stays flat however many are asked for. */
const WRITE_WINDOW = 2500

export interface BootstrapOptions {
  prefix?: string
  /** Items per table. */
  items?: number
  onProgress?: (p: CreateProgress) => void
}

export interface BootstrapResult {
  tables: { table: string; created: boolean; items: number }[]
}

/**
 * Creates the sample tables (or reuses them when their keys match) and fills them. Running it again
 * rewrites the same items, so it is safe to repeat.
 */
export async function bootstrapSampleTables(conn: Connection, options: BootstrapOptions = {}): Promise<BootstrapResult> {
  const count = options.items ?? 100
  const [usersSpec, ordersSpec] = sampleTableSpecs(options.prefix)
  const data: [TableSpec, Iterable<Item>][] = [
    [usersSpec, sampleUserItems(count)],
    [ordersSpec, sampleOrderItems(count, count)],
  ]
  const tables: BootstrapResult['tables'] = []
  for (const [spec, items] of data) {
    const created = await createTable(conn, spec, { wait: true, ifNotExists: true, onProgress: options.onProgress })
    if (!created.created) {
      await waitForTableActive(conn, spec.name)
      const live = (await describeTable(conn, spec.name)).spec
      if (live.hashKey.name !== spec.hashKey.name || live.rangeKey?.name !== spec.rangeKey?.name) {
        throw new SchemaMismatchError(`Table ${spec.name} exists with another key schema than the sample table.`, 'Use another --prefix for the sample tables.')
      }
    }
    options.onProgress?.({ table: spec.name, stage: 'settings', message: `writing ${count} items to ${spec.name}` })
    // One writer for the whole table: the first failure that is not about one item stops it, so no later window is tried.
    const writer = new BatchWriter(conn, spec.name, { concurrency: 4 })
    const failures: WriteFailure[] = []
    let window: Item[] = []
    const flush = async () => {
      failures.push(...(await writer.write(window.map(toWireItem))))
      window = []
      options.onProgress?.({ table: spec.name, stage: 'settings', message: `wrote ${writer.stats.written} of ${count} items to ${spec.name}` })
    }
    for (const item of items) {
      window.push(item)
      if (window.length === WRITE_WINDOW) await flush()
    }
    if (window.length) await flush()
    if (failures.length) throw new DynxError(`${failures.length} of ${count} sample items could not be written to ${spec.name}: ${failures[0].reason}`)
    const written = writer.stats.written
    tables.push({ table: spec.name, created: created.created, items: written })
  }
  return { tables }
}
