import { createHash } from 'node:crypto'
import { join } from 'node:path'

import { connectionIdentity, type Connection } from '../connection/clients.js'
import { copyTable, type CopyProgress, type CopyStart } from '../copy/copy-table.js'
import { writeBudgetsOf } from '../copy/copy-tables.js'
import { provisionedWrite } from '../copy/plan.js'
import { dynxHome } from '../home.js'
import type { Outcome } from '../outcome.js'
import { describeTableRaw } from '../tables/describe.js'
import { checkFilter, checkSelection, keyProjection, tableKeys, type Selection } from './select.js'

export interface DeleteItemsOptions extends Selection {
  /** Scan segments (default 4, or the checkpoint's). */
  segments?: number
  /** BatchWriteItem calls in flight (default 16; halved while throttled). */
  writeConcurrency?: number
  maxWcu?: number
  /** At most this percent of the table's provisioned write capacity. */
  wcuPercent?: number
  maxRcu?: number
  /** Checkpoint file (default under ~/.dynx/checkpoints), or false for none. */
  checkpoint?: string | false
  deadLetter?: string
  signal?: AbortSignal
  onStart?: (s: CopyStart) => void
  onProgress?: (p: DeleteProgress) => void
}

export interface DeleteProgress {
  table: string
  /** Matching items read (keys only) in this run. */
  matched: number
  deleted: number
  deadLettered: number
  retries: number
  throttles: number
  segmentsDone: number
  segmentsTotal: number
  seconds: number
}

export interface DeleteResult extends DeleteProgress {
  complete: boolean
  resumed: boolean
  itemsPerSecond: number
  /** Write capacity consumed, when asked (with a --max-wcu/--wcu-percent budget). */
  consumedWrite?: number
  checkpoint?: string
  deadLetterFile?: string
  outcome: Outcome
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_')

/** ~/.dynx/checkpoints/delete-TABLE-HASH.json; the hash covers the connection and the selection. */
export function defaultDeleteCheckpointPath(connectionId: string, table: string, s: Selection): string {
  const h = createHash('sha256')
    .update(JSON.stringify([connectionId, table, s.filter ?? null, s.names ?? null, s.values ?? null, Boolean(s.all)]))
    .digest('hex')
    .slice(0, 8)
  return join(dynxHome(), 'checkpoints', `delete-${fileSafe(table)}-${h}.json`)
}

const toProgress = (p: CopyProgress): DeleteProgress => ({
  table: p.target,
  matched: p.read,
  deleted: p.written,
  deadLettered: p.deadLettered,
  retries: p.retries + p.readRetries,
  throttles: p.throttles + p.readThrottles,
  segmentsDone: p.segmentsDone,
  segmentsTotal: p.segmentsTotal,
  seconds: p.seconds,
})

/**
 * Deletes the items of `table` that match a filter (or all of them): a parallel keys-only scan
 * feeding BatchWriteItem DeleteRequests through the copy engine (its writer, retries, slow-down,
 * dead letters and per-segment checkpoint, so a re-run after a crash or Ctrl-C continues). The
 * filter is checked by DynamoDB on one Scan first, so a rejected one changes nothing. Deleting is
 * idempotent: keys of pages in flight at a crash are read and deleted again, which is harmless.
 */
export async function deleteItems(conn: Connection, table: string, options: DeleteItemsOptions): Promise<DeleteResult> {
  checkSelection(options)
  const description = await describeTableRaw(conn, table)
  const keys = tableKeys(description)
  const [maxWcu] = writeBudgetsOf([{ table, writeCapacity: provisionedWrite(description) }], options)
  const { projection, names } = keyProjection(keys)
  await checkFilter(conn, table, options, names, projection)
  const checkpoint = options.checkpoint === false ? false : (options.checkpoint ?? defaultDeleteCheckpointPath(await connectionIdentity(conn), table, options))
  const r = await copyTable(conn, table, conn, table, {
    deletes: true,
    kind: 'delete',
    // What each delete consumed is asked only when a budget paces the writes (a raw pipeline does not ask; it costs the engine work).
    consumedCapacity: Boolean(maxWcu),
    select: { filter: options.filter, names: { ...names, ...options.names }, values: options.values, projection },
    segments: options.segments,
    writeConcurrency: options.writeConcurrency,
    maxWcu,
    maxRcu: options.maxRcu,
    checkpoint,
    deadLetter: options.deadLetter,
    signal: options.signal,
    onStart: options.onStart,
    onProgress: options.onProgress && ((p) => options.onProgress!(toProgress(p))),
  })
  return {
    ...toProgress({ ...r, writers: 0, readers: 0, segmentsDone: r.complete ? r.segments : 0, segmentsTotal: r.segments }),
    complete: r.complete,
    resumed: r.resumed,
    itemsPerSecond: r.itemsPerSecond,
    ...(maxWcu ? { consumedWrite: r.consumedWrite } : {}),
    ...(r.checkpoint ? { checkpoint: r.checkpoint } : {}),
    ...(r.deadLetterFile ? { deadLetterFile: r.deadLetterFile } : {}),
    outcome: !r.complete ? 'interrupted' : r.deadLettered ? 'partial' : 'ok',
  }
}
