import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

import { parseRawItem, rawItemJson, type Item } from '../data/values.js'
import { UserInputError } from '../errors.js'
import type { ScanPage, ScanPosition } from './parallel-scan.js'

/** Writes JSON to FILE by write-then-rename: a crash leaves the old file or the new one, never half of one. */
export function writeJsonFile(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.tmp`
  writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`)
  renameSync(tmp, file)
}

/** A page committed ahead of its turn: its position, and the state (or state update) that goes with it. */
interface HeldPage<S> {
  page: Pick<ScanPage, 'segment' | 'seq' | 'lastEvaluatedKey'>
  state?: S | ((previous: S) => S)
}

interface CheckpointFile<S> {
  version: 1
  kind: string
  /** What the run was (table, segments, filter...): a resume must match it. */
  fingerprint: Record<string, unknown>
  segments: number
  finished: number[]
  /** Segment -> the key to continue after, as DynamoDB JSON text. */
  next: Record<string, string>
  /** The consumer's own record at the same moment (e.g. bytes written to the output). */
  state: S
  updatedAt: string
}

/**
 * A per-segment scan position saved to a file. A page counts only once the consumer commits it
 * (after writing it out); commits may arrive out of order across pages of one segment (concurrent
 * writers) and are applied in page order, so a saved position never skips an unwritten page.
 * Saved by write-then-rename, so a crash leaves either the old or the new file, never half of one.
 */
export class ScanCheckpoint<S extends object = Record<string, unknown>> {
  private data: CheckpointFile<S>
  private expected = new Map<number, number>()
  private pending = new Map<number, Map<number, HeldPage<S>>>()

  private constructor(
    readonly file: string,
    data: CheckpointFile<S>,
    /** True when the file existed and this run continues it. */
    readonly resumed: boolean,
  ) {
    this.data = data
  }

  /** Opens FILE: continues it when it exists and matches, else starts a new one (not yet written). */
  static open<S extends object>(file: string, kind: string, segments: number, fingerprint: Record<string, unknown>, initialState: S): ScanCheckpoint<S> {
    if (!existsSync(file)) {
      return new ScanCheckpoint(file, { version: 1, kind, fingerprint, segments, finished: [], next: {}, state: initialState, updatedAt: new Date().toISOString() }, false)
    }
    let data: CheckpointFile<S>
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as CheckpointFile<S>
      if (data.version !== 1 || !Array.isArray(data.finished) || typeof data.next !== 'object') throw new Error('unknown layout')
    } catch (err) {
      throw new UserInputError(`The checkpoint ${file} cannot be read: ${(err as Error).message}.`, 'Delete it to start over, or pass the checkpoint file this run made.')
    }
    const mismatch = Object.keys({ ...fingerprint, ...data.fingerprint }).filter((k) => JSON.stringify(fingerprint[k]) !== JSON.stringify(data.fingerprint[k]))
    if (data.kind !== kind || data.segments !== segments || mismatch.length) {
      const what =
        data.segments !== segments
          ? [`segments ${data.segments} vs ${segments}`]
          : mismatch.map((k) => `${k} ${JSON.stringify(data.fingerprint[k])} vs ${JSON.stringify(fingerprint[k])}`)
      throw new UserInputError(
        `The checkpoint ${file} belongs to a different ${data.kind} (${what.join('; ') || `a ${data.kind}, not a ${kind}`}).`,
        'Re-run with the same table and options as the interrupted run, or delete the checkpoint to start over.',
      )
    }
    return new ScanCheckpoint(file, data, true)
  }

  /** The segment count an existing checkpoint file was made with (undefined if none or unreadable). */
  static savedSegments(file: string): number | undefined {
    try {
      const n = (JSON.parse(readFileSync(file, 'utf8')) as { segments?: unknown }).segments
      return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined
    } catch {
      return undefined
    }
  }

  get state(): S {
    return this.data.state
  }

  /** The position to hand to parallelScan's resumeFrom. */
  position(): ScanPosition {
    const next: Record<string, Item> = {}
    for (const [seg, key] of Object.entries(this.data.next)) next[seg] = parseRawItem(key)
    return { segments: this.data.segments, finished: [...this.data.finished], next }
  }

  get finishedSegments(): number {
    return this.data.finished.length
  }

  /**
   * Records that `page` has been written out, with the consumer's state after it: either the whole
   * state (the newest wins) or an update applied when the page's turn comes in its segment's order
   * (so a count in the state never includes a page whose position is not saved). Returns true when
   * the saved position moved (the page was next in its segment's order).
   */
  commit(page: ScanPage, state?: S | ((previous: S) => S)): boolean {
    const seg = page.segment
    const want = this.expected.get(seg) ?? 0
    if (page.seq !== want) {
      let m = this.pending.get(seg)
      if (!m) this.pending.set(seg, (m = new Map()))
      // Held back without its items (they may be many, and only the position matters now). Its
      // state waits with it: recorded now, the output's length would claim an unsaved page.
      m.set(page.seq, { page: { segment: seg, seq: page.seq, lastEvaluatedKey: page.lastEvaluatedKey }, state })
      return false
    }
    let current: HeldPage<S> | undefined = { page, state }
    let seq = want
    let latest: S | undefined
    while (current) {
      const key = current.page.lastEvaluatedKey
      if (key) this.data.next[String(seg)] = rawItemJson(key)
      else {
        delete this.data.next[String(seg)]
        if (!this.data.finished.includes(seg)) this.data.finished.push(seg)
      }
      if (typeof current.state === 'function') this.data.state = current.state(this.data.state)
      // This commit's state is the newest: it already counts the held-back pages applied with it.
      else latest ??= current.state
      seq++
      const m = this.pending.get(seg)
      current = m?.get(seq)
      m?.delete(seq)
    }
    if (latest) this.data.state = latest
    this.expected.set(seg, seq)
    return true
  }

  /** Whether the position has moved past this page (it and every page before it in its segment are committed). */
  covers(page: Pick<ScanPage, 'segment' | 'seq'>): boolean {
    return page.seq < (this.expected.get(page.segment) ?? 0)
  }

  save(): void {
    this.data.updatedAt = new Date().toISOString()
    writeJsonFile(this.file, this.data)
  }

  remove(): void {
    rmSync(this.file, { force: true })
  }
}
