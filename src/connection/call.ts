import { TableNotFoundError, UnsupportedByEngineError, explainAwsError } from '../errors.js'
import type { Connection } from './clients.js'

// DescribeContinuousBackups and UpdateContinuousBackups say TableNotFoundException, point-in-time restores SourceTableNotFoundException.
const MISSING_TABLE = new Set(['ResourceNotFoundException', 'TableNotFoundException', 'SourceTableNotFoundException'])

/**
 * Runs one SDK call and turns its failure into a typed dynx error: a missing table becomes
 * TableNotFoundError, an unreachable endpoint or unknown operation names the endpoint.
 */
export async function call<T>(conn: Connection, operation: string, fn: () => Promise<T>, table?: string): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (table && MISSING_TABLE.has((err as { name?: string }).name ?? '')) throw new TableNotFoundError(table, conn.label)
    throw explainAwsError(err, conn.label, operation)
  }
}

/**
 * Refuses up front, before anything is read or changed, on an engine known to lack a feature
 * (the embedded engine has no backups or PITR); other engines answer for themselves.
 */
export function requireFeature(conn: Connection, feature: string, operation: string): void {
  if (conn.lacks.includes(feature)) throw new UnsupportedByEngineError(operation, conn.label)
}
