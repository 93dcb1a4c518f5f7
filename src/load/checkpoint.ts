import { existsSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs'

import { UserInputError } from '../errors.js'
import { writeJsonFile } from '../scan/checkpoint.js'

/** A part of a source: a whole file, or a byte range of one (split at line boundaries). */
export interface PartState {
  /** Index into the load's sources. */
  source: number
  /** First byte of the range, and its line count before it. */
  start: number
  startLine: number
  /** Exclusive end of a byte range; absent: to the end of the source. */
  end?: number
  /** Everything before this offset is written or dead-lettered. */
  offset: number
  /** Lines before `offset`. */
  line: number
  loaded: number
  deadLettered: number
  /** Transform results: items dropped, and items made (an item may become several). */
  dropped: number
  /** CSV: the header (a resumed run starts after it). */
  header?: string[]
  done: boolean
}

interface LoadCheckpointFile {
  version: 1
  kind: 'load'
  fingerprint: Record<string, unknown>
  parts: PartState[]
  deadLetterFile: string
  /** The dead-letter file's length when this was saved: a resume cuts what came after. */
  deadLetterBytes: number
  updatedAt: string
}

/**
 * Where a load stands, per part of each source: the byte offset up to which every record is
 * acknowledged by the table or in the dead-letter file, with the counts at that offset. Dead
 * letters are appended only as their page is committed, and the file's length is saved with the
 * offsets, so a resumed load neither repeats nor loses one. Saved by write-then-rename.
 */
export class LoadCheckpoint {
  private constructor(
    readonly file: string | undefined,
    private data: LoadCheckpointFile,
    readonly resumed: boolean,
  ) {}

  /** Continues FILE when it exists and matches `fingerprint` (exit 2 when it does not), else a new one. */
  static open(file: string | undefined, fingerprint: Record<string, unknown>, deadLetterFile: string, parts: () => PartState[]): LoadCheckpoint {
    if (!file || !existsSync(file)) {
      return new LoadCheckpoint(file, { version: 1, kind: 'load', fingerprint, parts: parts(), deadLetterFile, deadLetterBytes: 0, updatedAt: new Date().toISOString() }, false)
    }
    let data: LoadCheckpointFile
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as LoadCheckpointFile
      if (data.version !== 1 || data.kind !== 'load' || !Array.isArray(data.parts)) throw new Error('not a load checkpoint')
    } catch (err) {
      throw new UserInputError(`The checkpoint ${file} cannot be read: ${(err as Error).message}.`, 'Delete it (or pass --restart) to load from the start.')
    }
    const changed = Object.keys({ ...fingerprint, ...data.fingerprint }).filter((k) => JSON.stringify(fingerprint[k]) !== JSON.stringify(data.fingerprint[k]))
    if (changed.length)
      throw new UserInputError(
        `The checkpoint ${file} belongs to another load (${changed.map((k) => `${k} differs`).join('; ')}): a source file changed, or the options did.`,
        'Re-run the interrupted command as it was, or pass --restart to load from the start.',
      )
    // Dead letters written after the last save belong to pages that will be read again.
    if (existsSync(data.deadLetterFile) && statSync(data.deadLetterFile).size > data.deadLetterBytes) truncateSync(data.deadLetterFile, data.deadLetterBytes)
    return new LoadCheckpoint(file, data, true)
  }

  get parts(): PartState[] {
    return this.data.parts
  }

  get deadLetterFile(): string {
    return this.data.deadLetterFile
  }

  save(deadLetterBytes: number): void {
    if (!this.file) return
    this.data.deadLetterBytes = deadLetterBytes
    this.data.updatedAt = new Date().toISOString()
    writeJsonFile(this.file, this.data)
  }

  remove(): void {
    if (this.file) rmSync(this.file, { force: true })
  }
}
