import { parse as parseCsv } from 'csv-parse'
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

import type { Item } from '../data/values.js'
import { isBlank, type ItemDecoder, type LoadFormat } from './formats.js'

/**
 * Streaming readers for `dynx load`: bytes in, records out, never a whole file in memory. Every
 * record carries the byte offset just past it (in the decompressed stream), so a checkpoint can
 * say "everything before this offset is acknowledged" and a resumed run starts reading there.
 */

/** One line (or array element, or CSV row): its item, or why it is not one. */
export interface LoadRecord {
  /** 1-based line number where the record starts. */
  line: number
  /** Decompressed byte offset just past the record. */
  end: number
  /** Line breaks before `end`: with it, the position to resume after this record. */
  endLine: number
  item?: Item
  error?: string
  /** The record's text, kept only when it is bad (for the dead-letter file). */
  text?: string
  /** A CSV header row (kept in the checkpoint: a resumed run starts after it). */
  header?: string[]
}

/** Where to start reading: a record boundary and the lines before it. */
export interface ReadPosition {
  offset: number
  line: number
}

export interface ByteSource {
  /** A path, or '-' for stdin. */
  path: string
  gzip: boolean
  /** Opens a source that is not a local file (an S3 object) from `start`, to `end` exclusive. */
  open?: (start: number, end?: number) => Promise<Readable>
}

const CHUNK = 1 << 20
/** Records handed on at once (one await per batch rather than per line). */
const BATCH = 64

/**
 * stdin, read once: the first chunks a format check looked at (peekStdin) are kept and handed on
 * first when the load reads it, then the rest from the same iterator.
 */
const stdin: { iterator?: AsyncIterator<Buffer>; head: Buffer[] } = { head: [] }
const stdinIterator = () => (stdin.iterator ??= (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]())

/** The first `bytes` of stdin (or all of it, if shorter), kept for the load that reads it next. */
export async function peekStdin(bytes: number): Promise<Buffer> {
  let have = stdin.head.reduce((n, b) => n + b.length, 0)
  while (have < bytes) {
    const next = await stdinIterator().next()
    if (next.done) break
    stdin.head.push(next.value)
    have += next.value.length
  }
  return Buffer.concat(stdin.head).subarray(0, bytes)
}

async function* readStdin(): AsyncGenerator<Buffer> {
  while (stdin.head.length) yield stdin.head.shift()!
  for (let next = await stdinIterator().next(); !next.done; next = await stdinIterator().next()) yield next.value
}

/** The decompressed bytes of a source from `start` (exclusive `end`, uncompressed files only). */
export async function* readBytes(source: ByteSource, start = 0, end?: number): AsyncGenerator<Buffer> {
  if (source.path === '-') {
    if (start > 0) throw new Error('stdin cannot be read from an offset')
    return yield* readStdin()
  }
  const plainEnd = !source.gzip && end !== undefined ? end - 1 : undefined
  if (plainEnd !== undefined && plainEnd < start) return
  const raw: Readable = source.open
    ? await source.open(source.gzip ? 0 : start, plainEnd !== undefined ? plainEnd + 1 : undefined)
    : createReadStream(source.path, { highWaterMark: CHUNK, start: source.gzip ? 0 : start, ...(plainEnd !== undefined ? { end: plainEnd } : {}) })
  const stream: Readable = source.gzip ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw
  if (source.gzip) raw.on('error', (err) => stream.destroy(err))
  // A gzip stream cannot seek: decompress and drop what comes before `start`.
  let skip = source.gzip ? start : 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (skip >= chunk.length) {
        skip -= chunk.length
        continue
      }
      yield skip ? chunk.subarray(skip) : chunk
      skip = 0
    }
  } finally {
    stream.destroy()
  }
}

type Decode = (text: string) => Item

function record(line: number, end: number, endLine: number, text: string, decode: Decode): LoadRecord {
  try {
    return { line, end, endLine, item: decode(text) }
  } catch (err) {
    return { line, end, endLine, error: `not an item: ${(err as Error).message}`, text }
  }
}

/** JSON lines: one item per line; blank lines are skipped, \r\n is fine, a last line may lack \n. */
export async function* readLines(bytes: AsyncIterable<Buffer>, from: ReadPosition, decode: Decode): AsyncGenerator<LoadRecord[]> {
  let offset = from.offset
  let line = from.line
  let pending: Buffer[] = []
  let out: LoadRecord[] = []
  const take = (buf: Buffer, end: number) => {
    line++
    let text = buf.toString('utf8')
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    if (text.endsWith('\r')) text = text.slice(0, -1)
    if (!isBlank(text)) out.push(record(line, end, line, text, decode))
  }
  for await (const chunk of bytes) {
    let i = 0
    for (let j = chunk.indexOf(10, i); j !== -1; j = chunk.indexOf(10, i)) {
      const piece = chunk.subarray(i, j)
      take(pending.length ? Buffer.concat([...pending, piece]) : piece, offset + j + 1)
      pending = []
      i = j + 1
      // Handed on as they are decoded: a 1 MB chunk is some thousand lines to parse.
      if (out.length >= BATCH) {
        yield out
        out = []
      }
    }
    if (i < chunk.length) pending.push(chunk.subarray(i))
    offset += chunk.length
    if (out.length >= BATCH) {
      yield out
      out = []
    }
  }
  if (pending.length) take(Buffer.concat(pending), offset)
  if (out.length) yield out
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
const isOpen = (b: number) => b === 0x7b || b === 0x5b // { [
const isClose = (b: number) => b === 0x7d || b === 0x5d // } ]

/**
 * One JSON array of items, split into elements at the byte level (strings and nesting followed),
 * each element parsed on its own: the array is never held whole. `from.offset` > 0 resumes just
 * after an element, inside the array. A broken array (not closed, text after it) gives bad records.
 */
export async function* readJsonArray(bytes: AsyncIterable<Buffer>, from: ReadPosition, decode: Decode): AsyncGenerator<LoadRecord[]> {
  let offset = from.offset
  let line = from.line + 1
  // before: until '['; between: inside, between elements; in: inside an element; after: past ']'.
  let state: 'before' | 'between' | 'in' | 'after' = from.offset === 0 ? 'before' : 'between'
  let nested = false
  let depth = 0
  let inString = false
  let escaped = false
  let startLine = 0
  let start = 0
  let parts: Buffer[] = []
  let out: LoadRecord[] = []
  const bad = (error: string, text?: string) => out.push({ line, end: offset, endLine: line - 1, error, ...(text ? { text } : {}) })
  for await (const chunk of bytes) {
    start = 0
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]
      if (b === 0x0a) line++
      if (state === 'in') {
        if (inString) {
          if (escaped) escaped = false
          else if (b === 0x5c) escaped = true
          else if (b === 0x22) inString = false
          continue
        }
        if (b === 0x22) inString = true
        else if (nested ? isClose(b) && --depth === 0 : b === 0x2c || b === 0x5d) {
          const to = nested ? i + 1 : i
          parts.push(chunk.subarray(start, to))
          const text = Buffer.concat(parts).toString('utf8').trim()
          parts = []
          out.push(
            nested && text.startsWith('{')
              ? record(startLine, offset + to, line - 1, text, decode)
              : { line: startLine, end: offset + to, endLine: line - 1, error: 'not an item: an array element that is not a JSON object', text },
          )
          state = !nested && b === 0x5d ? 'after' : 'between'
        } else if (nested && isOpen(b)) depth++
        continue
      }
      if (isSpace(b) || (state === 'between' && b === 0x2c) || (state === 'before' && line === 1 && (b === 0xef || b === 0xbb || b === 0xbf))) continue
      if (state === 'before') {
        if (b !== 0x5b) throw new Error(`line ${line}: a JSON array of items must start with "["`)
        state = 'between'
      } else if (state === 'between') {
        if (b === 0x5d) state = 'after'
        else {
          state = 'in'
          startLine = line
          start = i
          nested = isOpen(b)
          depth = nested ? 1 : 0
          inString = b === 0x22
          escaped = false
        }
      } else {
        offset += i
        bad('not an item: text after the end of the JSON array')
        return yield out
      }
    }
    if (state === 'in') parts.push(chunk.subarray(start))
    offset += chunk.length
    if (out.length >= BATCH) {
      yield out
      out = []
    }
  }
  if (state === 'before') throw new Error('the file is empty: no JSON array')
  if (state === 'in') bad('not an item: the file ends inside an array element', Buffer.concat(parts).toString('utf8'))
  else if (state === 'between') bad('not an item: the JSON array is not closed with "]"')
  if (out.length) yield out
}

/**
 * CSV with a header line (RFC 4180 quoting, as `dynx scan --format csv` writes). `header` is the
 * header read before (a resumed run starts after it). A row with more cells than the header is bad.
 */
export async function* readCsv(
  bytes: AsyncIterable<Buffer>,
  from: ReadPosition,
  header: string[] | undefined,
  decode: (row: Record<string, string>) => Item,
): AsyncGenerator<LoadRecord[]> {
  const parser = Readable.from(bytes).pipe(parseCsv({ bom: from.offset === 0, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true }))
  const skipped: LoadRecord[] = []
  parser.on('skip', (err: Error & { lines?: number }) => {
    skipped.push({ line: from.line + (err.lines ?? 0), end: from.offset, endLine: from.line, error: `not a CSV row: ${err.message}` })
  })
  let columns = header
  let out: LoadRecord[] = []
  // csv-parse counts lines up to a record's end; a quoted cell may hold line breaks, so a record starts after the last one's end.
  let linesBefore = 0
  for await (const { record: cells, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number; lines: number } }>) {
    const end = from.offset + info.bytes
    const endLine = from.line + info.lines
    const line = from.line + linesBefore + 1
    linesBefore = info.lines
    if (skipped.length) out.push(...skipped.splice(0).map((r) => ({ ...r, end, endLine })))
    if (!columns) {
      columns = cells.map((c) => c.trim())
      out.push({ line, end, endLine, header: columns })
      continue
    }
    if (cells.length > columns.length) {
      out.push({ line, end, endLine, error: `not an item: ${cells.length} cells, but the header names ${columns.length} columns`, text: cells.join(',') })
      continue
    }
    const row: Record<string, string> = {}
    for (let i = 0; i < cells.length; i++) row[columns[i]] = cells[i]
    try {
      out.push({ line, end, endLine, item: decode(row) })
    } catch (err) {
      out.push({ line, end, endLine, error: `not an item: ${(err as Error).message}`, text: cells.join(',') })
    }
    if (out.length >= BATCH) {
      yield out
      out = []
    }
  }
  if (skipped.length) out.push(...skipped.splice(0))
  if (out.length) yield out
}

export interface RecordReaderOptions {
  format: LoadFormat
  decoder: ItemDecoder
  /** CSV: the header, when resuming after it. */
  header?: string[]
  /** Exclusive end offset (a byte range of an uncompressed JSON lines file). */
  end?: number
}

/** The records of one source (or byte range), from `from`. */
export function readRecords(source: ByteSource, from: ReadPosition, o: RecordReaderOptions): AsyncGenerator<LoadRecord[]> {
  const bytes = readBytes(source, from.offset, o.end)
  if (o.format === 'csv') return readCsv(bytes, from, o.header, (row) => o.decoder.fromCsv(row))
  const decode = (text: string) => o.decoder.fromJson(text)
  return o.format === 'json' ? readJsonArray(bytes, from, decode) : readLines(bytes, from, decode)
}
