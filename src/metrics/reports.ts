import type { TableDescription } from '@aws-sdk/client-dynamodb'
import pLimit from 'p-limit'

import { requireFeature } from '../connection/call.js'
import type { Connection } from '../connection/clients.js'
import { UserInputError } from '../errors.js'
import { describeTableRaw } from '../tables/describe.js'
import { fetchMetrics, type MetricQuery, type Series } from './fetch.js'
import { pricesFor, PRICES_TAKEN, recommendCapacity, type CapacityPrices, type Recommendation, type SimulationSettings } from './recommend.js'
import { addSeries, perSecond, summarizeSeries, sumOf, worstIndex, type SeriesSummary } from './stats.js'
import { RETENTION, type MetricWindow } from './window.js'

/** The operations DynamoDB publishes ThrottledRequests for. */
export const THROTTLED_OPERATIONS = [
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
] as const

/** Throttle events by reason, where CloudWatch has them (tables and GSIs). */
export const THROTTLE_REASON_METRICS = [
  'ReadProvisionedThroughputThrottleEvents',
  'WriteProvisionedThroughputThrottleEvents',
  'ReadKeyRangeThroughputThrottleEvents',
  'WriteKeyRangeThroughputThrottleEvents',
  'ReadAccountLimitThrottleEvents',
  'WriteAccountLimitThrottleEvents',
  'ReadMaxOnDemandThroughputThrottleEvents',
  'WriteMaxOnDemandThroughputThrottleEvents',
] as const

export interface ReportWindow {
  start: string
  end: string
  periodSeconds: number
}

/** A table, or one of its GSIs. */
interface Unit {
  table: string
  index?: string
  billing: 'PAY_PER_REQUEST' | 'PROVISIONED'
  read?: number
  write?: number
}

const dims = (u: { table: string; index?: string }): Record<string, string> => ({ TableName: u.table, ...(u.index ? { GlobalSecondaryIndexName: u.index } : {}) })
const windowOf = (w: MetricWindow): ReportWindow => ({ start: w.start.toISOString(), end: w.end.toISOString(), periodSeconds: w.periodSeconds })

async function unitsOf(conn: Connection, tables: string[]): Promise<Unit[][]> {
  if (tables.length === 0) throw new UserInputError('No tables to report on.', 'Name tables, or give --prefix/--env matching some.')
  const limit = pLimit(8)
  const described = await Promise.all(tables.map((t) => limit(() => describeTableRaw(conn, t))))
  return described.map((d: TableDescription, i) => {
    const billing: Unit['billing'] = d.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED'
    const table = tables[i]
    return [
      { table, billing, read: d.ProvisionedThroughput?.ReadCapacityUnits, write: d.ProvisionedThroughput?.WriteCapacityUnits },
      ...(d.GlobalSecondaryIndexes ?? []).map((g) => ({
        table,
        index: g.IndexName ?? '',
        billing,
        read: g.ProvisionedThroughput?.ReadCapacityUnits,
        write: g.ProvisionedThroughput?.WriteCapacityUnits,
      })),
    ]
  })
}

export interface DimensionReport {
  /** Average provisioned capacity over the window (DynamoDB's current value when CloudWatch has none); null for on-demand. */
  provisioned: number | null
  /** Consumed capacity units per second: average, p99 and peak of the per-period rates. */
  consumed: SeriesSummary
  /** Average consumed over average provisioned (0-1); null when either is unknown. */
  utilization: number | null
  /** Consumed per second, per period (null: no data). */
  series: Series
  /** Provisioned capacity per period. */
  provisionedSeries: Series
}

export interface CapacityUnitReport {
  table: string
  index?: string
  billing: 'PAY_PER_REQUEST' | 'PROVISIONED'
  read: DimensionReport
  write: DimensionReport
  /** ReadThrottleEvents and WriteThrottleEvents over the window. */
  throttleEvents: { read: number; write: number }
}

export interface TableCapacityReport {
  table: string
  billing: 'PAY_PER_REQUEST' | 'PROVISIONED'
  units: CapacityUnitReport[]
  recommendation: Recommendation
  /** No consumed capacity data for the table or its GSIs in the window. */
  noData: boolean
}

export interface CapacityReport {
  window: ReportWindow
  prices: CapacityPrices & { fallback: boolean; taken: string }
  tables: TableCapacityReport[]
  /** Nothing at all in the window. */
  noData: boolean
  /** GetMetricData calls made (for the report's period; the recommendation's per-minute reads are extra). */
  calls: number
}

export interface CapacityReportOptions {
  window: MetricWindow
  /** Region for prices (default: the connection's). */
  region?: string
  prices?: Partial<Omit<CapacityPrices, 'region'>>
  simulation?: SimulationSettings
  batchSize?: number
  onProgress?: (message: string) => void
}

const CAPACITY_METRICS: Array<[key: string, metric: string, stat: MetricQuery['stat']]> = [
  ['consumedRead', 'ConsumedReadCapacityUnits', 'Sum'],
  ['consumedWrite', 'ConsumedWriteCapacityUnits', 'Sum'],
  ['provisionedRead', 'ProvisionedReadCapacityUnits', 'Average'],
  ['provisionedWrite', 'ProvisionedWriteCapacityUnits', 'Average'],
  ['readThrottles', 'ReadThrottleEvents', 'Sum'],
  ['writeThrottles', 'WriteThrottleEvents', 'Sum'],
]

/** `current` is DescribeTable's value, used when CloudWatch has no provisioned figures for the window. */
function dimension(consumedSum: Series, provisioned: Series, periodSeconds: number, onDemand: boolean, current: number | undefined): DimensionReport {
  const series = perSecond(consumedSum, periodSeconds)
  const consumed = summarizeSeries(series)
  const prov = onDemand ? null : (summarizeSeries(provisioned).average ?? current ?? null)
  return {
    provisioned: prov,
    consumed,
    utilization: prov && consumed.average !== null ? consumed.average / prov : null,
    series,
    provisionedSeries: provisioned,
  }
}

/**
 * Consumed against provisioned capacity for each table and GSI over a window, from CloudWatch,
 * with throttle events and a recommendation (on-demand, fixed provisioned or auto scaling).
 */
export async function capacityReport(conn: Connection, tables: string[], options: CapacityReportOptions): Promise<CapacityReport> {
  requireFeature(conn, 'cloudwatch', 'CloudWatch metrics')
  const w = options.window
  const units = await unitsOf(conn, tables)
  const flat = units.flat()
  const queries = flat.flatMap((u) => CAPACITY_METRICS.map(([, metric, stat]) => ({ metric, stat, dimensions: dims(u) })))
  options.onProgress?.(`reading ${queries.length} CloudWatch series for ${tables.length} tables`)
  const fetched = await fetchMetrics(conn, queries, w, { batchSize: options.batchSize, onBatch: (done, total) => options.onProgress?.(`read ${done} of ${total} series`) })
  const prices = { ...pricesFor(options.region ?? (await conn.region()), options.prices), taken: PRICES_TAKEN }
  // The recommendation simulates minutes: with a coarser report period, read the consumed capacity
  // again per minute while CloudWatch still keeps 1-minute data (15 days).
  const minuteWindow = w.periodSeconds > 60 && Date.now() - w.start.getTime() <= RETENTION[0].days * 24 * 3600_000 ? { ...w, periodSeconds: 60 } : undefined
  const minuteSeries = minuteWindow
    ? (
        await fetchMetrics(
          conn,
          flat.flatMap((u) => [
            { metric: 'ConsumedReadCapacityUnits', stat: 'Sum' as const, dimensions: dims(u) },
            { metric: 'ConsumedWriteCapacityUnits', stat: 'Sum' as const, dimensions: dims(u) },
          ]),
          minuteWindow,
          { batchSize: options.batchSize },
        )
      ).series
    : undefined
  let minuteCursor = 0
  let cursor = 0
  const reports = units.map((list): TableCapacityReport => {
    const measured = list.map((u) => {
      const s = Object.fromEntries(CAPACITY_METRICS.map(([key]) => [key, fetched.series[cursor++]])) as Record<string, Series>
      const onDemand = u.billing === 'PAY_PER_REQUEST'
      const report: CapacityUnitReport = {
        table: u.table,
        ...(u.index ? { index: u.index } : {}),
        billing: u.billing,
        read: dimension(s.consumedRead, s.provisionedRead, w.periodSeconds, onDemand, u.read),
        write: dimension(s.consumedWrite, s.provisionedWrite, w.periodSeconds, onDemand, u.write),
        throttleEvents: { read: sumOf(s.readThrottles), write: sumOf(s.writeThrottles) },
      }
      return { report, throttles: addSeries([s.readThrottles, s.writeThrottles]) }
    })
    const unitReports = measured.map((m) => m.report)
    const recommendation = recommendCapacity(
      measured.map(({ report: u, throttles }) => ({
        name: u.index ? `index ${u.index}` : 'table',
        ...(minuteSeries
          ? { periodSeconds: 60, read: perSecond(minuteSeries[minuteCursor++], 60), write: perSecond(minuteSeries[minuteCursor++], 60) }
          : { periodSeconds: w.periodSeconds, read: u.read.series, write: u.write.series }),
        throttles,
        // Auto scaling starts from the capacity the unit had when the window began.
        ...(u.read.provisioned !== null ? { initialRead: u.read.provisionedSeries.find((v) => v !== null) ?? u.read.provisioned } : {}),
        ...(u.write.provisioned !== null ? { initialWrite: u.write.provisionedSeries.find((v) => v !== null) ?? u.write.provisioned } : {}),
      })),
      prices,
      options.simulation,
    )
    return {
      table: list[0].table,
      billing: list[0].billing,
      units: unitReports,
      recommendation:
        w.periodSeconds > 60 && !minuteSeries
          ? { ...recommendation, approximate: `simulated on ${w.periodSeconds / 60}-minute averages (1-minute data is kept for 15 days): spikes shorter than that are not seen` }
          : recommendation,
      noData: unitReports.every((u) => u.read.consumed.periodsWithData === 0 && u.write.consumed.periodsWithData === 0),
    }
  })
  return { window: windowOf(w), prices, tables: reports, noData: reports.every((t) => t.noData), calls: fetched.calls }
}

export interface ThrottleRow {
  table: string
  index?: string
  /** For ThrottledRequests: the operation. */
  operation?: string
  metric: string
  total: number
  /** Start of the period with the most throttles (ISO 8601), and how many. */
  worstAt: string
  worstValue: number
  series: Series
}

export interface ThrottleReport {
  window: ReportWindow
  /** Everything throttled in the window, worst first. */
  rows: ThrottleRow[]
  throttled: boolean
  /** No throttle series had any data point (CloudWatch publishes them only when something happens). */
  noData: boolean
  calls: number
}

/**
 * Throttling over a window: ThrottledRequests per operation, Read/WriteThrottleEvents per table and
 * GSI, and the per-reason throttle events; everything throttled, worst first, with its worst period.
 */
export async function throttleReport(
  conn: Connection,
  tables: string[],
  options: { window: MetricWindow; batchSize?: number; onProgress?: (message: string) => void },
): Promise<ThrottleReport> {
  requireFeature(conn, 'cloudwatch', 'CloudWatch metrics')
  const w = options.window
  const units = (await unitsOf(conn, tables)).flat()
  const wanted: Array<Omit<ThrottleRow, 'total' | 'worstAt' | 'worstValue' | 'series'>> = []
  for (const u of units) {
    if (!u.index) for (const operation of THROTTLED_OPERATIONS) wanted.push({ table: u.table, operation, metric: 'ThrottledRequests' })
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents', ...THROTTLE_REASON_METRICS]) wanted.push({ table: u.table, ...(u.index ? { index: u.index } : {}), metric })
  }
  const queries: MetricQuery[] = wanted.map((r) => ({ metric: r.metric, stat: 'Sum', dimensions: { ...dims(r), ...(r.operation ? { Operation: r.operation } : {}) } }))
  options.onProgress?.(`reading ${queries.length} CloudWatch series for ${tables.length} tables`)
  const fetched = await fetchMetrics(conn, queries, w, { batchSize: options.batchSize, onBatch: (done, total) => options.onProgress?.(`read ${done} of ${total} series`) })
  const step = w.periodSeconds * 1000
  const rows = wanted
    .map((r, i): ThrottleRow => {
      const series = fetched.series[i]
      const worst = worstIndex(series)
      return {
        ...r,
        total: sumOf(series),
        worstAt: worst < 0 ? '' : new Date(w.start.getTime() + worst * step).toISOString(),
        worstValue: worst < 0 ? 0 : (series[worst] ?? 0),
        series,
      }
    })
    .filter((r) => r.total > 0)
    .sort((a, b) => b.total - a.total || b.worstValue - a.worstValue || a.table.localeCompare(b.table))
  return {
    window: windowOf(w),
    rows,
    throttled: rows.length > 0,
    noData: fetched.series.every((s) => s.every((v) => v === null)),
    calls: fetched.calls,
  }
}
