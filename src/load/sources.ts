import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { glob, open, readdir } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'

import type { Connection } from '../connection/clients.js'

import { UserInputError } from '../errors.js'
import { LOAD_FORMATS, type LoadFormat } from './formats.js'
import { peekStdin } from './read.js'

/** One file (or stdin) to load. */
export interface LoadSource {
  /** Absolute path, or '-' for stdin. */
  path: string
  /** As shown to the user: the path as given or relative to the folder given. */
  label: string
  /** Bytes on disk (compressed when gzip); 0 for stdin. */
  size: number
  gzip: boolean
  /** From the extension or --format; undefined: decided from the content. */
  format?: LoadFormat
  /** Items the export manifest says the file holds. */
  expectedItems?: number
  /** An S3 object (path is its s3:// URL): where it is and its ETag, which stands for its modification time in a checkpoint. */
  s3?: { bucket: string; key: string; etag?: string }
  /** Opens the bytes from `start` (to `end`, exclusive) of a source that is not a local file. */
  open?: (start: number, end?: number) => Promise<Readable>
}

const DATA_FILE = /\.(jsonl|ndjson|json|csv)(\.gz)?$/i
const MANIFEST = /^manifest-(files|summary)\.json$/i

function formatOfName(name: string): LoadFormat | undefined {
  const m = /\.(jsonl|ndjson|json|csv)(\.gz)?$/i.exec(name)
  if (!m) return undefined
  const ext = m[1].toLowerCase()
  return ext === 'csv' ? 'csv' : ext === 'json' ? undefined : 'jsonl' // .json: an array, or lines (export data files); the content says
}

function fileSource(path: string, label: string, forced?: LoadFormat, expectedItems?: number): LoadSource {
  const gzip = /\.gz$/i.test(path) || startsWithGzipMagic(path)
  return { path, label, size: statSync(path).size, gzip, format: forced ?? formatOfName(path), ...(expectedItems !== undefined ? { expectedItems } : {}) }
}

function startsWithGzipMagic(path: string): boolean {
  const head = Buffer.alloc(2)
  const fd = openSync(path, 'r')
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    closeSync(fd)
  }
}

/**
 * DynamoDB's export to S3 (downloaded): `AWSDynamoDB/<export-id>/` holds manifest-summary.json,
 * manifest-files.json (one JSON line per data file: itemCount, dataFileS3Key...) and data/*.json.gz.
 */
function exportSources(dir: string, label: string, forced?: LoadFormat): LoadSource[] {
  const summaryPath = join(dir, 'manifest-summary.json')
  if (existsSync(summaryPath)) {
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { outputFormat?: string; exportType?: string }
    if (summary.outputFormat && summary.outputFormat !== 'DYNAMODB_JSON')
      throw new UserInputError(
        `${label} is an export in ${summary.outputFormat}, which dynx load does not read.`,
        'Export again with --format dynamodb-json (ExportFormat DYNAMODB_JSON).',
      )
    if (summary.exportType === 'INCREMENTAL_EXPORT')
      throw new UserInputError(
        `${label} is an incremental export (NewImage/OldImage records), not a full one.`,
        'Load a full export; incremental exports are applied by `dynx copy --via s3://`.',
      )
  }
  const lines = readFileSync(join(dir, 'manifest-files.json'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
  return lines.map((l, i) => {
    let entry: { itemCount?: number; dataFileS3Key?: string }
    try {
      entry = JSON.parse(l) as typeof entry
    } catch {
      throw new UserInputError(`${label}/manifest-files.json line ${i + 1} is not JSON.`, 'Download the export folder again; its manifest is damaged.')
    }
    const key = entry.dataFileS3Key ?? ''
    const at = key.lastIndexOf('/data/')
    const path = join(dir, 'data', at >= 0 ? key.slice(at + '/data/'.length) : basename(key))
    if (!key || !existsSync(path))
      throw new UserInputError(
        `${label}: the export manifest lists ${key || '(no key)'}, which is not in ${join(label, 'data')}.`,
        'Download the whole export folder (manifest files and data/).',
      )
    return fileSource(path, join(label, relative(dir, path)), forced ?? 'jsonl', entry.itemCount)
  })
}

async function folderSources(dir: string, label: string, forced?: LoadFormat): Promise<LoadSource[]> {
  if (existsSync(join(dir, 'manifest-files.json'))) return exportSources(dir, label, forced)
  // An export folder without its manifests (moto writes none): data/*.gz are DynamoDB JSON lines.
  if (existsSync(join(dir, 'data')) && statSync(join(dir, 'data')).isDirectory()) {
    const gz = (await readdir(join(dir, 'data'))).filter((n) => /\.gz$/i.test(n)).sort()
    if (gz.length && !(await readdir(dir)).some((n) => DATA_FILE.test(n))) return gz.map((n) => fileSource(join(dir, 'data', n), join(label, 'data', n), forced ?? 'jsonl'))
  }
  const names = (await readdir(dir, { recursive: true })).filter((n) => DATA_FILE.test(n) && !MANIFEST.test(basename(n))).sort()
  const files = names.map((n) => join(dir, n)).filter((p) => statSync(p).isFile())
  if (!files.length)
    throw new UserInputError(`The folder ${label} holds no data files.`, 'Give files ending in .jsonl, .json, .csv (or .gz of them), or an export folder with manifest-files.json.')
  return files.map((p) => fileSource(p, join(label, relative(dir, p)), forced))
}

const GLOB = /[*?[{]/

/**
 * The sources of `dynx load TABLE SOURCE...`: files, folders (every data file in them, or an S3
 * export folder through its manifest), globs, and '-' for stdin. Missing files, globs matching
 * nothing and empty folders are bad input (exit 2), found before anything is read.
 */
export async function resolveSources(args: string[], forced?: LoadFormat, options: { connection?: () => Promise<Connection> } = {}): Promise<LoadSource[]> {
  if (forced !== undefined && !LOAD_FORMATS.includes(forced)) throw new UserInputError(`Unknown --format ${String(forced)}.`, `Use one of ${LOAD_FORMATS.join(', ')}.`)
  if (!args.length) throw new UserInputError('Give at least one SOURCE: a file, a folder, a glob, or - for stdin.', 'For example: dynx load users users.jsonl')
  const out: LoadSource[] = []
  for (const arg of args) {
    if (arg === '-') {
      if (out.some((s) => s.path === '-')) throw new UserInputError('stdin (-) is given twice.', 'Give - once.')
      out.push({ path: '-', label: 'stdin', size: 0, gzip: false, format: forced })
      continue
    }
    if (/^s3:\/\//i.test(arg)) {
      if (!options.connection) throw new UserInputError(`${arg}: s3:// sources are read by \`dynx load\` only.`, 'Download the objects first (aws s3 cp --recursive).')
      const { s3Sources } = await import('./s3-sources.js')
      out.push(...(await s3Sources(await options.connection(), arg, forced)))
      continue
    }
    const path = resolve(arg)
    if (existsSync(path)) {
      out.push(...(statSync(path).isDirectory() ? await folderSources(path, arg.replace(/\/+$/, ''), forced) : [fileSource(path, arg, forced)]))
      continue
    }
    if (GLOB.test(arg)) {
      const matches: string[] = []
      for await (const m of glob(arg)) matches.push(m)
      const files = matches.sort().filter((m) => statSync(m).isFile())
      if (!files.length) throw new UserInputError(`${arg} matches no file.`, 'Check the pattern (quote it so the shell does not expand it first), or give the files.')
      out.push(...files.map((m) => fileSource(resolve(m), m, forced)))
      continue
    }
    throw new UserInputError(`${arg}: no such file or folder.`, 'Check the path; give - to read from stdin.')
  }
  const seen = new Set<string>()
  for (const s of out) {
    if (s.path !== '-' && seen.has(s.path)) throw new UserInputError(`${s.label} is given twice.`, 'Give each file once (a folder includes its files).')
    seen.add(s.path)
  }
  return out
}

/** The first bytes of a source, decompressed: enough to tell the format and check the first items. */
export async function peek(source: LoadSource, bytes = 256 * 1024): Promise<Buffer> {
  if (source.path === '-') return peekStdin(bytes)
  if (source.open) return gunzipHead(source, await readAll(await source.open(0, Math.min(source.size, source.gzip ? 4 * bytes : bytes))), bytes)
  const fh = await open(source.path, 'r')
  try {
    const buf = Buffer.alloc(source.gzip ? Math.min(source.size, 4 * bytes) : Math.min(source.size, bytes))
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    return gunzipHead(source, buf.subarray(0, bytesRead), bytes)
  } finally {
    await fh.close()
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function gunzipHead(source: LoadSource, head: Buffer, bytes: number): Buffer {
  if (!source.gzip) return head
  try {
    return gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH: a truncated stream is fine */ }).subarray(0, bytes)
  } catch (err) {
    throw new UserInputError(`${source.label} is not readable gzip: ${(err as Error).message}.`, 'Give the file uncompressed, or check that it downloaded completely.')
  }
}

/** jsonl or json from the first non-blank character of the content; csv only by name or --format. */
export function formatOfContent(head: Buffer): LoadFormat | undefined {
  const text = head.toString('utf8').replace(/^\uFEFF/, '')
  const first = /\S/.exec(text)?.[0]
  return first === '[' ? 'json' : first === '{' ? 'jsonl' : undefined
}
