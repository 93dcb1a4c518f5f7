import type { Readable } from 'node:stream'

import type { Connection } from '../connection/clients.js'
import { UserInputError, explainAwsError } from '../errors.js'
import { s3Url, type S3Location } from './s3-url.js'

/** One object under a prefix. */
export interface S3Object {
  key: string
  size: number
  etag?: string
  lastModified?: string
}

const s3 = async () => import('@aws-sdk/client-s3')

/** S3's "no such bucket/key" and "access denied" are the user's to fix: bad input naming the URL. */
async function s3Call<T>(conn: Connection, operation: string, loc: S3Location, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const name = (err as { name?: string }).name ?? ''
    if (name === 'NoSuchBucket')
      throw new UserInputError(`There is no bucket "${loc.bucket}" (${s3Url(loc)}).`, 'Check the bucket name and the region/account of the connection.', { cause: err })
    if (name === 'AccessDenied' || name === 'Forbidden')
      throw new UserInputError(`S3 refused ${operation} on ${s3Url(loc)}: access denied.`, 'The credentials in use need s3:ListBucket and s3:GetObject on the bucket.', {
        cause: err,
      })
    throw explainAwsError(err, `S3 (${conn.endpoint ?? 'AWS'})`, operation)
  }
}

/** Every object under a key prefix, in key order (ListObjectsV2 followed through its pages); `limit` stops early. */
export async function listObjects(conn: Connection, loc: S3Location, limit = Infinity): Promise<S3Object[]> {
  const { ListObjectsV2Command } = await s3()
  const out: S3Object[] = []
  let token: string | undefined
  do {
    const page = await s3Call(conn, 'ListObjectsV2', loc, () =>
      conn.s3.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.key, ...(token ? { ContinuationToken: token } : {}), ...(limit < 1000 ? { MaxKeys: limit } : {}) })),
    )
    for (const o of page.Contents ?? []) {
      if (!o.Key) continue
      out.push({ key: o.Key, size: o.Size ?? 0, ...(o.ETag ? { etag: o.ETag } : {}), ...(o.LastModified ? { lastModified: o.LastModified.toISOString() } : {}) })
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token && out.length < limit)
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/** An object's text, or undefined when there is no such key. */
export async function readObjectText(conn: Connection, loc: S3Location): Promise<string | undefined> {
  const { GetObjectCommand } = await s3()
  try {
    const out = await conn.s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }))
    return await out.Body?.transformToString('utf8')
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined
    return s3Call(conn, 'GetObject', loc, () => Promise.reject(err))
  }
}

/** An object's bytes from `start` (a ranged GET), streamed. */
export async function openObject(conn: Connection, loc: S3Location, start = 0, end?: number): Promise<Readable> {
  const { GetObjectCommand } = await s3()
  const range = start > 0 || end !== undefined ? { Range: `bytes=${start}-${end !== undefined ? end - 1 : ''}` } : {}
  const out = await s3Call(conn, 'GetObject', loc, () => conn.s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, ...range })))
  if (!out.Body) throw new UserInputError(`${s3Url(loc)} has no body.`, 'Check the object in S3.')
  return out.Body as Readable
}
