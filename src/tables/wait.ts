import { setTimeout as sleep } from 'node:timers/promises'

import { isLoopbackEndpoint, type Connection } from '../connection/clients.js'
import { TimeoutWaitingError } from '../errors.js'
import { describeTableRaw } from './describe.js'

export interface WaitProgress {
  table: string
  status: string
  /** GSIs not yet ACTIVE, with their status (and "restore in progress" while a restore runs). */
  pendingIndexes: string[]
  elapsedMs: number
}

export interface WaitOptions {
  timeoutMs?: number
  intervalMs?: number
  signal?: AbortSignal
  onProgress?: (p: WaitProgress) => void
}

export interface PollOptions {
  timeoutMs: number
  intervalMs?: number
  signal?: AbortSignal
}

/**
 * Reads a status every interval (100 ms on a local engine, 5 s on AWS) until `ready` says so;
 * past the timeout, throws what `timedOut` builds from the last reading.
 */
export async function pollUntil<T>(
  conn: Connection,
  read: (elapsedMs: number) => Promise<T>,
  ready: (value: T) => boolean,
  timedOut: (value: T, elapsedMs: number) => Error,
  options: PollOptions,
): Promise<T> {
  const started = Date.now()
  const intervalMs = options.intervalMs ?? (isLoopbackEndpoint(conn.endpoint) ? 100 : 5_000)
  for (;;) {
    const value = await read(Date.now() - started)
    if (ready(value)) return value
    const elapsedMs = Date.now() - started
    if (elapsedMs > options.timeoutMs) throw timedOut(value, elapsedMs)
    await sleep(intervalMs, undefined, options.signal ? { signal: options.signal } : undefined)
  }
}

/** Polls DescribeTable until the table and every GSI are ACTIVE (no index backfilling, no restore in progress). */
export async function waitForTableActive(conn: Connection, table: string, options: WaitOptions = {}): Promise<void> {
  await pollUntil(
    conn,
    async (elapsedMs) => {
      const d = await describeTableRaw(conn, table)
      const pendingIndexes = (d.GlobalSecondaryIndexes ?? [])
        .filter((g) => g.IndexStatus !== 'ACTIVE' || g.Backfilling)
        .map((g) => `${g.IndexName} ${g.Backfilling ? 'BACKFILLING' : g.IndexStatus}`)
      // A restored table can report ACTIVE while its data is still being restored.
      if (d.RestoreSummary?.RestoreInProgress) pendingIndexes.push('restore in progress')
      const progress = { table, status: d.TableStatus ?? 'UNKNOWN', pendingIndexes, elapsedMs }
      options.onProgress?.(progress)
      return progress
    },
    (w) => w.status === 'ACTIVE' && w.pendingIndexes.length === 0,
    (w, elapsedMs) =>
      new TimeoutWaitingError(
        `Table ${table} is still ${w.status}${w.pendingIndexes.length ? ` (indexes: ${w.pendingIndexes.join(', ')})` : ''} after ${Math.round(elapsedMs / 1000)}s.`,
        'Large index backfills can take hours; check again later with `dynx tables describe`.',
      ),
    { timeoutMs: options.timeoutMs ?? 30 * 60_000, ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}), ...(options.signal ? { signal: options.signal } : {}) },
  )
}
