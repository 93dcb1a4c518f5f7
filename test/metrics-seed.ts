import { PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch'

import type { Connection } from '../src/connection/clients.js'
import type { CapacityReport, CapacityUnitReport } from '../src/metrics/reports.js'
import { createTable } from '../src/tables/create.js'
import { uniqueName } from './helpers.js'

// Seeding CloudWatch data into moto for the metrics reports' tests (test/int/metrics.int.test.ts and
// test/cli/report.cli.test.ts), and the figures worked out by hand from the seeded series. Plain
// helpers: each test file keeps its own series and its own assertions.

export const MINUTE = 60_000
/** One-minute periods in the seeded window. */
export const PERIODS = 30

/** One minute of a metric: one data point, several (in the same minute), or none. */
export type Minute = number | number[] | null
/** Dimensions in the order DynamoDB publishes them: TableName first. */
export type Dims = Array<[string, string]>

/** A past window of `periods` one-minute periods, aligned to the minute, ending 5 whole minutes ago. */
export function recentWindow(periods = PERIODS): { start: Date; end: Date } {
  const end = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE)
  return { start: new Date(end.getTime() - periods * MINUTE), end }
}

/** The ISO time of minute `i` counted from `from`. */
export const minuteIso = (from: Date, i: number): string => new Date(from.getTime() + i * MINUTE).toISOString()

// ------------------------------------------------------------------ seeding

/** Queues data points for AWS/DynamoDB and sends them with PutMetricData. */
export class MetricSeeder {
  private readonly datums: MetricDatum[] = []

  /** `start`: where a series starts unless told otherwise. */
  constructor(private readonly start: Date) {}

  /** Queues a per-minute series starting at `from` (points at :05, :20, :35... of each minute). */
  seed(metric: string, dims: Dims, minutes: Minute[], from: Date = this.start): void {
    minutes.forEach((m, i) => {
      if (m === null) return
      ;(Array.isArray(m) ? m : [m]).forEach((value, k) => {
        this.datums.push({
          MetricName: metric,
          Dimensions: dims.map(([Name, Value]) => ({ Name, Value })),
          Timestamp: new Date(from.getTime() + i * MINUTE + (5 + 15 * k) * 1000),
          Value: value,
          Unit: 'Count',
        })
      })
    })
  }

  /** Queues single points at the given minutes (which may lie outside the window), at :10 of each. */
  seedAt(metric: string, dims: Dims, points: Record<number, number>, from: Date = this.start): void {
    for (const [minute, value] of Object.entries(points)) {
      this.datums.push({
        MetricName: metric,
        Dimensions: dims.map(([Name, Value]) => ({ Name, Value })),
        Timestamp: new Date(from.getTime() + Number(minute) * MINUTE + 10_000),
        Value: value,
        Unit: 'Count',
      })
    }
  }

  /** Sends everything queued, a few hundred points per PutMetricData. */
  async flush(conn: Connection): Promise<void> {
    const all = this.datums.splice(0)
    for (let i = 0; i < all.length; i += 200) {
      await conn.cloudwatch.send(new PutMetricDataCommand({ Namespace: 'AWS/DynamoDB', MetricData: all.slice(i, i + 200) }))
    }
  }
}

/** A series with values only at the given minutes. */
export function sparse(points: Record<number, Minute>, length = PERIODS): Minute[] {
  return Array.from({ length }, (_, i) => points[i] ?? null)
}

// ------------------------------------------------------------- the tables

/** Table A (provisioned, with a GSI) and table B (on-demand), with their metric dimensions. */
export interface ReportTables {
  a: string
  b: string
  index: string
  aDims: Dims
  gsiDims: Dims
  bDims: Dims
}

/** Unique names for tables A and B (`<prefix>_a`, `<prefix>_b`) and A's GSI byEmail. */
export function reportTables(prefix: string): ReportTables {
  const a = uniqueName(`${prefix}_a`)
  const b = uniqueName(`${prefix}_b`)
  const index = 'byEmail'
  return {
    a,
    b,
    index,
    aDims: [['TableName', a]],
    gsiDims: [
      ['TableName', a],
      ['GlobalSecondaryIndexName', index],
    ],
    bDims: [['TableName', b]],
  }
}

/** Creates A (provisioned 20 RCU / 10 WCU, its GSI 5 / 5) and B (on-demand), and waits for them. */
export async function createReportTables(conn: Connection, t: ReportTables): Promise<void> {
  await createTable(
    conn,
    {
      name: t.a,
      hashKey: { name: 'pk', type: 'S' },
      billing: 'PROVISIONED',
      read: 20,
      write: 10,
      indexes: [{ name: t.index, hashKey: { name: 'email', type: 'S' }, projection: 'ALL', read: 5, write: 5 }],
    },
    { wait: true },
  )
  await createTable(conn, { name: t.b, hashKey: { name: 'pk', type: 'S' }, billing: 'PAY_PER_REQUEST' }, { wait: true })
}

/** The consumed and provisioned capacity series of A, its GSI and B. */
export interface CapacitySeries {
  aRead: Minute[]
  aWrite: Minute[]
  aProvRead: Minute[]
  aProvWrite: Minute[]
  gsiRead: Minute[]
  gsiWrite: Minute[]
  bRead: Minute[]
  bWrite: Minute[]
}

/** Queues the capacity series of A, its GSI and B. */
export function seedCapacity(seeder: MetricSeeder, t: ReportTables, s: CapacitySeries): void {
  seeder.seed('ConsumedReadCapacityUnits', t.aDims, s.aRead)
  seeder.seed('ConsumedWriteCapacityUnits', t.aDims, s.aWrite)
  seeder.seed('ProvisionedReadCapacityUnits', t.aDims, s.aProvRead)
  seeder.seed('ProvisionedWriteCapacityUnits', t.aDims, s.aProvWrite)
  seeder.seed('ConsumedReadCapacityUnits', t.gsiDims, s.gsiRead)
  seeder.seed('ConsumedWriteCapacityUnits', t.gsiDims, s.gsiWrite)
  seeder.seed('ConsumedReadCapacityUnits', t.bDims, s.bRead)
  seeder.seed('ConsumedWriteCapacityUnits', t.bDims, s.bWrite)
}

// ------------------------------------------------------- worked out by hand

/** What CloudWatch's Sum / Average of one minute is. */
export const minuteSum = (m: Minute): number | null => (m === null ? null : Array.isArray(m) ? m.reduce((a, v) => a + v, 0) : m)
export const minuteAverage = (m: Minute): number | null => (m === null ? null : Array.isArray(m) ? m.reduce((a, v) => a + v, 0) / m.length : m)
export const numbers = (s: Array<number | null>): number[] => s.filter((v): v is number => v !== null)
export const mean = (s: number[]): number => s.reduce((a, v) => a + v, 0) / s.length

export interface ExpectedRates {
  average: number | null
  p99: number | null
  peak: number | null
  periodsWithData: number
  periods: number
  series: Array<number | null>
}

/** Per-second rates of a per-minute Sum series, with their average, nearest-rank p99 and peak. */
export function expectedRates(minutes: Minute[]): ExpectedRates {
  const series = minutes.map((m) => {
    const sum = minuteSum(m)
    return sum === null ? null : sum / 60
  })
  const values = numbers(series)
  const sorted = [...values].sort((a, b) => a - b)
  return {
    average: values.length ? mean(values) : null,
    p99: values.length ? sorted[Math.ceil(0.99 * sorted.length) - 1] : null,
    peak: values.length ? Math.max(...values) : null,
    periodsWithData: values.length,
    periods: minutes.length,
    series,
  }
}

/** A throttle report's row for a seeded series starting at `from`: its total and the minute of its worst spike. */
export function expectedThrottleRow(from: Date, table: string, metric: string, minutes: Minute[], extra: { index?: string; operation?: string } = {}) {
  const sums = minutes.map(minuteSum)
  const total = numbers(sums).reduce((x, v) => x + v, 0)
  const worstValue = Math.max(...numbers(sums))
  return { table, ...extra, metric, total, worstAt: minuteIso(from, sums.indexOf(worstValue)), worstValue, series: sums }
}

/** The unit of a capacity report for a table, or one of its GSIs. */
export function unit(r: CapacityReport, table: string, index?: string): CapacityUnitReport {
  const found = r.tables.find((t) => t.table === table)?.units.find((u) => u.index === index)
  if (!found) throw new Error(`no unit ${table}${index ? `/${index}` : ''} in the report`)
  return found
}
