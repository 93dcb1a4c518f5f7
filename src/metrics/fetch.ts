import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch'

import { call, requireFeature } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { periodStarts, type MetricWindow } from './window.js'

export type Statistic = 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount'

/** One AWS/DynamoDB metric to read: its name, dimensions (TableName first) and statistic. */
export interface MetricQuery {
  metric: string
  dimensions: Record<string, string>
  stat: Statistic
}

/** A metric on the window's grid: one value per period, null where CloudWatch has no data (never 0 in its place). */
export type Series = (number | null)[]

/** GetMetricData takes at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500

export interface FetchResult {
  /** The series of each query, in the order given. */
  series: Series[]
  /** GetMetricData calls made (batches times pages). */
  calls: number
}

// TableName first, then the others by name: the order DynamoDB publishes them in.
function dimensionList(d: Record<string, string>): { Name: string; Value: string }[] {
  return Object.entries(d)
    .sort(([a], [b]) => (a === 'TableName' ? -1 : b === 'TableName' ? 1 : a.localeCompare(b)))
    .map(([Name, Value]) => ({ Name, Value }))
}

/**
 * Reads every query over the window with GetMetricData, 500 queries per call, following NextToken.
 * Values land on the window's grid of periods; a period without data stays null.
 */
export async function fetchMetrics(
  conn: Connection,
  queries: MetricQuery[],
  window: MetricWindow,
  options: { batchSize?: number; onBatch?: (done: number, total: number) => void } = {},
): Promise<FetchResult> {
  requireFeature(conn, 'cloudwatch', 'CloudWatch metrics')
  const grid = periodStarts(window)
  const step = window.periodSeconds * 1000
  const series: Series[] = queries.map(() => grid.map(() => null))
  const batchSize = Math.min(options.batchSize ?? MAX_QUERIES_PER_CALL, MAX_QUERIES_PER_CALL)
  let calls = 0
  for (let from = 0; from < queries.length; from += batchSize) {
    const batch = queries.slice(from, from + batchSize)
    const metricQueries: MetricDataQuery[] = batch.map((q, i) => ({
      Id: `q${from + i}`,
      MetricStat: { Metric: { Namespace: 'AWS/DynamoDB', MetricName: q.metric, Dimensions: dimensionList(q.dimensions) }, Period: window.periodSeconds, Stat: q.stat },
      ReturnData: true,
    }))
    let token: string | undefined
    do {
      const out = await call(conn, 'GetMetricData', () =>
        conn.cloudwatch.send(
          new GetMetricDataCommand({ StartTime: window.start, EndTime: window.end, ScanBy: 'TimestampAscending', MetricDataQueries: metricQueries, NextToken: token }),
        ),
      )
      calls++
      for (const r of out.MetricDataResults ?? []) {
        const index = Number((r.Id ?? '').slice(1))
        const target = series[index]
        if (!target) continue
        ;(r.Timestamps ?? []).forEach((ts, i) => {
          const slot = Math.round((ts.getTime() - window.start.getTime()) / step)
          const value = r.Values?.[i]
          if (slot >= 0 && slot < target.length && value !== undefined) target[slot] = value
        })
      }
      token = out.NextToken
    } while (token)
    options.onBatch?.(Math.min(from + batchSize, queries.length), queries.length)
  }
  return { series, calls }
}
