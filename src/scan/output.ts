import Table from 'cli-table3'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Writable } from 'node:stream'

import { parseRawItem, plainCell, plainItemJson, rawItemJson, type Item } from '../data/values.js'
import { DynxError, UserInputError } from '../errors.js'

export const SCAN_FORMATS = ['jsonl', 'json', 'csv', 'table'] as const
export type ScanFormat = (typeof SCAN_FORMATS)[number]

/** What a checkpoint records about the output, so a resumed run continues it exactly. */
export interface OutputState {
  /** Bytes of the partial file that belong to committed pages; anything after is cut on resume. */
  bytes: number
  items: number
  /** CSV without --attributes: the columns seen so far (rows are spooled until the end). */
  columns?: string[]
}

export interface ScanOutputOptions {
  format: ScanFormat
  raw?: boolean
  /** Final file; written as FILE.partial and renamed when complete. Absent: `stdout`. */
  file?: string
  stdout?: Writable
  /** CSV columns from --attributes; else the union of top-level names, key attributes first. */
  columns?: string[]
  keyNames?: string[]
  /** Continue a partial file from a checkpoint. */
  resume?: OutputState
}

const TABLE_ROWS = 500
const TABLE_CELL = 60

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

const csvRow = (columns: string[], item: Item) => `${columns.map((c) => csvField(plainCell(item[c]))).join(',')}\n`
const csvHeader = (columns: string[]) => `${columns.map(csvField).join(',')}\n`

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ')
  return oneLine.length > TABLE_CELL ? `${oneLine.slice(0, TABLE_CELL - 1)}…` : oneLine
}

/** Columns of a set of items: key attributes first, then names in the order first seen. */
function unionColumns(known: string[], items: Item[], keyNames: string[]): string[] {
  const seen = new Set(known)
  const out = [...known]
  for (const k of keyNames) {
    if (!seen.has(k) && items.some((i) => k in i)) {
      seen.add(k)
      out.splice(keyNames.indexOf(k), 0, k)
    }
  }
  for (const item of items) {
    for (const k in item) {
      if (!seen.has(k)) {
        seen.add(k)
        out.push(k)
      }
    }
  }
  return out
}

export function renderItemsTable(items: Item[], keyNames: string[]): string {
  const columns = unionColumns([], items, keyNames)
  const t = new Table({ head: columns, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } })
  for (const item of items) t.push(columns.map((c) => clip(plainCell(item[c]))))
  return `${t.toString()}\n`
}

/**
 * Where scan results go, in one of four formats, with bounded memory. A file is written as
 * FILE.partial and renamed when complete, so FILE never holds half a scan; the byte count in
 * `state` lets a checkpointed run cut off an unrecorded tail and append exactly where it stopped.
 */
export class ScanOutput {
  private fh?: FileHandle
  private spool?: string
  private readonly state: OutputState
  readonly partialPath?: string

  private constructor(private readonly o: ScanOutputOptions) {
    this.state = { bytes: o.resume?.bytes ?? 0, items: o.resume?.items ?? 0, ...(o.resume?.columns ? { columns: o.resume.columns } : {}) }
    if (o.file) this.partialPath = `${o.file}.partial`
  }

  static validate(o: Pick<ScanOutputOptions, 'format' | 'raw'>): void {
    if (!SCAN_FORMATS.includes(o.format)) throw new UserInputError(`Unknown --format ${o.format}.`, `Use one of ${SCAN_FORMATS.join(', ')}.`)
    if (o.raw && (o.format === 'csv' || o.format === 'table')) {
      throw new UserInputError(`--raw writes DynamoDB JSON and cannot be combined with --format ${o.format}.`, 'Use --format jsonl or --format json with --raw.')
    }
  }

  /** CSV without known columns spools rows (as DynamoDB JSON lines) to learn every column first. */
  private get spooling(): boolean {
    return this.o.format === 'csv' && !this.o.columns
  }

  static async open(o: ScanOutputOptions): Promise<ScanOutput> {
    ScanOutput.validate(o)
    const out = new ScanOutput(o)
    await out.openTarget()
    return out
  }

  private async openTarget(): Promise<void> {
    const { file, resume } = this.o
    let path = this.partialPath
    if (!file && this.spooling) path = this.spool = join(tmpdir(), `dynx-scan-${process.pid}-${Date.now()}.spool`)
    if (path) {
      if (resume && file) {
        const size = existsSync(path) ? statSync(path).size : -1
        if (size < resume.bytes) {
          throw new UserInputError(
            `The checkpoint says ${path} holds ${resume.bytes} bytes, but it ${size < 0 ? 'is missing' : `has ${size}`}.`,
            'The partial output was moved or cut short; delete the checkpoint to start the scan over.',
          )
        }
        this.fh = await open(path, 'r+')
        await this.fh.truncate(resume.bytes)
      } else {
        this.fh = await open(path, 'w')
        this.state.bytes = 0
      }
    }
    if (!resume) {
      if (this.o.format === 'json') await this.write('[\n')
      if (this.o.format === 'csv' && this.o.columns) await this.write(csvHeader(this.o.columns))
    }
  }

  private async write(text: string): Promise<void> {
    if (text) await this.writeBuffers([Buffer.from(text)])
  }

  private async writeBuffers(buffers: Buffer[]): Promise<void> {
    const length = buffers.reduce((n, b) => n + b.length, 0)
    if (length === 0) return
    if (this.fh) {
      let written = 0
      while (written < length) {
        const rest = written === 0 ? buffers : [Buffer.concat(buffers).subarray(written)]
        const { bytesWritten } = await this.fh.writev(rest, this.state.bytes + written)
        written += bytesWritten
      }
      this.state.bytes += length
      return
    }
    const out = this.o.stdout ?? process.stdout
    if (out.destroyed || out.writableEnded) throw new OutputClosedError('The output stream was closed.')
    let ok = true
    for (const b of buffers) ok = out.write(b)
    if (!ok)
      await new Promise<void>((resolve, fail) => {
        const onError = (e: Error) => fail(e)
        const onClose = () => fail(new OutputClosedError('The output stream was closed.'))
        out.once('error', onError)
        out.once('close', onClose)
        out.once('drain', () => {
          out.off('error', onError)
          out.off('close', onClose)
          resolve()
        })
      })
  }

  /** Writes one page; resolves once it has reached the file (or the stream accepted it). */
  async writePage(items: Item[]): Promise<void> {
    if (items.length === 0) return
    const { format, raw } = this.o
    const keyNames = this.o.keyNames ?? []
    // A page becomes many small buffers rather than one big string: strings over ~128 KB go
    // straight to V8's old generation and linger until a full GC, which is what drove peak RSS.
    const chunks = new ChunkedText()
    if (this.spooling) {
      this.state.columns = unionColumns(this.state.columns ?? [], items, keyNames)
      for (const item of items) chunks.add(`${rawItemJson(item)}\n`)
    } else if (format === 'jsonl') {
      const toJson = raw ? rawItemJson : plainItemJson
      for (const item of items) chunks.add(`${toJson(item)}\n`)
    } else if (format === 'json') {
      const toJson = raw ? rawItemJson : plainItemJson
      for (let i = 0; i < items.length; i++) chunks.add(`${this.state.items + i > 0 ? ',\n' : ''}  ${toJson(items[i])}`)
    } else if (format === 'csv') {
      for (const item of items) chunks.add(csvRow(this.o.columns!, item))
    } else {
      for (let i = 0; i < items.length; i += TABLE_ROWS) chunks.add(renderItemsTable(items.slice(i, i + TABLE_ROWS), keyNames))
    }
    await this.writeBuffers(chunks.done())
    this.state.items += items.length
  }

  snapshot(): OutputState {
    return { ...this.state, ...(this.state.columns ? { columns: [...this.state.columns] } : {}) }
  }

  get items(): number {
    return this.state.items
  }

  /** Ends the output: closing bracket, CSV header + spooled rows, rename FILE.partial to FILE. */
  async finish(): Promise<void> {
    if (this.o.format === 'json') await this.write(this.state.items ? '\n]\n' : ']\n')
    if (this.spooling) {
      await this.fh?.close()
      this.fh = undefined
      const spoolPath = this.spool ?? this.partialPath!
      if (this.o.file) {
        const csvPath = `${this.o.file}.csv-partial`
        this.fh = await open(csvPath, 'w')
        this.state.bytes = 0
        await this.writeCsvFromSpool(spoolPath)
        await this.fh.close()
        this.fh = undefined
        await rename(csvPath, this.o.file)
        await rm(spoolPath, { force: true })
        return
      }
      await this.writeCsvFromSpool(spoolPath)
      await rm(spoolPath, { force: true })
      return
    }
    await this.fh?.close()
    this.fh = undefined
    if (this.o.file) await rename(this.partialPath!, this.o.file)
  }

  private async writeCsvFromSpool(spoolPath: string): Promise<void> {
    const columns = this.state.columns ?? []
    if (columns.length) await this.write(csvHeader(columns))
    const lines = createInterface({ input: createReadStream(spoolPath), crlfDelay: Infinity })
    let chunks = new ChunkedText()
    for await (const line of lines) {
      if (!line) continue
      chunks.add(csvRow(columns, parseRawItem(line)))
      if (chunks.full) {
        await this.writeBuffers(chunks.done())
        chunks = new ChunkedText()
      }
    }
    await this.writeBuffers(chunks.done())
  }

  /** Stops without finishing: FILE.partial stays (a checkpoint can continue it); a temp spool goes. */
  async abandon(): Promise<void> {
    await this.fh?.close().catch(() => {})
    this.fh = undefined
    if (this.spool) await rm(this.spool, { force: true })
  }
}

const CHUNK_CHARS = 32 * 1024

/** Text collected as buffers of about 32 K characters each. */
class ChunkedText {
  private text = ''
  private readonly buffers: Buffer[] = []
  add(s: string): void {
    this.text += s
    if (this.text.length >= CHUNK_CHARS) {
      this.buffers.push(Buffer.from(this.text))
      this.text = ''
    }
  }
  /** About a megabyte collected: time to write it out. */
  get full(): boolean {
    return this.buffers.length >= 32
  }

  done(): Buffer[] {
    if (this.text) this.buffers.push(Buffer.from(this.text))
    this.text = ''
    return this.buffers
  }
}

/** Thrown when the reader of stdout went away (e.g. `dynx scan t | head`). */
export class OutputClosedError extends DynxError {}
