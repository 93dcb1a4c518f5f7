import { DescribeTimeToLiveCommand, TagResourceCommand, UpdateContinuousBackupsCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import { setTimeout as sleep } from 'node:timers/promises'

import { call } from '../connection/call.js'
import { isLoopbackEndpoint, type Connection } from '../connection/clients.js'
import { isTimeToLiveAlreadySet } from '../connection/idempotent.js'
import { UnsupportedByEngineError } from '../errors.js'

/** The settings CreateTable cannot carry, applied once a table is ACTIVE. */
export type PostCreateSetting = 'ttl' | 'pitr' | 'tags'

export interface SettingOutcome {
  setting: string
  status: 'applied' | 'skipped'
  detail: string
}

/** Enables TTL on attribute, or disables it (DynamoDB needs the attribute currently enabled for that). */
export async function setTimeToLive(conn: Connection, table: string, attribute: string, enabled: boolean): Promise<void> {
  try {
    await call(
      conn,
      'UpdateTimeToLive',
      () => conn.dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: attribute, Enabled: enabled } })),
      table,
    )
  } catch (err) {
    if (!isTimeToLiveAlreadySet(err, enabled)) throw err
    // "TimeToLive is already enabled": the retry of an applied call, or it already was so. As asked
    // only when it is on this attribute (it is also said when TTL is on another one).
    if (!enabled) return
    const now = await call(conn, 'DescribeTimeToLive', () => conn.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table })), table)
    const d = now.TimeToLiveDescription
    if (d?.AttributeName !== attribute || (d.TimeToLiveStatus !== 'ENABLED' && d.TimeToLiveStatus !== 'ENABLING')) throw err
  }
}

/** How long to retry while a new table's continuous backups are still being set up. */
const CONTINUOUS_BACKUPS_WAIT_MS = 10 * 60_000

/**
 * Turns PITR on or off; recoveryDays (1-35) sets the recovery period where the service has one.
 * A table created or restored moments ago answers ContinuousBackupsUnavailableException until its
 * continuous backups are ready; that is retried for up to 10 minutes.
 */
export async function setPointInTimeRecovery(
  conn: Connection,
  table: string,
  enabled: boolean,
  recoveryDays?: number,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? CONTINUOUS_BACKUPS_WAIT_MS
  const intervalMs = options.intervalMs ?? (isLoopbackEndpoint(conn.endpoint) ? 100 : 10_000)
  for (;;) {
    try {
      await call(
        conn,
        'UpdateContinuousBackups',
        () =>
          conn.dynamodb.send(
            new UpdateContinuousBackupsCommand({
              TableName: table,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: enabled, ...(enabled && recoveryDays !== undefined ? { RecoveryPeriodInDays: recoveryDays } : {}) },
            }),
          ),
        table,
      )
      return
    } catch (err) {
      if ((err as Error).name !== 'ContinuousBackupsUnavailableException' || Date.now() - started + intervalMs > timeoutMs) throw err
      await sleep(intervalMs)
    }
  }
}

export async function tagTable(conn: Connection, arn: string, tags: Record<string, string>): Promise<void> {
  const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
  if (list.length === 0) return
  await call(conn, 'TagResource', () => conn.dynamodb.send(new TagResourceCommand({ ResourceArn: arn, Tags: list })))
}

/**
 * Runs one setting change; an engine that lacks the operation yields a "skipped" outcome
 * (the table itself is fine), any other failure propagates.
 */
export async function applySetting(setting: string, detail: string, fn: () => Promise<void>): Promise<SettingOutcome> {
  try {
    await fn()
    return { setting, status: 'applied', detail }
  } catch (err) {
    if (err instanceof UnsupportedByEngineError) return { setting, status: 'skipped', detail: `${detail}: not supported by the engine at ${err.endpoint}` }
    throw err
  }
}
