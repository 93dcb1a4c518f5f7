import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import type { CapacityReport, DimensionReport, ThrottleReport } from '../../src/metrics/reports.js'
import { createTable } from '../../src/tables/create.js'
import { describeTableRaw } from '../../src/tables/describe.js'
import type { EngineEndpoints } from '../setup/engines.js'
import { connect, runCli, tempDir, uniqueName } from '../helpers.js'
import {
  createReportTables,
  expectedRates,
  expectedThrottleRow,
  mean,
  MetricSeeder,
  MINUTE,
  minuteAverage,
  minuteIso as minuteIsoFrom,
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

// `dynx report capacity` and `dynx report throttles`, the built CLI against moto server (the engine
// with CloudWatch). Known per-minute series are seeded with PutMetricData into AWS/DynamoDB over a
// past 30-minute window aligned to the minute, and the figures the CLI prints (JSON, CSV, text)
// are checked against values worked out here from the seeded arrays. The moto server is shared
// with every other test file: all table names (hence all metric dimensions) are unique.

const engines = inject('engines') as EngineEndpoints
const endpoint = engines.moto
const conn = connect(endpoint)
afterAll(() => conn.destroy())

const SLOW = 180_000
const { start: START, end: END } = recentWindow(PERIODS)
const minuteIso = (i: number) => minuteIsoFrom(START, i)
/** The seeded window, as flags. */
const WINDOW = ['--start', START.toISOString(), '--end', END.toISOString(), '--period', '1m']
/** A window three days back, where nothing was seeded for these tables. */
const EMPTY_FROM = new Date(START.getTime() - 3 * 86_400_000)
const EMPTY_WINDOW = ['--start', EMPTY_FROM.toISOString(), '--end', new Date(EMPTY_FROM.getTime() + PERIODS * MINUTE).toISOString(), '--period', '1m']

/** The CLI against moto (--endpoint last, after any positionals and flags). */
const dynx = (...args: string[]) => runCli([...args, '--endpoint', endpoint])
const json = <T>(stdout: string): T => JSON.parse(stdout) as T

const seeder = new MetricSeeder(START)

// ------------------------------------------------------- worked out by hand

/** Per-second rates of a Sum-per-minute series: average, nearest-rank p99, peak, provisioned and utilisation. */
function expected(consumed: Minute[], provisioned: number | null) {
  const rates = expectedRates(consumed)
  return { ...rates, provisioned, utilization: provisioned !== null && rates.average !== null ? rates.average / provisioned : null }
}

function expectDimension(actual: DimensionReport, consumed: Minute[], provisioned: number | null): void {
  const e = expected(consumed, provisioned)
  expect(actual.consumed.periods).toBe(PERIODS)
  expect(actual.consumed.periodsWithData).toBe(e.periodsWithData)
  expect(actual.series.map((v) => v === null)).toEqual(e.series.map((v) => v === null))
  actual.series.forEach((v, i) => {
    if (v !== null) expect(v, `minute ${i}`).toBeCloseTo(e.series[i] as number, 10)
  })
  for (const [got, want, what] of [
    [actual.consumed.average, e.average, 'average'],
    [actual.consumed.p99, e.p99, 'p99'],
    [actual.consumed.peak, e.peak, 'peak'],
    [actual.provisioned, e.provisioned, 'provisioned'],
    [actual.utilization, e.utilization, 'utilization'],
  ] as const) {
    if (want === null) expect(got, what).toBeNull()
    else expect(got, what).toBeCloseTo(want, 10)
  }
}

// ------------------------------------------------------------- the tables

const TABLES = reportTables('rep')
const { a: A, b: B, index: INDEX, aDims, gsiDims, bDims } = TABLES
const Q = uniqueName('rep_quiet')
const qDims: Dims = [['TableName', Q]]

// A (provisioned 20/10, GSI byEmail 5/5). Minutes 7 and 19 without reads; minute 4 in two points.
const A_READ: Minute[] = [
  600,
  660,
  720,
  1140,
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
const A_PROV_READ: Minute[] = Array.from({ length: PERIODS }, (_, i) => (i < 20 ? 20 : 30))
const A_PROV_WRITE: Minute[] = Array.from({ length: PERIODS }, () => 10)
const GSI_READ: Minute[] = [120, 120, 180, 180, 240, 240, 180, 120, 120, 120, 180, 180, 120, 120, 120, 180, 180, 240, 240, 240, 270, 240, 180, 180, 120, 120, 120, 120, 120, 120]
const GSI_WRITE: Minute[] = [60, 60, 90, 120, 60, 60, 90, 60, 60, 60, ...Array<null>(20).fill(null)]
// B (on-demand).
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
// Throttles: A's Query 18 (worst minute 4: 11), A's reads 15, the GSI's reads 7, B's BatchWriteItem 45 (worst minute 25: 30), B's writes 29.
const A_QUERY = sparse({ 3: 5, 4: [6, 5], 10: 2 })
const A_READ_THROTTLES = sparse({ 3: 4, 4: 9, 10: 2 })
const GSI_READ_THROTTLES = sparse({ 20: 6, 21: 1 })
const B_BATCH_WRITE = sparse({ 8: 3, 25: 30, 26: 12 })
const B_WRITE_THROTTLES = sparse({ 25: 20, 26: 9 })
// Q: steady reads, and throttle metrics that are there but all 0.
const Q_READ: Minute[] = Array.from({ length: PERIODS }, () => 120)
const Q_ZEROS = sparse({ 0: 0, 10: 0, 20: 0 })

beforeAll(async () => {
  await createReportTables(conn, TABLES)
  await createTable(conn, { name: Q, hashKey: { name: 'pk', type: 'S' }, billing: 'PROVISIONED', read: 4, write: 1 }, { wait: true })
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
  seeder.seed('ThrottledRequests', [...aDims, ['Operation', 'Query']], A_QUERY)
  seeder.seed('ReadThrottleEvents', aDims, A_READ_THROTTLES)
  seeder.seed('ReadThrottleEvents', gsiDims, GSI_READ_THROTTLES)
  seeder.seed('ThrottledRequests', [...bDims, ['Operation', 'BatchWriteItem']], B_BATCH_WRITE)
  seeder.seed('WriteThrottleEvents', bDims, B_WRITE_THROTTLES)
  seeder.seed('ConsumedReadCapacityUnits', qDims, Q_READ)
  seeder.seed('ReadThrottleEvents', qDims, Q_ZEROS)
  seeder.seed('ThrottledRequests', [...qDims, ['Operation', 'GetItem']], Q_ZEROS)
  await seeder.flush(conn)
}, SLOW)

const A_PROV_READ_AVG = mean(numbers(A_PROV_READ.map(minuteAverage))) // (20 x 20 + 30 x 10) / 30

describe.concurrent('dynx report capacity (CLI, moto)', () => {
  it('--json: every figure for A, its GSI and on-demand B equals the hand-worked value', { timeout: SLOW }, async () => {
    const r = await dynx('report', 'capacity', A, B, ...WINDOW, '--json')
    expect(r.code, r.stderr).toBe(0)
    const report = json<CapacityReport>(r.stdout)
    expect(report.window).toEqual({ start: START.toISOString(), end: END.toISOString(), periodSeconds: 60 })
    expect(report.noData).toBe(false)
    expect(report.calls).toBe(1)
    expect(report.prices).toMatchObject({ region: 'us-east-1', fallback: false })
    expect(report.tables.map((t) => [t.table, t.billing, t.noData, t.units.map((u) => u.index ?? null)])).toEqual([
      [A, 'PROVISIONED', false, [null, INDEX]],
      [B, 'PAY_PER_REQUEST', false, [null]],
    ])

    const a = unit(report, A)
    expect(A_PROV_READ_AVG).toBeCloseTo(70 / 3, 12)
    expectDimension(a.read, A_READ, A_PROV_READ_AVG)
    expectDimension(a.write, A_WRITE, 10)
    // On paper: 21 750 read units in 28 minutes with data; the peak is minute 4 (1170 / 60).
    expect(a.read.consumed.average).toBeCloseTo(21_750 / 60 / 28, 10)
    expect([a.read.consumed.peak, a.read.consumed.p99, a.read.consumed.periodsWithData]).toEqual([19.5, 19.5, 28])
    expect([a.read.series[7], a.read.series[19]]).toEqual([null, null])
    expect(a.write.consumed.peak).toBe(7.5)
    expect(a.throttleEvents).toEqual({ read: 15, write: 0 })

    const g = unit(report, A, INDEX)
    expectDimension(g.read, GSI_READ, 5)
    expectDimension(g.write, GSI_WRITE, 5)
    expect([g.read.consumed.peak, g.write.consumed.periodsWithData]).toEqual([4.5, 10])
    expect(g.throttleEvents).toEqual({ read: 7, write: 0 })

    const b = unit(report, B)
    expectDimension(b.read, B_READ, null)
    expectDimension(b.write, B_WRITE, null)
    expect([b.read.consumed.peak, b.write.consumed.peak, b.write.consumed.periodsWithData]).toEqual([110, 100, 27])
    expect(b.throttleEvents).toEqual({ read: 0, write: 29 })

    // Both were throttled, so neither fixed capacity nor auto scaling can be trusted: on-demand.
    for (const t of report.tables) {
      expect(t.recommendation.choice, t.table).toBe('on-demand')
      expect(t.recommendation.options.map((o) => [o.mode, o.throttles])).toEqual([
        ['on-demand', false],
        ['provisioned', true],
        ['auto-scaling', true],
      ])
    }
    // On-demand for A at the us-east-1 prices: (26 760 read units x $0.125 + 9 390 write units x $0.625) per million, 30 minutes -> 730 hours.
    const aOnDemand = report.tables[0].recommendation.options[0].monthlyCost
    expect(aOnDemand).toBeCloseTo(((26_760 * report.prices.readRequestPerMillion + 9_390 * report.prices.writeRequestPerMillion) / 1e6) * 1460, 9)
    expect(report.tables[0].recommendation.options[1].detail).toBe(
      'fixed at peak x 1.2: table 24 RCU / 9 WCU, index byEmail 6 RCU / 3 WCU (would throttle: the load was throttled in the window, so its true peak is unknown)',
    )
  })

  it('--format csv: a header and one row per table or GSI and dimension, with the same figures', { timeout: SLOW }, async () => {
    const r = await dynx('report', 'capacity', A, B, ...WINDOW, '--format', 'csv')
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('table,index,billing,dimension,provisioned,consumed_avg_per_s,consumed_p99_per_s,consumed_peak_per_s,utilization,throttle_events,recommendation')
    const rows = lines.slice(1).map((l) => l.split(','))
    expect(rows.map((c) => c.slice(0, 4))).toEqual([
      [A, '', 'PROVISIONED', 'read'],
      [A, '', 'PROVISIONED', 'write'],
      [A, INDEX, 'PROVISIONED', 'read'],
      [A, INDEX, 'PROVISIONED', 'write'],
      [B, '', 'PAY_PER_REQUEST', 'read'],
      [B, '', 'PAY_PER_REQUEST', 'write'],
    ])
    const want = [
      [expected(A_READ, A_PROV_READ_AVG), 15],
      [expected(A_WRITE, 10), 0],
      [expected(GSI_READ, 5), 7],
      [expected(GSI_WRITE, 5), 0],
      [expected(B_READ, null), 0],
      [expected(B_WRITE, null), 29],
    ] as const
    rows.forEach((cells, i) => {
      const [e, throttles] = want[i]
      const cell = (k: number, v: number | null) => {
        if (v === null) expect(cells[k], `row ${i} column ${k}`).toBe('')
        else expect(Number(cells[k]), `row ${i} column ${k}`).toBeCloseTo(v, 10)
      }
      cell(4, e.provisioned)
      cell(5, e.average)
      cell(6, e.p99)
      cell(7, e.peak)
      cell(8, e.utilization)
      expect(cells.slice(9)).toEqual([String(throttles), 'on-demand'])
    })
  })

  it('the text table (no terminal, so no sparklines) and the recommendation lines', { timeout: SLOW }, async () => {
    const r = await dynx('report', 'capacity', A, B, ...WINDOW)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`Capacity ${START.toISOString()} to ${END.toISOString()}, 1-minute periods (consumed in units per second).`)
    // A read: provisioned 23.33, avg 21750/60/28 = 12.95, p99 and peak 19.5, 55% used, 15 throttle events.
    expect(r.stdout).toMatch(new RegExp(`│ ${A} +│ read +│ 23\\.33 +│ 12\\.95 +│ 19\\.50 +│ 19\\.50 +│ 55% +│ 15 +│`))
    expect(r.stdout).toMatch(/│ +│ write +│ 10 +│ 5\.16 +│ 7\.50 +│ 7\.50 +│ 52% +│ 0 +│/)
    // The GSI, indented under its table: read 5010/60/30 = 2.78 of 5 (56%); write 720/60/10 = 1.20, peak 2 (24%).
    expect(r.stdout).toMatch(/│ {3}index byEmail +│ read +│ 5 +│ 2\.78 +│ 4\.50 +│ 4\.50 +│ 56% +│ 7 +│/)
    expect(r.stdout).toMatch(/│ {3}index byEmail +│ read .*\n.*\n│ +│ write +│ 5 +│ 1\.20 +│ 2 +│ 2 +│ 24% +│ 0 +│/)
    // B, on-demand: reads 110 400/60/30 = 61.33, writes 57 900/60/27 = 35.74.
    expect(r.stdout).toMatch(new RegExp(`│ ${B} +│ read +│ on-demand +│ 61\\.33 +│ 110 +│ 110 +│ - +│ 0 +│\\n.*\\n│ +│ write +│ on-demand +│ 35\\.74 +│ 100 +│ 100 +│ - +│ 29 +│`))
    expect(r.stdout).not.toMatch(/[▁▂▃▄▅▆▇█]/)
    expect(r.stdout).toContain(`${A}: recommend on-demand\n`)
    // A on-demand at us-east-1 prices: (26 760 x $0.125 + 9 390 x $0.625) / 1e6 x 1460 = $13.45, shown rounded.
    expect(r.stdout).toMatch(
      new RegExp(`${A}: recommend on-demand\\n {2}on-demand +\\$${Math.round(((26_760 * 0.125 + 9_390 * 0.625) / 1e6) * 1460)}/month {2}pay per request unit consumed\\n`),
    )
    expect(r.stdout).toContain('Prices: us-east-1, taken ')
    expect(r.stdout).toContain(`${B}: recommend on-demand (its billing mode now)\n`)
    expect(r.stdout).toMatch(/ {2}provisioned +\$\d+\.\d\d\/month {2}would throttle {2}fixed at peak x 1\.2: table 24 RCU \/ 9 WCU, index byEmail 6 RCU \/ 3 WCU/)
  })

  it('--chart A draws consumed against provisioned as a line chart', { timeout: SLOW }, async () => {
    const r = await dynx('report', 'capacity', A, ...WINDOW, '--chart', A)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`${A}: consumed (per second) against provisioned; periods without data drawn as 0`)
    expect(r.stdout).toContain('read (the second line is provisioned):')
    expect(r.stdout).toContain('write (the second line is provisioned):')
    expect(r.stdout).toMatch(/[┤┼]/)
    // The read chart's top is provisioned's 30, its bottom 0 (the minutes without data).
    const chart = r.stdout.slice(r.stdout.indexOf('read (the second line'))
    expect(chart).toMatch(/^ *30\.00 [┤┼]/m)
    expect(chart).toMatch(/^ *0\.00 [┤┼]/m)
  })

  it('a window with no data: "No data for this window", exit 0', { timeout: SLOW }, async () => {
    const text = await dynx('report', 'capacity', A, B, ...EMPTY_WINDOW)
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain('No data for this window: CloudWatch has no consumed-capacity figures for these tables then.')
    const r = await dynx('report', 'capacity', A, B, ...EMPTY_WINDOW, '--json')
    expect(r.code, r.stderr).toBe(0)
    const report = json<CapacityReport>(r.stdout)
    expect(report.noData).toBe(true)
    expect(report.tables.map((t) => t.noData)).toEqual([true, true])
    expect(unit(report, A).read.consumed).toEqual({ average: null, p99: null, peak: null, periodsWithData: 0, periods: 30 })
  })
})

describe.concurrent('dynx report throttles (CLI, moto)', () => {
  it('--json: worst first, with totals and worst minutes worked out by hand; --fail-on-throttle exits 3', { timeout: SLOW }, async () => {
    const hand = (table: string, metric: string, minutes: Minute[], extra: { index?: string; operation?: string } = {}) => expectedThrottleRow(START, table, metric, minutes, extra)
    const rows = [
      hand(B, 'ThrottledRequests', B_BATCH_WRITE, { operation: 'BatchWriteItem' }),
      hand(B, 'WriteThrottleEvents', B_WRITE_THROTTLES),
      hand(A, 'ThrottledRequests', A_QUERY, { operation: 'Query' }),
      hand(A, 'ReadThrottleEvents', A_READ_THROTTLES),
      hand(A, 'ReadThrottleEvents', GSI_READ_THROTTLES, { index: INDEX }),
    ]
    expect(rows.map((x) => [x.total, x.worstValue, x.worstAt])).toEqual([
      [45, 30, minuteIso(25)],
      [29, 20, minuteIso(25)],
      [18, 11, minuteIso(4)],
      [15, 9, minuteIso(4)],
      [7, 6, minuteIso(20)],
    ])

    const gate = await dynx('report', 'throttles', A, B, ...WINDOW, '--fail-on-throttle', '--json')
    expect(gate.code, gate.stderr).toBe(3)
    const report = json<ThrottleReport>(gate.stdout)
    expect(report).toMatchObject({ outcome: 'drift', throttled: true, noData: false, calls: 1, window: { start: START.toISOString(), end: END.toISOString(), periodSeconds: 60 } })
    expect(report.rows).toEqual(rows)

    // Without the flag the same report is exit 0.
    const plain = await dynx('report', 'throttles', A, B, ...WINDOW, '--json')
    expect(plain.code, plain.stderr).toBe(0)
    expect(json<ThrottleReport>(plain.stdout)).toMatchObject({ outcome: 'ok', throttled: true })
    expect(json<ThrottleReport>(plain.stdout).rows).toEqual(rows)
  })

  it('text and csv: one line per throttled series, worst first; exit 3 with --fail-on-throttle', { timeout: SLOW }, async () => {
    const text = await dynx('report', 'throttles', A, B, ...WINDOW, '--fail-on-throttle')
    expect(text.code, text.stderr).toBe(3)
    expect(text.stdout).toContain(`Throttling ${START.toISOString()} to ${END.toISOString()}, 1-minute periods.`)
    const body = text.stdout.split('\n').filter((l) => l.startsWith('│') && !l.includes('Table / index'))
    expect(body).toHaveLength(5)
    const expectedLines: Array<[string, string, number, number, number]> = [
      [B, 'BatchWriteItem', 45, 25, 30],
      [B, 'WriteThrottleEvents', 29, 25, 20],
      [A, 'Query', 18, 4, 11],
      [A, 'ReadThrottleEvents', 15, 4, 9],
      [`index ${INDEX}`, 'ReadThrottleEvents', 7, 20, 6],
    ]
    expectedLines.forEach(([who, what, total, minute, worst], i) => {
      expect(body[i]).toMatch(new RegExp(`^│ ${who} +│ ${what} +│ ${total} +│ ${minuteIso(minute).replaceAll('.', '\\.')} +│ ${worst} +│$`))
    })

    const csv = await dynx('report', 'throttles', A, B, ...WINDOW, '--format', 'csv')
    expect(csv.code, csv.stderr).toBe(0)
    expect(csv.stdout.trimEnd().split('\n')).toEqual([
      'table,index,operation,metric,total,worst_period,worst_value',
      `${B},,BatchWriteItem,ThrottledRequests,45,${minuteIso(25)},30`,
      `${B},,,WriteThrottleEvents,29,${minuteIso(25)},20`,
      `${A},,Query,ThrottledRequests,18,${minuteIso(4)},11`,
      `${A},,,ReadThrottleEvents,15,${minuteIso(4)},9`,
      `${A},${INDEX},,ReadThrottleEvents,7,${minuteIso(20)},6`,
    ])
  })

  it('a table with throttle metrics that are all 0: "Nothing was throttled", exit 0 even with --fail-on-throttle', { timeout: SLOW }, async () => {
    const r = await dynx('report', 'throttles', Q, ...WINDOW, '--fail-on-throttle')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Nothing was throttled.')
    const j = await dynx('report', 'throttles', Q, ...WINDOW, '--fail-on-throttle', '--json')
    expect(j.code, j.stderr).toBe(0)
    expect(json<ThrottleReport>(j.stdout)).toMatchObject({ rows: [], throttled: false, noData: false })
  })

  it('a window with no data: "No data for this window", exit 0 even with --fail-on-throttle', { timeout: SLOW }, async () => {
    const r = await dynx('report', 'throttles', A, B, ...EMPTY_WINDOW, '--fail-on-throttle')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('No data for this window')
    const j = await dynx('report', 'throttles', A, B, ...EMPTY_WINDOW, '--json')
    expect(json<ThrottleReport>(j.stdout)).toMatchObject({ rows: [], throttled: false, noData: true })
  })
})

describe.concurrent('dynx report: bad input (CLI, moto)', () => {
  it(
    'inverted or future window, unknown table, --period 90s, --since 30, --chart of another table: exit 2, clear message, nothing changed',
    { timeout: SLOW },
    async ({ expect }) => {
      const before = await describeTableRaw(conn, A)
      const ghost = uniqueName('rep_ghost')
      const future = new Date(Date.now() + 2 * 3_600_000).toISOString()
      const cases: Array<[string[], string]> = [
        [
          ['report', 'capacity', A, '--start', END.toISOString(), '--end', START.toISOString()],
          `The window is empty or inverted: it starts at ${END.toISOString()} and ends at ${START.toISOString()}.`,
        ],
        [['report', 'throttles', A, '--start', END.toISOString(), '--end', START.toISOString()], 'The window is empty or inverted'],
        [['report', 'capacity', A, '--start', START.toISOString(), '--end', future], `The window ends in the future (${future}); CloudWatch has nothing there yet.`],
        [['report', 'throttles', A, '--start', START.toISOString(), '--end', future, '--fail-on-throttle'], 'The window ends in the future'],
        [['report', 'capacity', A, ghost, ...WINDOW], `Table "${ghost}" does not exist`],
        [['report', 'throttles', ghost, ...WINDOW, '--fail-on-throttle'], `Table "${ghost}" does not exist`],
        [['report', 'capacity', A, '--since', '1h', '--period', '90s'], '--period 90s is not a multiple of 60 seconds.'],
        [['report', 'throttles', A, '--since', '1h', '--period', '90s'], '--period 90s is not a multiple of 60 seconds.'],
        [['report', 'capacity', A, '--since', '30'], '--since "30" is not a duration.'],
        [['report', 'throttles', A, '--since', '30'], '--since "30" is not a duration.'],
        [['report', 'capacity', A, ...WINDOW, '--chart', B], `--chart ${B} is not one of the tables in this report.`],
      ]
      for (const [args, message] of cases) {
        const r = await dynx(...args)
        expect.soft({ args: args.join(' '), code: r.code }).toEqual({ args: args.join(' '), code: 2 })
        expect.soft(r.stderr, args.join(' ')).toContain(message)
        expect.soft(r.stdout, args.join(' ')).toBe('')
      }
      // --json: the same error as JSON, exit 2.
      const j = await dynx('report', 'capacity', A, '--since', '1h', '--period', '90s', '--json')
      expect(j.code).toBe(2)
      expect(json<{ error: { message: string; exitCode: number } }>(j.stdout).error).toMatchObject({ message: '--period 90s is not a multiple of 60 seconds.', exitCode: 2 })
      // Read-only: the table is as it was, and the unknown one was not created.
      const after = await describeTableRaw(conn, A)
      expect([after.ProvisionedThroughput?.ReadCapacityUnits, after.ProvisionedThroughput?.WriteCapacityUnits, after.TableStatus]).toEqual([20, 10, 'ACTIVE'])
      expect(after.ProvisionedThroughput?.ReadCapacityUnits).toBe(before.ProvisionedThroughput?.ReadCapacityUnits)
      expect(after.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.ProvisionedThroughput?.ReadCapacityUnits, g.ProvisionedThroughput?.WriteCapacityUnits])).toEqual([
        [INDEX, 5, 5],
      ])
      await expect(describeTableRaw(conn, ghost)).rejects.toMatchObject({ name: 'TableNotFoundError' })
    },
  )

  it('--local: exit 2, the embedded engine has no CloudWatch', { timeout: SLOW }, async () => {
    const env = { DYNX_LOCAL_PATH: tempDir('dynx-local-'), DYNX_HOME: tempDir('dynx-home-') }
    for (const args of [
      ['report', 'capacity', 'users', '--since', '1h'],
      ['report', 'throttles', 'users', '--fail-on-throttle'],
      ['report', 'capacity'],
    ]) {
      const r = await runCli([...args, '--local'], { env })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr, args.join(' ')).toContain('The embedded --local engine does not support CloudWatch metrics.')
      expect(r.stdout, args.join(' ')).toBe('')
    }
  })
})
