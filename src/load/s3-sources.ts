import { Readable } from 'node:stream'

import type { Connection } from '../connection/clients.js'
import { UserInputError } from '../errors.js'
import { listObjects, openObject, readObjectText } from '../exports/s3.js'
import { exportFolderOf, parseS3Url, s3Url, type S3Location } from '../exports/s3-url.js'
import type { LoadFormat } from './formats.js'
import type { LoadSource } from './sources.js'

const DATA_FILE = /\.(jsonl|ndjson|json|csv)(\.gz)?$/i
const MANIFEST = /(^|\/)manifest-(files|summary)\.json$/i

function formatOfKey(key: string): LoadFormat | undefined {
  const m = /\.(jsonl|ndjson|json|csv)(\.gz)?$/i.exec(key)
  if (!m) return undefined
  const ext = m[1]!.toLowerCase()
  return ext === 'csv' ? 'csv' : ext === 'json' ? undefined : 'jsonl'
}

/** One S3 object as a load source: read with GetObject, from an offset with a Range (uncompressed objects only). */
function objectSource(conn: Connection, bucket: string, object: { key: string; size: number; etag?: string }, format: LoadFormat | undefined, expectedItems?: number): LoadSource {
  const loc = { bucket, key: object.key }
  return {
    path: s3Url(loc),
    label: s3Url(loc),
    size: object.size,
    gzip: /\.gz$/i.test(object.key),
    format,
    ...(expectedItems !== undefined ? { expectedItems } : {}),
    s3: { ...loc, ...(object.etag ? { etag: object.etag } : {}) },
    // A Range past the end is an error in S3 (416): an object read to its end yields nothing more.
    open: async (start, end) => (start >= object.size || (end !== undefined && end <= start) ? Readable.from([]) : openObject(conn, loc, start, end)),
  }
}

/**
 * An export folder in S3 (`.../AWSDynamoDB/<export-id>/`): its data files through
 * manifest-files.json, each with the item count the manifest gives; an engine that writes no
 * manifest (moto) is read through the objects under data/.
 */
async function exportFolderSources(conn: Connection, folder: S3Location, forced?: LoadFormat, changes = false): Promise<LoadSource[]> {
  const label = s3Url(folder)
  const summaryText = await readObjectText(conn, { bucket: folder.bucket, key: `${folder.key}manifest-summary.json` })
  if (summaryText) {
    const summary = JSON.parse(summaryText) as { outputFormat?: string; exportType?: string }
    if (summary.outputFormat && summary.outputFormat !== 'DYNAMODB_JSON')
      throw new UserInputError(
        `${label} is an export in ${summary.outputFormat}, which dynx load does not read.`,
        'Export again with --format dynamodb-json (ExportFormat DYNAMODB_JSON).',
      )
    if (!changes && summary.exportType === 'INCREMENTAL_EXPORT')
      throw new UserInputError(`${label} is an incremental export (NewImage/OldImage records), not a full one.`, 'Load a full export.')
    if (changes && summary.exportType !== 'INCREMENTAL_EXPORT')
      throw new UserInputError(`${label} is a ${summary.exportType ?? 'full'} export, not an incremental one (change records).`, 'Give the folder of an incremental export.')
  }
  const objects = await listObjects(conn, { bucket: folder.bucket, key: `${folder.key}data/` })
  const byKey = new Map(objects.map((o) => [o.key, o]))
  const manifest = await readObjectText(conn, { bucket: folder.bucket, key: `${folder.key}manifest-files.json` })
  if (manifest === undefined) {
    if (!objects.length)
      throw new UserInputError(`${label} holds neither manifest-files.json nor data/ objects.`, 'Check the URL; `dynx export describe ARN` prints the folder of an export.')
    return objects.map((o) => objectSource(conn, folder.bucket, o, forced ?? 'jsonl'))
  }
  return manifest
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      let entry: { itemCount?: number; dataFileS3Key?: string }
      try {
        entry = JSON.parse(l) as typeof entry
      } catch {
        throw new UserInputError(`${label}manifest-files.json line ${i + 1} is not JSON.`, 'The export is damaged; export again.')
      }
      const object = byKey.get(entry.dataFileS3Key ?? '')
      if (!object)
        throw new UserInputError(`${label}: the manifest lists ${entry.dataFileS3Key ?? '(no key)'}, which is not under data/.`, 'The export is incomplete; export again.')
      return objectSource(conn, folder.bucket, object, forced ?? 'jsonl', entry.itemCount)
    })
}

/**
 * The sources of an `s3://` argument of `dynx load`: an export folder (through its manifest), one
 * object, or every data object (.jsonl, .json, .csv, .gz of them) under a prefix, in key order.
 * `changes`: the folder must be an incremental export (whose change records `copy --via` applies).
 */
export async function s3Sources(conn: Connection, url: string, forced?: LoadFormat, options: { changes?: boolean } = {}): Promise<LoadSource[]> {
  const loc = parseS3Url(url, 'The load source')
  const folder = exportFolderOf(loc)
  if (folder) return exportFolderSources(conn, folder, forced, options.changes)
  const objects = await listObjects(conn, loc)
  const exact = objects.find((o) => o.key === loc.key)
  if (exact) return [objectSource(conn, loc.bucket, exact, forced ?? formatOfKey(exact.key))]
  const data = objects.filter((o) => DATA_FILE.test(o.key) && !MANIFEST.test(o.key))
  if (!data.length)
    throw new UserInputError(
      `No data objects under ${url}.`,
      'Give a prefix holding .jsonl, .json, .csv (or .gz of them) objects, or an export folder (…/AWSDynamoDB/<export-id>/).',
    )
  return data.map((o) => objectSource(conn, loc.bucket, o, forced ?? formatOfKey(o.key)))
}
