import type { TableDescription } from '@aws-sdk/client-dynamodb'
import { hash } from 'node:crypto'

import { binaryFromBase64, type Item } from '../data/values.js'
import { defaultSegmentCount } from '../scan/parallel-scan.js'
import { canonicalItemText, compareNumbers } from './canonical.js'

/**
 * What both verifies share (tables with tables, files with a table): the checksum buckets, item
 * digests, key schemas and key order. Not part of the library's API.
 */

/**
 * 2^16 buckets. A difference makes (at most) two buckets differ, and the second pass keeps only the
 * keys of items in differing buckets: with few differences that is about 2 × diffs × items/65536
 * keys (1M items, 20 diffs: ~600 keys), while the buckets themselves take 1.25 MB per table.
 */
const BUCKET_BITS = 16
export const BUCKETS = 1 << BUCKET_BITS
const LANES = 4

/**
 * Per-bucket item count and checksum of one table. The checksum adds each item's 128-bit digest
 * as four 32-bit lanes, each mod 2^32 (a Uint32Array wraps on store): as cheap as XOR, and
 * unlike XOR a duplicated item does not cancel itself out. Together with the count, two buckets
 * with the same items (in any order) are equal, and different ones differ unless 128-bit digests
 * collide.
 */
export class Buckets {
  readonly counts = new Uint32Array(BUCKETS)
  readonly lanes = new Uint32Array(BUCKETS * LANES)
  items = 0

  /** Adds an item's digest to its bucket: by default the digest's own, or `bucket` (e.g. one chosen by key). */
  add(digest: string, bucket = bucketOfDigest(digest)): void {
    this.change(digest, bucket, 1)
  }

  /** Takes back what add(digest, bucket) added (a repeated key whose later occurrence wins). */
  remove(digest: string, bucket = bucketOfDigest(digest)): void {
    this.change(digest, bucket, -1)
  }

  private change(digest: string, b: number, sign: 1 | -1): void {
    const lanes = this.lanes
    const at = b * LANES
    this.counts[b] += sign
    lanes[at] += sign * lane(digest, 0)
    lanes[at + 1] += sign * lane(digest, 4)
    lanes[at + 2] += sign * lane(digest, 8)
    lanes[at + 3] += sign * lane(digest, 12)
    this.items += sign
  }

  checksum(): string {
    const sum = new Uint32Array(LANES)
    for (let i = 0; i < this.lanes.length; i += LANES) for (let k = 0; k < LANES; k++) sum[k] += this.lanes[i + k]
    return [...sum].map((x) => x.toString(16).padStart(8, '0')).join('')
  }

  /** 1 for each bucket whose count or checksum differs from `other`'s. */
  differing(other: Buckets): { flags: Uint8Array; count: number } {
    const flags = new Uint8Array(BUCKETS)
    let count = 0
    for (let b = 0; b < BUCKETS; b++) {
      const at = b * LANES
      if (
        this.counts[b] !== other.counts[b] ||
        this.lanes[at] !== other.lanes[at] ||
        this.lanes[at + 1] !== other.lanes[at + 1] ||
        this.lanes[at + 2] !== other.lanes[at + 2] ||
        this.lanes[at + 3] !== other.lanes[at + 3]
      ) {
        flags[b] = 1
        count++
      }
    }
    return { flags, count }
  }
}

/**
 * SHA-1 of the canonical text, as 20 latin1 characters (Node's 'binary': one per byte). Measured on Node 24 with
 * one-shot crypto.hash: SHA-1 ~0.6 µs for a 120-byte item and ~1.1 µs for 1 KB, MD5 0.8/2.0 µs
 * (SHA-1 has CPU instructions, MD5 none); latin1 output skips a Buffer per item. Not a security
 * use: only accidental collisions matter, and 128 of the 160 bits are used.
 */
export const digestOf = (item: Item): string => hash('sha1', canonicalItemText(item), 'binary')

export const lane = (d: string, i: number): number => (d.charCodeAt(i) | (d.charCodeAt(i + 1) << 8) | (d.charCodeAt(i + 2) << 16) | (d.charCodeAt(i + 3) << 24)) >>> 0

export const bucketOfDigest = (digest: string): number => lane(digest, 0) & (BUCKETS - 1)

/**
 * The bucket of a key (its canonicalKeyText), FNV-1a over its UTF-16 code units: every version of
 * one key lands in the same bucket, which a repeated key in a file needs (only its last counts).
 */
export function bucketOfKey(keyText: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < keyText.length; i++) h = Math.imul(h ^ keyText.charCodeAt(i), 0x01000193)
  return (h ^ (h >>> 16)) & (BUCKETS - 1)
}

export interface KeySchemaPart {
  name: string
  type: string
}

export function keySchemaOf(d: TableDescription): KeySchemaPart[] {
  const types = new Map((d.AttributeDefinitions ?? []).map((a) => [a.AttributeName!, a.AttributeType ?? '?']))
  const order = (t?: string) => (t === 'HASH' ? 0 : 1)
  return [...(d.KeySchema ?? [])].sort((a, b) => order(a.KeyType) - order(b.KeyType)).map((k) => ({ name: k.AttributeName!, type: types.get(k.AttributeName!) ?? '?' }))
}

export const schemaText = (s: KeySchemaPart[]) => s.map((k, i) => `${k.name} (${k.type}, ${i === 0 ? 'partition' : 'sort'} key)`).join(', ')

type WireValue = { S?: string; N?: string; B?: Uint8Array | string }

/** Key order: strings by code unit, numbers by value, binary by bytes; attribute by attribute. */
export function compareKeys(keyNames: string[]): (a: Item, b: Item) => number {
  const bytes = (b: Uint8Array | string) => (typeof b === 'string' ? Buffer.from(b, 'base64') : Buffer.from(b))
  return (a, b) => {
    for (const name of keyNames) {
      const x = a[name] as WireValue
      const y = b[name] as WireValue
      let c = 0
      if (x.S !== undefined && y.S !== undefined) c = x.S < y.S ? -1 : x.S > y.S ? 1 : 0
      else if (x.N !== undefined && y.N !== undefined) c = compareNumbers(x.N, y.N)
      else if (x.B !== undefined && y.B !== undefined) c = Buffer.compare(bytes(x.B), bytes(y.B))
      if (c) return c
    }
    return 0
  }
}

/** Keys were read as wire JSON; a returned Item holds binary as Uint8Array like every other. */
export function reviveKeyBinary(key: Item): Item {
  const out: Item = {}
  for (const [name, v] of Object.entries(key)) out[name] = typeof (v as WireValue).B === 'string' ? { B: binaryFromBase64((v as WireValue).B as string) } : v
  return out
}

/** The key attributes of an item. */
export function keyOf(item: Item, keyNames: readonly string[]): Item {
  const key: Item = {}
  for (const name of keyNames) key[name] = item[name]
  return key
}

/** Scan segments of a verify: one per 2 GB of the (larger) table, at least 4. */
export const defaultVerifySegments = (tableBytes: number): number => Math.max(4, defaultSegmentCount(tableBytes))
