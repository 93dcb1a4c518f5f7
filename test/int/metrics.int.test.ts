import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import type { Connection } from '../../src/connection/clients.js'
import {
  capacityReport,
  resolveWindow,
  throttleReport,
  THROTTLE_REASON_METRICS,
  THROTTLED_OPERATIONS,
  type DimensionReport,
  type MetricWindow,
  type ThrottleReport,
} from '../../src/metrics/index.js'
import { createTable } from '../../src/tables/create.js'
import { connect, uniqueName } from '../helpers.js'
import {
  createReportTables,
  expectedRates,
  expectedThrottleRow,
  mean,
  MetricSeeder,
  MINUTE,
  minuteAverage,
  minuteIso,
  minuteSum,
  numbers,
  PERIODS,
  recentWindow,
  reportTables,
  seedCapacity,
  sparse,
  unit,
  type Dims,
  type Minute,
} from '../metrics-seed.js'

// The metrics reports against moto server, the engine with CloudWatch. Known per-minute series are
// seeded with PutMetricData into AWS/DynamoDB over a past window aligned to the minute, and every
// figure of the reports is checked against a value worked out here from the seeded arrays (and,
// for the main ones, against a literal worked out on paper). The moto server is shared with every
// other test file: all table names are unique, so the metric dimensions are too.

const SLOW = 180_000
/** Prices given to the report, so the expected costs do not hang on the price table. */
const PRICES = { readRequestPerMillion: 0.25, writeRequestPerMillion: 1.25, rcuHour: 0.0002, wcuHour: 0.001 }

let conn: Connection

/** The seeded window: 30 one-minute periods, ending 5 whole minutes ago. */
const { start: START, end: END } = recentWindow(PERIODS)
const seeder = new MetricSeeder(START)

// ------------------------------------------------------- worked out by hand

function expectDimension(actual: DimensionReport, consumed: Minute[], provisioned: number | null): void {
  const e = expectedRates(consumed)
  expect(actual.consumed.periods).toBe(e.periods)
  expect(actual.consumed.periodsWithData).toBe(e.periodsWithData)
  expect(actual.series).toHaveLength(e.series.length)
  // Missing minutes stay missing (null), never 0; the others are Sum / 60.
  actual.series.forEach((v, i) => {
    if (e.series[i] === null) expect(v, `minute ${i}`).toBeNull()
    else expect(v, `minute ${i}`).toBeCloseTo(e.series[i] as number, 10)
  })
  for (const key of ['average', 'p99', 'peak'] as const) {
    if (e[key] === null) expect(actual.consumed[key], key).toBeNull()
    else expect(actual.consumed[key], key).toBeCloseTo(e[key] as number, 10)
  }
  if (provisioned === null) expect(actual.provisioned).toBeNull()
  else expect(actual.provisioned).toBeCloseTo(provisioned, 10)
  if (provisioned === null || e.average === null) expect(actual.utilization).toBeNull()
  else expect(actual.utilization).toBeCloseTo(e.average / provisioned, 10)
}

/** Monthly costs of on-demand and of fixed provisioned capacity (peak x 1.2) for a table and its GSIs. */
function expectedCosts(units: Array<{ read: Minute[]; write: Minute[] }>, minutes: number) {
  let requests = 0
  let fixedHourly = 0
  const fixed: Array<[number, number]> = []
  for (const u of units) {
    requests += numbers(u.read.map(minuteSum)).reduce((a, v) => a + v, 0) * PRICES.readRequestPerMillion
    requests += numbers(u.write.map(minuteSum)).reduce((a, v) => a + v, 0) * PRICES.writeRequestPerMillion
    const peakRead = expectedRates(u.read).peak ?? 0
    const peakWrite = expectedRates(u.write).peak ?? 0
    const f: [number, number] = [Math.max(1, Math.ceil(peakRead * 1.2)), Math.max(1, Math.ceil(peakWrite * 1.2))]
    fixed.push(f)
    fixedHourly += f[0] * PRICES.rcuHour + f[1] * PRICES.wcuHour
  }
  return { onDemand: (requests / 1e6) * ((730 * 60) / minutes), fixedMonthly: fixedHourly * 730, fixed }
}

// ------------------------------------------------------------- the tables

// A (provisioned 20/10, GSI byEmail 5/5) and B (on-demand).
const TABLES = reportTables('met')
const { a: A, b: B, index: INDEX, aDims, gsiDims, bDims } = TABLES

// Table A (provisioned 20 RCU / 10 WCU): ConsumedReadCapacityUnits, Sum per minute. Minutes 7 and
// 19 have no data; minutes 3 and 4 are two points each (CloudWatch adds them up).
const A_READ: Minute[] = [
  600,
  660,
  720,
  [570, 570],
  [1000, 170],
  900,
  840,
  null,
  780,
  720,
  1080,
  600,
  600,
  660,
  720,
  780,
  840,
  900,
  960,
  null,
  600,
  540,
  480,
  600,
  660,
  720,
  780,
  840,
  900,
  960,
]
const A_WRITE: Minute[] = [
  240,
  240,
  300,
  300,
  360,
  300,
  240,
  240,
  300,
  360,
  420,
  420,
  420,
  [300, 150],
  420,
  360,
  300,
  300,
  240,
  null,
  240,
  240,
  300,
  300,
  360,
  null,
  300,
  240,
  240,
  240,
]
// ProvisionedReadCapacityUnits: 20 for 20 minutes, then 30 (Average per minute).
const A_PROV_READ: Minute[] = Array.from({ length: PERIODS }, (_, i) => (i < 20 ? 20 : 30))
// ProvisionedWriteCapacityUnits: 10, then two points 10 and 20 a minute (Average 15, Sum would be 30).
const A_PROV_WRITE: Minute[] = Array.from({ length: PERIODS }, (_, i) => (i < 15 ? 10 : [10, 20]))
// GSI byEmail (5/5): consumed only; CloudWatch has no provisioned figures for it, so DescribeTable's 5 stands in.
const GSI_READ: Minute[] = [120, 120, 180, 180, 240, 240, 180, 120, 120, 120, 180, 180, 120, 120, 120, 180, 180, 240, 240, 240, 270, 240, 180, 180, 120, 120, 120, 120, 120, 120]
const GSI_WRITE: Minute[] = [60, 60, 90, 120, 60, 60, 90, 60, 60, 60, ...Array<null>(20).fill(null)]
// Table B (on-demand).
const B_READ: Minute[] = [
  3000, 3600, 4200, 3000, 2400, 1800, 3000, 3600, 4200, 4800, 5400, 6000, 5400, 4800, 4200, 3600, 3000, 2400, 1800, 1200, 1200, 1800, 2400, 3000, 3600, 4200, 4800, 5400, 6000,
  6600,
]
const B_WRITE: Minute[] = [
  null,
  null,
  null,
  600,
  600,
  900,
  1200,
  1200,
  900,
  600,
  600,
  600,
  900,
  1200,
  1500,
  1800,
  2100,
  2400,
  2700,
  3000,
  3300,
  3600,
  3900,
  4200,
  4500,
  [3000, 3000],
  4500,
  3000,
  1500,
  600,
]

// Throttles. Totals are all different, so worst-first order is certain.
const THROTTLES = {
  aQuery: sparse({ 3: 5, 4: [6, 5], 10: 2 }), // ThrottledRequests Operation=Query: 18, worst minute 4 (11)
  aRead: sparse({ 3: 4, 4: 9, 10: 2 }), // ReadThrottleEvents: 15, worst minute 4
  aReadProvisioned: sparse({ 3: 4, 4: 9 }), // ReadProvisionedThroughputThrottleEvents: 13
  aReadKeyRange: sparse({ 10: 2 }), // ReadKeyRangeThroughputThrottleEvents: 2
  aWrite: sparse({ 12: 1, 13: 2 }), // WriteThrottleEvents: 3, worst minute 13
  aGetItemZero: sparse({ 5: 0, 6: 0 }), // ThrottledRequests Operation=GetItem: data, but nothing throttled
  gsiRead: sparse({ 20: 6, 21: 1 }), // GSI ReadThrottleEvents: 7, worst minute 20
  bBatchWrite: sparse({ 8: 3, 25: 30, 26: 12 }), // ThrottledRequests Operation=BatchWriteItem: 45, worst minute 25
  bWrite: sparse({ 25: 20, 26: 9 }), // WriteThrottleEvents: 29
  bWriteKeyRange: sparse({ 25: 5, 26: 3 }), // WriteKeyRangeThroughputThrottleEvents: 8
}

// Table C (provisioned 10 RCU / 1 WCU) for a 150-minute window: a flat 5 reads/s with one minute at
// 5.3 and one at 5.5, so the p99 of 150 rates (nearest rank: the 149th) is not the peak.
const C = uniqueName('met_c')
const C_PERIODS = 150
const C_START = new Date(END.getTime() - C_PERIODS * MINUTE)
const C_READ: Minute[] = Array.from({ length: C_PERIODS }, (_, i) => (i === 40 ? 318 : i === 100 ? 330 : 300))

beforeAll(async () => {
  conn = connect(inject('engines').moto)
  await createReportTables(conn, TABLES)
  await createTable(conn, { name: C, hashKey: { name: 'pk', type: 'S' }, billing: 'PROVISIONED', read: 10, write: 1 }, { wait: true })

  seedCapacity(seeder, TABLES, {
    aRead: A_READ,
    aWrite: A_WRITE,
    aProvRead: A_PROV_READ,
    aProvWrite: A_PROV_WRITE,
    gsiRead: GSI_READ,
    gsiWrite: GSI_WRITE,
    bRead: B_READ,
    bWrite: B_WRITE,
  })
  seeder.seed('ThrottledRequests', [...aDims, ['Operation', 'Query']], THROTTLES.aQuery)
  seeder.seed('ThrottledRequests', [...aDims, ['Operation', 'GetItem']], THROTTLES.aGetItemZero)
  seeder.seed('ReadThrottleEvents', aDims, THROTTLES.aRead)
  seeder.seed('ReadProvisionedThroughputThrottleEvents', aDims, THROTTLES.aReadProvisioned)
  seeder.seed('ReadKeyRangeThroughputThrottleEvents', aDims, THROTTLES.aReadKeyRange)
  seeder.seed('WriteThrottleEvents', aDims, THROTTLES.aWrite)
  seeder.seed('ReadThrottleEvents', gsiDims, THROTTLES.gsiRead)
  seeder.seed('ThrottledRequests', [...bDims, ['Operation', 'BatchWriteItem']], THROTTLES.bBatchWrite)
  seeder.seed('WriteThrottleEvents', bDims, THROTTLES.bWrite)
  seeder.seed('WriteKeyRangeThroughputThrottleEvents', bDims, THROTTLES.bWriteKeyRange)
  // Just outside the window (the minute before it, and its exclusive end): must not count.
  seeder.seedAt('ConsumedReadCapacityUnits', aDims, { [-1]: 60_000, [PERIODS]: 60_000 })
  seeder.seedAt('ReadThrottleEvents', aDims, { [-1]: 100, [PERIODS]: 100 })
  seeder.seedAt('ThrottledRequests', [...bDims, ['Operation', 'BatchWriteItem']] as Dims, { [-1]: 500, [PERIODS]: 500 })
  seeder.seed('ConsumedReadCapacityUnits', [['TableName', C]], C_READ, C_START)
  await seeder.flush(conn)
})
afterAll(() => conn?.destroy())

const window = (): MetricWindow => resolveWindow({ start: START, end: END, periodSeconds: 60 })

describe('capacityReport (moto CloudWatch)', () => {
  it('the window is the seeded 30 minutes, aligned to the minute', () => {
    const w = window()
    expect(w).toEqual({ start: START, end: END, periodSeconds: 60 })
  })

  it('every figure for a provisioned table, its GSI and an on-demand table equals the hand-worked value', { timeout: SLOW }, async () => {
    const progress: string[] = []
    const r = await capacityReport(conn, [A, B], { window: window(), prices: PRICES, onProgress: (m) => progress.push(m) })

    expect(r.window).toEqual({ start: START.toISOString(), end: END.toISOString(), periodSeconds: 60 })
    expect(r.prices).toMatchObject({ region: 'us-east-1', ...PRICES, fallback: false })
    expect(r.noData).toBe(false)
    // 3 units x 6 metrics in one GetMetricData call.
    expect(r.calls).toBe(1)
    expect(progress).toEqual(['reading 18 CloudWatch series for 2 tables', 'read 18 of 18 series'])
    expect(r.tables.map((t) => [t.table, t.billing, t.noData, t.units.map((u) => u.index ?? null)])).toEqual([
      [A, 'PROVISIONED', false, [null, INDEX]],
      [B, 'PAY_PER_REQUEST', false, [null]],
    ])

    // Table A: provisioned read is CloudWatch's average over the window (20 x 20 min + 30 x 10 min) / 30,
    // provisioned write the mean of the per-minute Averages (10 x 15 + 15 x 15) / 30.
    const provRead = mean(numbers(A_PROV_READ.map(minuteAverage)))
    const provWrite = mean(numbers(A_PROV_WRITE.map(minuteAverage)))
    expect(provRead).toBeCloseTo(70 / 3, 12)
    expect(provWrite).toBe(12.5)
    const a = unit(r, A)
    expect(a.billing).toBe('PROVISIONED')
    expectDimension(a.read, A_READ, provRead)
    expectDimension(a.write, A_WRITE, provWrite)
    // On paper: 28 minutes of reads adding up to 21 750 units -> 362.5/28 per second; peak 1170/60 = 19.5 (minute 4).
    expect(a.read.consumed.periodsWithData).toBe(28)
    expect(a.read.consumed.average).toBeCloseTo(21_750 / 60 / 28, 10)
    expect(a.read.consumed.peak).toBe(19.5)
    expect(a.read.consumed.p99).toBe(19.5) // 28 rates: nearest rank ceil(27.72) = 28th, the largest
    expect(a.read.series[4]).toBe(19.5)
    expect(a.read.series[7]).toBeNull()
    expect(a.read.series[19]).toBeNull()
    expect(a.read.utilization).toBeCloseTo(21_750 / 60 / 28 / (70 / 3), 10)
    expect(a.write.consumed.periodsWithData).toBe(28)
    expect(a.write.consumed.peak).toBe(7.5)
    expect(a.write.series[25]).toBeNull()
    // The provisioned series itself, per minute.
    expect(a.read.provisionedSeries).toEqual(A_PROV_READ.map(minuteAverage))
    expect(a.write.provisionedSeries).toEqual(A_PROV_WRITE.map(minuteAverage))
    expect(a.throttleEvents).toEqual({ read: 15, write: 3 })

    // The GSI: no provisioned series in CloudWatch, so DescribeTable's 5/5.
    const g = unit(r, A, INDEX)
    expect(g.billing).toBe('PROVISIONED')
    expectDimension(g.read, GSI_READ, 5)
    expectDimension(g.write, GSI_WRITE, 5)
    expect(g.read.consumed.peak).toBe(4.5)
    expect(g.write.consumed.periodsWithData).toBe(10)
    expect(g.write.consumed.average).toBeCloseTo(720 / 60 / 10, 10)
    expect(g.write.utilization).toBeCloseTo(1.2 / 5, 10)
    expect(g.read.provisionedSeries).toEqual(Array(PERIODS).fill(null))
    expect(g.throttleEvents).toEqual({ read: 7, write: 0 })

    // Table B: on-demand, so no provisioned figure and no utilisation.
    const b = unit(r, B)
    expect(b.billing).toBe('PAY_PER_REQUEST')
    expectDimension(b.read, B_READ, null)
    expectDimension(b.write, B_WRITE, null)
    expect(b.read.consumed.peak).toBe(110)
    expect(b.read.consumed.periodsWithData).toBe(30)
    expect(b.write.consumed.periodsWithData).toBe(27)
    expect(b.write.consumed.peak).toBe(100)
    expect(b.write.series.slice(0, 3)).toEqual([null, null, null])
    expect(b.throttleEvents).toEqual({ read: 0, write: 29 })
  })

  it('the recommendation: throttled tables get on-demand; the costs are those worked out by hand', { timeout: SLOW }, async () => {
    const r = await capacityReport(conn, [A, B], { window: window(), prices: PRICES })
    const option = (table: string, mode: string) => r.tables.find((t) => t.table === table)?.recommendation.options.find((o) => o.mode === mode)

    // A was throttled (reads, writes and its GSI): fixed capacity and auto scaling cannot be trusted, on-demand wins.
    const aCosts = expectedCosts(
      [
        { read: A_READ, write: A_WRITE },
        { read: GSI_READ, write: GSI_WRITE },
      ],
      PERIODS,
    )
    expect(aCosts.fixed).toEqual([
      [24, 9],
      [6, 3],
    ]) // ceil(19.5 x 1.2), ceil(7.5 x 1.2); ceil(4.5 x 1.2), ceil(2 x 1.2)
    const aRec = r.tables.find((t) => t.table === A)?.recommendation
    expect(aRec?.choice).toBe('on-demand')
    expect(aRec?.options.map((o) => [o.mode, o.throttles])).toEqual([
      ['on-demand', false],
      ['provisioned', true],
      ['auto-scaling', true],
    ])
    expect(option(A, 'on-demand')?.monthlyCost).toBeCloseTo(aCosts.onDemand, 9)
    expect(option(A, 'provisioned')?.monthlyCost).toBeCloseTo(aCosts.fixedMonthly, 9)
    expect(option(A, 'provisioned')?.detail).toBe(
      'fixed at peak x 1.2: table 24 RCU / 9 WCU, index byEmail 6 RCU / 3 WCU (would throttle: the load was throttled in the window, so its true peak is unknown)',
    )
    // On paper: reads 21 750 + 5 010 units, writes 8 670 + 720 units in 30 minutes, scaled to 730 hours.
    expect(aCosts.onDemand).toBeCloseTo(((26_760 * 0.25 + 9_390 * 1.25) / 1e6) * 1460, 9)
    expect(aCosts.fixedMonthly).toBeCloseTo((30 * 0.0002 + 12 * 0.001) * 730, 9)

    // B was throttled on writes: on-demand too.
    const bCosts = expectedCosts([{ read: B_READ, write: B_WRITE }], PERIODS)
    const bRec = r.tables.find((t) => t.table === B)?.recommendation
    expect(bRec?.choice).toBe('on-demand')
    expect(bRec?.options.map((o) => [o.mode, o.throttles])).toEqual([
      ['on-demand', false],
      ['provisioned', true],
      ['auto-scaling', true],
    ])
    expect(option(B, 'on-demand')?.monthlyCost).toBeCloseTo(bCosts.onDemand, 9)
    expect(option(B, 'provisioned')?.monthlyCost).toBeCloseTo(bCosts.fixedMonthly, 9)
    expect(bCosts.fixed).toEqual([[132, 120]])
  })

  it('150 one-minute periods of a flat load: p99 is the 149th rate, not the peak, and provisioned is recommended', { timeout: SLOW }, async () => {
    const w = resolveWindow({ start: C_START, end: END, periodSeconds: 60 })
    const r = await capacityReport(conn, [C], { window: w, prices: PRICES })
    const c = unit(r, C)
    expectDimension(c.read, C_READ, 10)
    expect(c.read.consumed.periodsWithData).toBe(150)
    expect(c.read.consumed.peak).toBe(5.5)
    expect(c.read.consumed.p99).toBeCloseTo(5.3, 12)
    expect(c.read.consumed.average).toBeCloseTo((148 * 300 + 318 + 330) / 60 / 150, 10)
    // No writes at all: nothing, not zero.
    expectDimension(c.write, Array(C_PERIODS).fill(null), 1)
    expect(c.write.consumed).toEqual({ average: null, p99: null, peak: null, periodsWithData: 0, periods: 150 })
    expect(c.throttleEvents).toEqual({ read: 0, write: 0 })

    // Fixed: ceil(5.5 x 1.2) = 7 RCU and the 1 WCU minimum. Auto scaling starts from the table's
    // 10 RCU / 1 WCU; 5 of 10 is under 70% for 15 minutes, so from minute 15 it runs at ceil(5 / 0.7) = 8
    // (5.3 and 5.5 of 8 stay under 70%): 15 x 10 + 135 x 8 RCU-minutes, and 150 x 1 WCU-minutes.
    // On-demand: 45 048 read units in 150 minutes.
    const costs = expectedCosts([{ read: C_READ, write: Array(C_PERIODS).fill(null) }], C_PERIODS)
    expect(costs.fixed).toEqual([[7, 1]])
    const rec = r.tables[0].recommendation
    expect(rec.options.map((o) => [o.mode, o.throttles])).toEqual([
      ['on-demand', false],
      ['provisioned', false],
      ['auto-scaling', false],
    ])
    expect(rec.options[0].monthlyCost).toBeCloseTo(((45_048 * 0.25) / 1e6) * ((730 * 60) / 150), 9)
    expect(rec.options[0].monthlyCost).toBeCloseTo(costs.onDemand, 9)
    expect(rec.options[1].monthlyCost).toBeCloseTo((7 * 0.0002 + 1 * 0.001) * 730, 9)
    expect(rec.options[2].monthlyCost).toBeCloseTo((((15 * 10 + 135 * 8) * 0.0002 + 150 * 1 * 0.001) / 60) * ((730 * 60) / 150), 9)
    expect(rec.choice).toBe('provisioned')
  })

  it('a 15-minute report period still simulates minutes: a one-minute spike sets the fixed capacity, not the 15-minute average', { timeout: SLOW }, async () => {
    const D = uniqueName('mx_spike')
    await createTable(conn, { name: D, hashKey: { name: 'pk', type: 'S' }, billing: 'PAY_PER_REQUEST' }, { wait: true })
    // Two whole 15-minute periods ending at a quarter hour, 30 minutes back: 1 RCU/s except one minute at 600/s.
    const quarter = 15 * MINUTE
    const end = new Date(Math.floor((Date.now() - 10 * MINUTE) / quarter) * quarter)
    const start = new Date(end.getTime() - 2 * quarter)
    seeder.seed(
      'ConsumedReadCapacityUnits',
      [['TableName', D]],
      Array.from({ length: 30 }, (_, i) => (i === 7 ? 600 * 60 : 60)),
      start,
    )
    await seeder.flush(conn)
    const r = await capacityReport(conn, [D], { window: resolveWindow({ start, end, periodSeconds: 900 }), prices: PRICES })
    const t = r.tables[0]
    // The report's own figures are 15-minute rates: (14 x 60 + 36000) / 900 = 40.93.. for the first period.
    expect(t.units[0].read.consumed.peak).toBeCloseTo((14 * 60 + 600 * 60) / 900, 6)
    expect(t.recommendation.approximate).toBeUndefined()
    expect(t.recommendation.options.find((o) => o.mode === 'provisioned')?.detail).toContain(`table ${Math.ceil(600 * 1.2)} RCU`)
  })

  it('a window with no data: noData, every figure missing, provisioned from DescribeTable', { timeout: SLOW }, async () => {
    const empty = resolveWindow({ start: new Date(START.getTime() - 3 * 3_600_000), end: new Date(START.getTime() - 2 * 3_600_000), periodSeconds: 60 })
    const r = await capacityReport(conn, [A, B], { window: empty, prices: PRICES })
    expect(r.noData).toBe(true)
    expect(r.tables.map((t) => [t.table, t.noData])).toEqual([
      [A, true],
      [B, true],
    ])
    const none = { average: null, p99: null, peak: null, periodsWithData: 0, periods: 60 }
    for (const [u, read, write] of [
      [unit(r, A), 20, 10],
      [unit(r, A, INDEX), 5, 5],
      [unit(r, B), null, null],
    ] as const) {
      expect(u.read.consumed).toEqual(none)
      expect(u.write.consumed).toEqual(none)
      expect(u.read.series).toEqual(Array(60).fill(null))
      expect([u.read.provisioned, u.write.provisioned]).toEqual([read, write])
      expect([u.read.utilization, u.write.utilization]).toEqual([null, null])
      expect(u.throttleEvents).toEqual({ read: 0, write: 0 })
    }
  })
})

describe('throttleReport (moto CloudWatch)', () => {
  it('every throttled series, worst first, with its total and the minute of its worst spike', { timeout: SLOW }, async () => {
    const r: ThrottleReport = await throttleReport(conn, [A, B], { window: window() })
    expect(r.window).toEqual({ start: START.toISOString(), end: END.toISOString(), periodSeconds: 60 })
    expect(r.throttled).toBe(true)
    expect(r.noData).toBe(false)
    expect(r.calls).toBe(1)

    // Worked out from the seeded arrays: total, worst minute and its value.
    const hand = (table: string, metric: string, minutes: Minute[], extra: { index?: string; operation?: string } = {}) => expectedThrottleRow(START, table, metric, minutes, extra)
    const expected = [
      hand(B, 'ThrottledRequests', THROTTLES.bBatchWrite, { operation: 'BatchWriteItem' }),
      hand(B, 'WriteThrottleEvents', THROTTLES.bWrite),
      hand(A, 'ThrottledRequests', THROTTLES.aQuery, { operation: 'Query' }),
      hand(A, 'ReadThrottleEvents', THROTTLES.aRead),
      hand(A, 'ReadProvisionedThroughputThrottleEvents', THROTTLES.aReadProvisioned),
      hand(B, 'WriteKeyRangeThroughputThrottleEvents', THROTTLES.bWriteKeyRange),
      hand(A, 'ReadThrottleEvents', THROTTLES.gsiRead, { index: INDEX }),
      hand(A, 'WriteThrottleEvents', THROTTLES.aWrite),
      hand(A, 'ReadKeyRangeThroughputThrottleEvents', THROTTLES.aReadKeyRange),
    ]
    // The same on paper: totals 45, 29, 18, 15, 13, 8, 7, 3, 2 and the worst minutes 25, 25, 4, 4, 4, 25, 20, 13, 10.
    expect(expected.map((e) => e.total)).toEqual([45, 29, 18, 15, 13, 8, 7, 3, 2])
    expect(expected.map((e) => e.worstAt)).toEqual([25, 25, 4, 4, 4, 25, 20, 13, 10].map((m) => minuteIso(START, m)))
    expect(expected.map((e) => e.worstValue)).toEqual([30, 20, 11, 9, 9, 5, 6, 2, 2])
    expect(r.rows).toEqual(expected)
    // GetItem had data points, all 0: not a row.
    expect(r.rows.some((row) => row.operation === 'GetItem')).toBe(false)
  })

  it('a window with no data: noData, nothing throttled', { timeout: SLOW }, async () => {
    const empty = resolveWindow({ start: new Date(START.getTime() - 3 * 3_600_000), end: new Date(START.getTime() - 2 * 3_600_000), periodSeconds: 60 })
    const r = await throttleReport(conn, [A, B], { window: empty })
    expect(r).toMatchObject({ rows: [], throttled: false, noData: true, calls: 1 })
  })

  it('an unknown table is a TableNotFoundError before any metric is read', { timeout: SLOW }, async () => {
    const ghost = uniqueName('met_ghost')
    await expect(throttleReport(conn, [A, ghost], { window: window() })).rejects.toMatchObject({
      name: 'TableNotFoundError',
      exitCode: 2,
      message: expect.stringContaining(`Table "${ghost}" does not exist`),
    })
    await expect(capacityReport(conn, [ghost], { window: window() })).rejects.toMatchObject({ name: 'TableNotFoundError', exitCode: 2 })
  })

  it('23 tables need 529 queries: two GetMetricData calls (500 + 29), each series where it belongs', { timeout: 600_000 }, async () => {
    const prefix = uniqueName('met_batch')
    const tables = Array.from({ length: 23 }, (_, i) => `${prefix}_${String(i).padStart(2, '0')}`)
    await Promise.all(tables.map((name) => createTable(conn, { name, hashKey: { name: 'pk', type: 'S' }, billing: 'PAY_PER_REQUEST' }, { wait: true })))
    // An hour nothing else writes to: three days ago, 10 minutes.
    const from = new Date(END.getTime() - 3 * 86_400_000)
    const w = resolveWindow({ start: from, end: new Date(from.getTime() + 10 * MINUTE), periodSeconds: 60 })
    const perTable = THROTTLED_OPERATIONS.length + 2 + THROTTLE_REASON_METRICS.length
    expect(perTable).toBe(23)
    // Query order: per table, 13 ThrottledRequests then Read/WriteThrottleEvents and the 8 reasons.
    // Table 0's GetItem is query 0 (first call); table 21's ReadThrottleEvents is query 496 (first
    // call); its WriteMaxOnDemandThroughputThrottleEvents query 505 and table 22's Scan query 511 (second call).
    seeder.seedAt(
      'ThrottledRequests',
      [
        ['TableName', tables[0]],
        ['Operation', 'GetItem'],
      ],
      { 2: 4 },
      from,
    )
    seeder.seedAt('ReadThrottleEvents', [['TableName', tables[21]]], { 7: 9 }, from)
    seeder.seedAt('WriteMaxOnDemandThroughputThrottleEvents', [['TableName', tables[21]]], { 3: 6 }, from)
    seeder.seedAt(
      'ThrottledRequests',
      [
        ['TableName', tables[22]],
        ['Operation', 'Scan'],
      ],
      { 9: 5 },
      from,
    )
    await seeder.flush(conn)

    const progress: string[] = []
    const r = await throttleReport(conn, tables, { window: w, onProgress: (m) => progress.push(m) })
    expect(r.calls).toBe(2)
    expect(progress).toEqual(['reading 529 CloudWatch series for 23 tables', 'read 500 of 529 series', 'read 529 of 529 series'])
    const row = (table: string, metric: string, minute: number, value: number, operation?: string) => ({
      table,
      ...(operation ? { operation } : {}),
      metric,
      total: value,
      worstAt: minuteIso(from, minute),
      worstValue: value,
      series: sparse({ [minute]: value }, 10),
    })
    expect(r.rows).toEqual([
      row(tables[21], 'ReadThrottleEvents', 7, 9),
      row(tables[21], 'WriteMaxOnDemandThroughputThrottleEvents', 3, 6),
      row(tables[22], 'ThrottledRequests', 9, 5, 'Scan'),
      row(tables[0], 'ThrottledRequests', 2, 4, 'GetItem'),
    ])
    expect(r).toMatchObject({ throttled: true, noData: false })

    // A smaller batch size: ceil(529 / 200) = 3 calls, the same rows.
    const small = await throttleReport(conn, tables, { window: w, batchSize: 200 })
    expect(small.calls).toBe(3)
    expect(small.rows).toEqual(r.rows)
  })
})
