import { UserInputError } from '../errors.js'

/** A bucket and a key (or key prefix) in it. */
export interface S3Location {
  bucket: string
  /** Without a leading slash; may be empty (the bucket's root). */
  key: string
}

// S3's rules for bucket names: 3-63 characters of a-z 0-9 . -, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/**
 * Parses `s3://bucket/key/prefix`. Anything else (another scheme, a bucket name S3 would refuse,
 * empty path segments, spaces) is bad input, found before anything is asked of AWS.
 */
export function parseS3Url(url: string, what = 'The S3 location'): S3Location {
  const example = 'Example: s3://my-bucket/exports/users'
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(url)
  if (!m) throw new UserInputError(`${what} "${url}" is not an s3:// URL.`, example)
  const bucket = m[1] ?? ''
  const key = m[2] ?? ''
  if (!bucket) throw new UserInputError(`${what} "${url}" names no bucket.`, example)
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new UserInputError(
      `${what} "${url}": "${bucket}" is not a valid S3 bucket name.`,
      'Bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.',
    )
  }
  if (/[\s\\]/.test(key) || [...key].some((c) => c.charCodeAt(0) < 0x20)) throw new UserInputError(`${what} "${url}" has spaces or control characters in its key.`, example)
  if (
    key
      .replace(/\/+$/, '')
      .split('/')
      .some((part, i, all) => part === '' && all.length > 1)
  ) {
    throw new UserInputError(`${what} "${url}" has an empty path segment ("//").`, example)
  }
  if (key.length > 1024) throw new UserInputError(`${what} "${url}" has a key longer than S3's 1024 characters.`, example)
  return { bucket, key }
}

export const s3Url = (loc: S3Location) => `s3://${loc.bucket}/${loc.key}`

/** Where DynamoDB wrote one export: `<prefix>/AWSDynamoDB/<export-id>/` (manifest files and data/). */
export interface ExportFolder extends S3Location {
  /** The export's id: the last part of its ARN on AWS. */
  exportId: string
}

const EXPORT_FOLDER = /^(?:(.*)\/)?AWSDynamoDB\/([^/]+)\/?(?:data\/?|manifest-(?:files|summary)\.json)?$/

/** The folder of an export, from an `s3://.../AWSDynamoDB/<export-id>/` URL (or its data/ or a manifest in it); undefined when it is no such URL. */
export function exportFolderOf(loc: S3Location): ExportFolder | undefined {
  const m = EXPORT_FOLDER.exec(loc.key)
  if (!m?.[2]) return undefined
  return { bucket: loc.bucket, key: `${m[1] ? `${m[1]}/` : ''}AWSDynamoDB/${m[2]}/`, exportId: m[2] }
}

/** Parses an export folder's URL; any other URL is bad input that says what one looks like. */
export function parseExportFolderUrl(url: string, what = 'The export folder'): ExportFolder {
  const folder = exportFolderOf(parseS3Url(url, what))
  if (!folder) {
    throw new UserInputError(
      `${what} "${url}" is not the folder of a DynamoDB export.`,
      'Give s3://BUCKET/PREFIX/AWSDynamoDB/<export-id>/ (`dynx export describe ARN` prints it; the folder holds manifest-summary.json and data/).',
    )
  }
  return folder
}
