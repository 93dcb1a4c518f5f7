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

/** Polls DescribeTable until the table and every GSI are ACTIVE (no index backfilling, no restore in progress). */
export async function waitForTableActive(conn: Connection, table: string, options: WaitOptions = {}): Promise<void> {
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? 30 * 60_000
  const intervalMs = options.intervalMs ?? (isLoopbackEndpoint(conn.endpoint) ? 100 : 5_000)
  for (;;) {
    const d = await describeTableRaw(conn, table)
    const pendingIndexes = (d.GlobalSecondaryIndexes ?? [])
      .filter((g) => g.IndexStatus !== 'ACTIVE' || g.Backfilling)
      .map((g) => `${g.IndexName} ${g.Backfilling ? 'BACKFILLING' : g.IndexStatus}`)
    // A restored table can report ACTIVE while its data is still being restored.
    if (d.RestoreSummary?.RestoreInProgress) pendingIndexes.push('restore in progress')
    const status = d.TableStatus ?? 'UNKNOWN'
    const elapsedMs = Date.now() - started
    options.onProgress?.({ table, status, pendingIndexes, elapsedMs })
    if (status === 'ACTIVE' && pendingIndexes.length === 0) return
    if (elapsedMs > timeoutMs) {
      throw new TimeoutWaitingError(
        `Table ${table} is still ${status}${pendingIndexes.length ? ` (indexes: ${pendingIndexes.join(', ')})` : ''} after ${Math.round(elapsedMs / 1000)}s.`,
        'Large index backfills can take hours; check again later with `dynx tables describe`.',
      )
    }
    await sleep(intervalMs, undefined, options.signal ? { signal: options.signal } : undefined)
  }
}
