// The benchmark's items (about 1 KB each as DynamoDB JSON) and the seeding loop.
import { batchWriteItems, createTable } from '../dist/src/index.js'

const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
  'uniform',
  'victor',
  'whiskey',
  'xray',
  'yankee',
  'zulu',
]
const CITIES = ['Lisbon', 'Oslo', 'Tallinn', 'Valparaiso', 'Kyoto', 'Nairobi', 'Montreal', 'Hobart']
const STATUSES = ['active', 'pending', 'suspended', 'closed']
const BIG = 12345678901234567890123456789012n

/** A small deterministic generator (LCG), seeded per item so any item can be made on its own. */
function rng(seed) {
  let s = (seed * 2654435761) >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const pick = (r, list) => list[Math.floor(r() * list.length)]
const words = (r, n) => Array.from({ length: n }, () => pick(r, WORDS)).join(' ')

/** Item number i (from 0): the same every run, about 1 KB as DynamoDB JSON. */
export function benchItem(i) {
  const r = rng(i + 1)
  const id = `item-${String(i).padStart(9, '0')}`
  return {
    id: { S: id },
    name: { S: `${pick(r, WORDS)} ${pick(r, WORDS)}` },
    email: { S: `user.${i}@example.com` },
    status: { S: pick(r, STATUSES) },
    createdAt: { S: new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 730 * 86_400_000)).toISOString() },
    age: { N: String(18 + Math.floor(r() * 70)) },
    balance: { N: `${Math.floor(r() * 1_000_000)}.${String(Math.floor(r() * 100)).padStart(2, '0')}` },
    // More digits than a JS number keeps (38 significant digits at most in DynamoDB).
    ledger: { N: String(BIG * 1000n + BigInt(i)) },
    ratio: { N: `0.${String(Math.floor(r() * 1e9)).padStart(9, '0')}${String(i).padStart(9, '0')}` },
    active: { BOOL: r() < 0.8 },
    address: {
      M: {
        street: { S: `${1 + Math.floor(r() * 999)} ${pick(r, WORDS)} street` },
        city: { S: pick(r, CITIES) },
        zip: { S: String(10000 + Math.floor(r() * 89999)) },
        geo: { M: { lat: { N: (r() * 180 - 90).toFixed(6) }, lon: { N: (r() * 360 - 180).toFixed(6) } } },
      },
    },
    tags: { L: [{ S: pick(r, WORDS) }, { S: pick(r, WORDS) }, { S: pick(r, WORDS) }, { N: String(Math.floor(r() * 1000)) }, { BOOL: r() < 0.5 }] },
    scores: { L: Array.from({ length: 6 }, () => ({ N: String(Math.floor(r() * 100_000)) })) },
    description: { S: words(r, 60).slice(0, 330) },
  }
}

/** Creates `table` (hash key `id`) and writes items 0..count-1 in chunks, so memory stays small. */
export async function seedTable(conn, table, count, { chunk = 5000, concurrency = 8, onProgress } = {}) {
  await createTable(conn, { name: table, hashKey: { name: 'id', type: 'S' } }, { wait: true })
  const started = performance.now()
  let written = 0
  for (let from = 0; from < count; from += chunk) {
    const items = Array.from({ length: Math.min(chunk, count - from) }, (_, k) => benchItem(from + k))
    const result = await batchWriteItems(conn, table, items, { concurrency })
    if (result.failed.length) throw new Error(`seeding ${table}: ${result.failed.length} items failed, e.g. ${result.failed[0].reason}`)
    written += result.written
    onProgress?.(written)
  }
  if (written !== count) throw new Error(`seeding ${table}: wrote ${written} of ${count} items`)
  return { seconds: (performance.now() - started) / 1000 }
}
