import { GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it } from 'vitest'

import { capacityCsv, sparkline, throttleCsv } from '../../src/cli/report-render.js'
import { createConnection, type Connection } from '../../src/connection/clients.js'
import { UnsupportedByEngineError, UserInputError } from '../../src/errors.js'
import {
  addSeries,
  fetchMetrics,
  periodStarts,
  perSecond,
  pricesFor,
  recommendCapacity,
  resolveWindow,
  simulateAutoScaling,
  summarizeSeries,
  worstIndex,
  type CapacityReport,
  type MetricQuery,
  type MetricWindow,
  type Series,
  type SimulationSettings,
  type ThrottleReport,
  type UnitLoad,
} from '../../src/metrics/index.js'
import { connect } from '../helpers.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const at = (iso: string) => new Date(iso)
const PRICES = pricesFor('us-east-1')
const DEFAULTS: Required<SimulationSettings> = { headroom: 1.2, targetUtilization: 0.7, scaleOutMinutes: 2, scaleInMinutes: 15, minCapacity: 1 }

const flat = (n: number, v: number | null): Series => Array<number | null>(n).fill(v)
const unit = (read: Series, write: Series, extra: Partial<UnitLoad> = {}): UnitLoad => ({ name: 'table', periodSeconds: 60, read, write, ...extra })
const option = (r: ReturnType<typeof recommendCapacity>, mode: string) => {
  const o = r.options.find((x) => x.mode === mode)
  if (!o) throw new Error(`no ${mode} option`)
  return o
}

// ---------------------------------------------------------------- recommendation (pure)

describe('recommendCapacity on crafted per-minute series (us-east-1 prices)', () => {
  it('the us-east-1 prices the hand computations below use', () => {
    expect(PRICES).toEqual({ region: 'us-east-1', readRequestPerMillion: 0.125, writeRequestPerMillion: 0.625, rcuHour: 0.00013, wcuHour: 0.00065, fallback: false })
  })

  it('a flat load (50 RCU/s, 20 WCU/s every minute for a day) picks provisioned, with each option priced by hand', () => {
    const r = recommendCapacity([unit(flat(1440, 50), flat(1440, 20))], PRICES)
    expect(r.choice).toBe('provisioned')
    expect(r.options.map((o) => o.mode)).toEqual(['on-demand', 'provisioned', 'auto-scaling'])
    // on-demand: a day is 50*60*1440 = 4,320,000 RRU and 20*60*1440 = 1,728,000 WRU = $0.54 + $1.08; x 730*60/1440.
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(1.62 * ((730 * 60) / 1440), 9)
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(49.275, 9)
    // fixed: ceil(50*1.2) = 60 RCU, ceil(20*1.2) = 24 WCU, 730 hours.
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo((60 * 0.00013 + 24 * 0.00065) * 730, 9)
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo(17.082, 9)
    expect(option(r, 'provisioned').detail).toBe('fixed at peak x 1.2: table 60 RCU / 24 WCU')
    // auto scaling: ceil(50/0.7) = 72 RCU and ceil(20/0.7) = 29 WCU all day (at 69% they never scale in).
    expect(option(r, 'auto-scaling').monthlyCost).toBeCloseTo((72 * 0.00013 + 29 * 0.00065) * 730, 9)
    expect(option(r, 'auto-scaling').monthlyCost).toBeCloseTo(20.5933, 9)
    expect(r.options.map((o) => o.throttles)).toEqual([false, false, false])
  })

  it('a spiky load (1/s all day, four one-minute spikes to 2000 RCU/s) picks on-demand', () => {
    const read = flat(1440, 1)
    for (const m of [300, 700, 1100, 1400]) read[m] = 2000
    const r = recommendCapacity([unit(read, flat(1440, 1))], PRICES)
    expect(r.choice).toBe('on-demand')
    // on-demand: (1436 + 4*2000)*60 = 566,160 RRU and 86,400 WRU a day.
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(((566_160 * 0.125 + 86_400 * 0.625) / 1e6) * ((730 * 60) / 1440), 9)
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(3.7950875, 9)
    // fixed: 2400 RCU and ceil(1.2) = 2 WCU all month.
    expect(option(r, 'provisioned').detail).toBe('fixed at peak x 1.2: table 2400 RCU / 2 WCU')
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo((2400 * 0.00013 + 2 * 0.00065) * 730, 9)
    expect(option(r, 'provisioned').throttles).toBe(false)
    // auto scaling sits at 2 RCU and a one-minute spike to 2000 is over before it scales out.
    expect(option(r, 'auto-scaling').throttles).toBe(true)
  })

  it('a load that was throttled in the window never picks fixed provisioned capacity (nor auto scaling)', () => {
    const throttles = flat(1440, null)
    throttles[600] = 12
    const r = recommendCapacity([unit(flat(1440, 50), flat(1440, 20), { throttles })], PRICES)
    expect(r.choice).toBe('on-demand')
    expect(option(r, 'provisioned').throttles).toBe(true)
    expect(option(r, 'provisioned').detail).toBe('fixed at peak x 1.2: table 60 RCU / 24 WCU (would throttle: the load was throttled in the window, so its true peak is unknown)')
    expect(option(r, 'auto-scaling').throttles).toBe(true)
    expect(option(r, 'on-demand').throttles).toBe(false)
    // The same flat load unthrottled picked provisioned: the costs did not change, only the verdict.
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo(17.082, 9)
  })

  it('throttle series of zeros and nulls are no throttling', () => {
    const throttles: Series = [...flat(720, null), ...flat(720, 0)]
    const r = recommendCapacity([unit(flat(1440, 50), flat(1440, 20), { throttles })], PRICES)
    expect(r.choice).toBe('provisioned')
    expect(option(r, 'provisioned').throttles).toBe(false)
  })

  it('auto scaling that cannot keep up with a sudden rise (10/s then 100/s) is marked throttles:true; fixed is not', () => {
    const read = [...flat(30, 10), ...flat(30, 100)]
    const r = recommendCapacity([unit(read, flat(60, 1))], PRICES)
    const auto = option(r, 'auto-scaling')
    expect(auto.throttles).toBe(true)
    expect(auto.detail).toBe('target 70%, out after 2 min above, in after 15 min below (would throttle: load rose faster than it scales out)')
    expect(option(r, 'provisioned').throttles).toBe(false)
    expect(option(r, 'provisioned').detail).toBe('fixed at peak x 1.2: table 120 RCU / 2 WCU')
    // on-demand (30*10 + 30*100)*60 = 198,000 RRU + 3,600 WRU per hour = $0.027/h; fixed 120 RCU + 2 WCU = $0.0169/h.
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(0.027 * 730, 9)
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo(0.0169 * 730, 9)
    expect(r.choice).toBe('provisioned')
  })

  it('two minutes of load, by hand: on-demand units x price / 1e6 scaled to 730 h, fixed ceil(peak*1.2) x hourly x 730, auto scaling per-minute capacity', () => {
    const r = recommendCapacity([unit([10, 20], [5, null])], PRICES)
    // on-demand: (10+20)*60 = 1800 RRU, 5*60 = 300 WRU in 2 minutes; 730 h is 21,900 times 2 minutes.
    const onDemand = ((1800 * 0.125 + 300 * 0.625) / 1e6) * 21_900
    expect(onDemand).toBeCloseTo(9.03375, 12)
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(9.03375, 9)
    // fixed: ceil(20*1.2) = 24 RCU, ceil(5*1.2) = 6 WCU.
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo((24 * 0.00013 + 6 * 0.00065) * 730, 9)
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo(5.1246, 9)
    expect(option(r, 'provisioned').throttles).toBe(false)
    // auto: reads [15, 15] (ceil(10/0.7)), 20 > 15 throttles; writes [8, 8] (ceil(5/0.7)); summed per minute.
    expect(option(r, 'auto-scaling').monthlyCost).toBeCloseTo(((30 * 0.00013 + 16 * 0.00065) / 60) * 21_900, 9)
    expect(option(r, 'auto-scaling').monthlyCost).toBeCloseTo(5.2195, 9)
    expect(option(r, 'auto-scaling').throttles).toBe(true)
    expect(r.choice).toBe('provisioned')
  })

  it('a 5-minute period is spread over its 5 minutes; no data counts as no load; fixed never goes below 1', () => {
    const r = recommendCapacity([unit([10], [null], { periodSeconds: 300 })], PRICES)
    // 10/s for 5 minutes = 3000 RRU; 730 h is 8760 times 5 minutes.
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(((3000 * 0.125) / 1e6) * 8760, 9)
    expect(option(r, 'provisioned').detail).toBe('fixed at peak x 1.2: table 12 RCU / 1 WCU')
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo((12 * 0.00013 + 1 * 0.00065) * 730, 9)
    // auto: 15 RCU and 1 WCU for each of the 5 minutes.
    expect(option(r, 'auto-scaling').monthlyCost).toBeCloseTo(((75 * 0.00013 + 5 * 0.00065) / 60) * 8760, 9)
    expect(r.choice).toBe('provisioned')
  })

  it('a table and its GSI are costed together', () => {
    const r = recommendCapacity([unit([7], [7]), unit([14], [0], { name: 'index g' })], PRICES)
    expect(option(r, 'provisioned').detail).toBe('fixed at peak x 1.2: table 9 RCU / 9 WCU, index g 17 RCU / 1 WCU')
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo((9 * 0.00013 + 9 * 0.00065 + 17 * 0.00013 + 1 * 0.00065) * 730, 9)
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo(((7 * 60 * 0.125 + 7 * 60 * 0.625 + 14 * 60 * 0.125) / 1e6) * 43_800, 9)
    // auto: 10 + 10 (table), 20 + 1 (index).
    expect(option(r, 'auto-scaling').monthlyCost).toBeCloseTo((10 * 0.00013 + 10 * 0.00065 + 20 * 0.00013 + 1 * 0.00065) * 730, 9)
    expect(r.choice).toBe('provisioned')
  })

  it('a long window the period choice allows (100 days at 1-hour periods = 144,000 minutes) is simulated without overflowing', () => {
    // `--since 100d --period 1h`: resolveWindow accepts it (up to 455 days), so the simulation must cope.
    const hours = 2400
    const r = recommendCapacity([unit(flat(hours, 1), flat(hours, null), { periodSeconds: 3600 })], PRICES)
    // 1 RCU/s all month = 3600 * 730 = 2,628,000 RRU.
    expect(option(r, 'on-demand').monthlyCost).toBeCloseTo((2_628_000 * 0.125) / 1e6, 9)
    expect(option(r, 'provisioned').detail).toBe('fixed at peak x 1.2: table 2 RCU / 1 WCU')
    expect(option(r, 'provisioned').monthlyCost).toBeCloseTo((2 * 0.00013 + 0.00065) * 730, 9)
    expect(r.choice).toBe('on-demand')
  })
})

// ---------------------------------------------------------------- auto scaling simulation

describe('simulateAutoScaling (target 70%, out after 2 minutes above, in after 15 below)', () => {
  it('starts at ceil(first / 0.7)', () => {
    expect(simulateAutoScaling([7], DEFAULTS)).toEqual({ capacity: [10], throttled: false })
    expect(simulateAutoScaling([50], DEFAULTS).capacity).toEqual([72])
    expect(simulateAutoScaling([10], DEFAULTS).capacity).toEqual([15])
    expect(simulateAutoScaling([], DEFAULTS)).toEqual({ capacity: [], throttled: false })
  })

  it('a load of exactly 70% of a capacity starts at that capacity (21/s -> 30, not 31)', () => {
    // 21 / 0.7 = 30 exactly; in floating point 21 / 0.7 = 30.000000000000004, whose ceil is 31.
    expect(simulateAutoScaling([21], DEFAULTS).capacity).toEqual([30])
  })

  it('scales out only after 2 consecutive minutes above 70%, effective the next minute', () => {
    // cap 10; minutes 1 and 2 at 80% -> ceil(8/0.7) = 12 from minute 3.
    expect(simulateAutoScaling([7, 8, 8, 8, 8], DEFAULTS)).toEqual({ capacity: [10, 10, 10, 12, 12], throttled: false })
    // Alternating above/at target never counts 2 in a row.
    expect(simulateAutoScaling([7, 8, 7, 8, 7, 8], DEFAULTS).capacity).toEqual([10, 10, 10, 10, 10, 10])
  })

  it('scales in only after 15 consecutive minutes below 70%, effective the next minute', () => {
    // cap 100 (70/0.7); minute 0 is at 70% (not below); minutes 1..15 at 30% -> ceil(30/0.7) = 43 from minute 16.
    const load = [70, ...Array<number>(20).fill(30)]
    expect(simulateAutoScaling(load, DEFAULTS)).toEqual({ capacity: [...Array<number>(16).fill(100), ...Array<number>(5).fill(43)], throttled: false })
    // 14 below, one at target, 14 below: never 15 in a row.
    const broken = [70, ...Array<number>(14).fill(30), 70, ...Array<number>(14).fill(30)]
    expect(simulateAutoScaling(broken, DEFAULTS).capacity).toEqual(Array<number>(30).fill(100))
  })

  it('scales in to what the busiest of the 15 minutes below needed, so one idle minute does not drop it to the minimum', () => {
    // cap 100; 14 minutes at 30 then an idle minute (no data counts as 0): in to ceil(30/0.7) = 43, not 1.
    const load = [70, ...Array<number>(14).fill(30), 0, 30, 30]
    expect(simulateAutoScaling(load, DEFAULTS)).toEqual({ capacity: [...Array<number>(16).fill(100), 43, 43], throttled: false })
  })

  it('never goes below minCapacity', () => {
    expect(simulateAutoScaling([0, 0], DEFAULTS).capacity).toEqual([1, 1])
    const s = { ...DEFAULTS, minCapacity: 5 }
    expect(simulateAutoScaling([1], s).capacity).toEqual([5])
    // From 100, 15 idle minutes scale in to 5, not 0.
    expect(simulateAutoScaling([70, ...Array<number>(16).fill(0)], s).capacity).toEqual([...Array<number>(16).fill(100), 5])
  })

  it("is throttled when a minute's load exceeds its capacity (not when it equals it)", () => {
    expect(simulateAutoScaling([7, 11], DEFAULTS)).toEqual({ capacity: [10, 10], throttled: true })
    expect(simulateAutoScaling([7, 10], DEFAULTS)).toEqual({ capacity: [10, 10], throttled: false })
  })
})

// ---------------------------------------------------------------- window

describe('resolveWindow', () => {
  const NOW = at('2026-03-10T12:00:30.000Z')
  const fail = (f: () => unknown): UserInputError => {
    try {
      f()
    } catch (err) {
      expect(err).toBeInstanceOf(UserInputError)
      expect((err as UserInputError).exitCode).toBe(2)
      return err as UserInputError
    }
    throw new Error('expected a UserInputError')
  }

  it('default: the last 24 hours ending now, aligned down to the minute, 1440 one-minute periods', () => {
    const w = resolveWindow({ now: NOW })
    expect(w).toEqual({ start: at('2026-03-09T12:00:00.000Z'), end: at('2026-03-10T12:00:00.000Z'), periodSeconds: 60 })
    const starts = periodStarts(w)
    expect(starts.length).toBe(1440)
    expect(starts[0]).toBe(at('2026-03-09T12:00:00.000Z').getTime())
    expect(starts[1439]).toBe(at('2026-03-10T11:59:00.000Z').getTime())
    expect(resolveWindow({ now: NOW, sinceMs: DAY })).toEqual(w)
  })

  it('sinceMs ends now; start and end are aligned down to the period', () => {
    const w = resolveWindow({ now: at('2026-03-10T12:07:30Z'), sinceMs: HOUR, periodSeconds: 300 })
    expect(w).toEqual({ start: at('2026-03-10T11:05:00Z'), end: at('2026-03-10T12:05:00Z'), periodSeconds: 300 })
    expect(periodStarts(w).length).toBe(12)
    const e = resolveWindow({ now: NOW, start: at('2026-03-10T01:02:03Z'), end: at('2026-03-10T03:04:05Z'), periodSeconds: 3600 })
    expect(e).toEqual({ start: at('2026-03-10T01:00:00Z'), end: at('2026-03-10T03:00:00Z'), periodSeconds: 3600 })
    expect(periodStarts(e)).toEqual([at('2026-03-10T01:00:00Z').getTime(), at('2026-03-10T02:00:00Z').getTime()])
  })

  it('an inverted or empty window is a UserInputError (exit 2)', () => {
    expect(fail(() => resolveWindow({ now: NOW, start: at('2026-03-10T03:00:00Z'), end: at('2026-03-10T01:00:00Z') })).message).toBe(
      'The window is empty or inverted: it starts at 2026-03-10T03:00:00.000Z and ends at 2026-03-10T01:00:00.000Z.',
    )
    expect(fail(() => resolveWindow({ now: NOW, start: at('2026-03-10T01:00:00Z'), end: at('2026-03-10T01:00:00Z') })).message).toMatch(/empty or inverted/)
  })

  it('a window ending in the future is a UserInputError', () => {
    expect(fail(() => resolveWindow({ now: NOW, start: at('2026-03-10T10:00:00Z'), end: new Date(NOW.getTime() + 2 * MIN) })).message).toBe(
      'The window ends in the future (2026-03-10T12:02:30.000Z); CloudWatch has nothing there yet.',
    )
  })

  it('a window starting more than 455 days ago is a UserInputError', () => {
    const e = fail(() => resolveWindow({ now: NOW, start: new Date(NOW.getTime() - 456 * DAY), end: new Date(NOW.getTime() - 400 * DAY) }))
    expect(e.message).toBe('The window starts 456 days ago; CloudWatch keeps DynamoDB metrics for 455 days.')
    // 455 days exactly is still kept (1-hour data).
    expect(resolveWindow({ now: NOW, start: new Date(NOW.getTime() - 455 * DAY), end: new Date(NOW.getTime() - 454 * DAY) }).periodSeconds).toBe(3600)
  })

  it('a period that is not a multiple of 60 seconds is a UserInputError mentioning 60', () => {
    const e = fail(() => resolveWindow({ now: NOW, periodSeconds: 90 }))
    expect(e.message).toBe('--period 90s is not a multiple of 60 seconds.')
    expect(fail(() => resolveWindow({ now: NOW, periodSeconds: 0 })).message).toMatch(/multiple of 60/)
    expect(fail(() => resolveWindow({ now: NOW, periodSeconds: -60 })).message).toMatch(/multiple of 60/)
  })

  it('a 1-minute period on data 20 days old is a UserInputError (CloudWatch keeps 5-minute data after 15 days)', () => {
    const start = new Date(NOW.getTime() - 20 * DAY)
    const end = new Date(start.getTime() + HOUR)
    const e = fail(() => resolveWindow({ now: NOW, start, end, periodSeconds: 60 }))
    expect(e.message).toBe('--period 1m is finer than CloudWatch keeps for data 20 days old (5-minute data).')
    expect(e.hint).toBe('Use a multiple of 5m, or a window within the last 15 days.')
    expect(fail(() => resolveWindow({ now: NOW, start, end, periodSeconds: 360 })).message).toMatch(/finer than CloudWatch keeps/)
    expect(resolveWindow({ now: NOW, start, end, periodSeconds: 600 }).periodSeconds).toBe(600)
    // 70 days old: 1-hour data only.
    const old = new Date(NOW.getTime() - 70 * DAY)
    expect(fail(() => resolveWindow({ now: NOW, start: old, end: new Date(old.getTime() + DAY), periodSeconds: 300 })).message).toBe(
      '--period 5m is finer than CloudWatch keeps for data 70 days old (60-minute data).',
    )
  })

  it('--since and --start together are a UserInputError', () => {
    expect(fail(() => resolveWindow({ now: NOW, sinceMs: HOUR, start: at('2026-03-10T01:00:00Z') })).message).toBe('Give --since or --start/--end, not both.')
  })

  it('picks the smallest period of [60, 300, 900, 3600, 21600, 86400] giving at most 1440 points, within retention', () => {
    const since = (ms: number) => resolveWindow({ now: NOW, sinceMs: ms }).periodSeconds
    expect(since(HOUR)).toBe(60)
    expect(since(DAY)).toBe(60) // 1440 points
    expect(since(DAY + MIN)).toBe(300) // 1441 at 60 s
    expect(since(7 * DAY)).toBe(900) // 10,080 at 60 s, 2016 at 300 s, 672 at 900 s
    expect(since(30 * DAY)).toBe(3600) // 5-minute data; 2880 at 900 s, 720 at 3600 s
    expect(since(100 * DAY)).toBe(21_600) // 1-hour data; 2400 at 3600 s, 400 at 21,600 s
    expect(since(400 * DAY)).toBe(86_400) // 1600 at 21,600 s
    const w7 = resolveWindow({ now: NOW, sinceMs: 7 * DAY })
    expect(periodStarts(w7).length).toBe(672)
    expect(w7.start).toEqual(at('2026-03-03T12:00:00.000Z'))
    expect(w7.end).toEqual(at('2026-03-10T12:00:00.000Z'))
  })

  it('a window starting 20 days ago never gets a 60 s period, however short', () => {
    const start = new Date(NOW.getTime() - 20 * DAY)
    for (const span of [10 * MIN, HOUR, DAY]) {
      const w = resolveWindow({ now: NOW, start, end: new Date(start.getTime() + span) })
      expect(w.periodSeconds).toBe(300)
    }
    const old = new Date(NOW.getTime() - 100 * DAY)
    expect(resolveWindow({ now: NOW, start: old, end: new Date(old.getTime() + HOUR) }).periodSeconds).toBe(3600)
  })
})

// ---------------------------------------------------------------- stats

describe('series statistics', () => {
  it('summarizeSeries ignores missing periods: average of the present values, peak, periods with data', () => {
    expect(summarizeSeries([1, null, 3, null, 5])).toEqual({ average: 3, p99: 5, peak: 5, periodsWithData: 3, periods: 5 })
    expect(summarizeSeries([null, null])).toEqual({ average: null, p99: null, peak: null, periodsWithData: 0, periods: 2 })
    expect(summarizeSeries([])).toEqual({ average: null, p99: null, peak: null, periodsWithData: 0, periods: 0 })
    expect(summarizeSeries([0, null, 0])).toEqual({ average: 0, p99: 0, peak: 0, periodsWithData: 2, periods: 3 })
  })

  it('p99 is the nearest rank: the 99th of 100 values, the 100th of 101', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i) // 100..1, unsorted order
    expect(summarizeSeries(hundred).p99).toBe(99)
    expect(summarizeSeries(hundred).peak).toBe(100)
    const hundredOne = Array.from({ length: 101 }, (_, i) => i + 1)
    expect(summarizeSeries(hundredOne).p99).toBe(100)
    expect(summarizeSeries([...hundredOne, null, null]).p99).toBe(100)
    expect(summarizeSeries([4]).p99).toBe(4)
  })

  it('perSecond divides each period by its length and keeps missing periods missing', () => {
    expect(perSecond([60, null, 0, 90], 60)).toEqual([1, null, 0, 1.5])
    expect(perSecond([600], 300)).toEqual([2])
  })

  it('addSeries is null only where every series is null', () => {
    expect(
      addSeries([
        [1, null, null, 0],
        [2, 3, null, null],
      ]),
    ).toEqual([3, 3, null, 0])
    expect(addSeries([[1], [1, 2]])).toEqual([2, 2])
    expect(addSeries([])).toEqual([])
  })

  it('worstIndex is the first largest value, -1 without data', () => {
    expect(worstIndex([null, 3, 7, 7, null])).toBe(2)
    expect(worstIndex([null, null])).toBe(-1)
    expect(worstIndex([0])).toBe(0)
    expect(worstIndex([-5, null, -2])).toBe(2)
  })
})

// ---------------------------------------------------------------- fetch (CloudWatch faked)

describe('fetchMetrics against a faked CloudWatch GetMetricData (moto pages differently from AWS)', () => {
  const cleanup: Array<() => void> = []
  afterEach(() => {
    while (cleanup.length) cleanup.pop()?.()
  })
  const setup = () => {
    const conn = connect('http://127.0.0.1:1')
    const cw = mockClient(conn.cloudwatch)
    cleanup.push(() => {
      cw.restore()
      conn.destroy()
    })
    return { conn, cw }
  }
  const W: MetricWindow = { start: at('2026-03-10T00:00:00Z'), end: at('2026-03-10T00:05:00Z'), periodSeconds: 60 }
  const t = (minute: number) => new Date(W.start.getTime() + minute * MIN)
  const inputs = (cw: ReturnType<typeof setup>['cw']): GetMetricDataCommandInput[] => cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)

  it('1,201 queries make exactly 3 calls of 500, 500 and 201 queries, ids q0..q1200 mapped back to their series', async () => {
    const { conn, cw } = setup()
    // Each query N answers one value, N * 2, at minute N % 5; only that slot has data.
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? [])
        .map((q): MetricDataResult => {
          const n = Number(q.Id?.slice(1))
          return { Id: q.Id, Timestamps: [t(n % 5)], Values: [n * 2], StatusCode: 'Complete' }
        })
        .reverse(),
    }))
    const queries: MetricQuery[] = Array.from({ length: 1201 }, (_, i) => ({ metric: 'ConsumedReadCapacityUnits', stat: 'Sum', dimensions: { TableName: `t${i}` } }))
    const progress: Array<[number, number]> = []
    const out = await fetchMetrics(conn, queries, W, { onBatch: (d, n) => progress.push([d, n]) })
    expect(out.calls).toBe(3)
    const sent = inputs(cw)
    expect(sent.map((i) => i.MetricDataQueries?.length)).toEqual([500, 500, 201])
    const ids = sent.flatMap((i) => (i.MetricDataQueries ?? []).map((q) => q.Id))
    expect(ids).toEqual(Array.from({ length: 1201 }, (_, i) => `q${i}`))
    expect(sent[2].MetricDataQueries?.[200].MetricStat?.Metric?.Dimensions).toEqual([{ Name: 'TableName', Value: 't1200' }])
    expect(progress).toEqual([
      [500, 1201],
      [1000, 1201],
      [1201, 1201],
    ])
    expect(out.series.length).toBe(1201)
    for (const n of [0, 1, 499, 500, 777, 1000, 1200]) {
      const expected: Series = [null, null, null, null, null]
      expected[n % 5] = n * 2
      expect(out.series[n]).toEqual(expected)
    }
    expect(out.series.every((s, n) => s.filter((v) => v !== null).length === 1 && s[n % 5] === n * 2)).toBe(true)
  })

  it('follows NextToken and merges two pages of the same Id', async () => {
    const { conn, cw } = setup()
    cw.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) =>
      input.NextToken === undefined
        ? { MetricDataResults: [{ Id: 'q0', Timestamps: [t(0), t(1)], Values: [10, 11] }], NextToken: 'page-2' }
        : {
            MetricDataResults: [
              { Id: 'q0', Timestamps: [t(3)], Values: [13] },
              { Id: 'q1', Timestamps: [t(2)], Values: [0] },
            ],
          },
    )
    const queries: MetricQuery[] = [
      { metric: 'ReadThrottleEvents', stat: 'Sum', dimensions: { TableName: 'a' } },
      { metric: 'WriteThrottleEvents', stat: 'Sum', dimensions: { TableName: 'a' } },
    ]
    const out = await fetchMetrics(conn, queries, W)
    expect(out.calls).toBe(2)
    expect(out.series).toEqual([
      [10, 11, null, 13, null],
      [null, null, 0, null, null], // a reported 0 stays 0; periods without data stay null
    ])
    const sent = inputs(cw)
    expect(sent.map((i) => i.NextToken)).toEqual([undefined, 'page-2'])
    expect(sent[1].MetricDataQueries).toEqual(sent[0].MetricDataQueries)
  })

  it('places values on the window grid by timestamp (any order), ignoring points outside the window', async () => {
    const { conn, cw } = setup()
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', Timestamps: [t(4), t(-1), t(2), t(0), t(5)], Values: [4, -1, 2, 0.5, 5] }],
    })
    const out = await fetchMetrics(conn, [{ metric: 'ConsumedWriteCapacityUnits', stat: 'Sum', dimensions: { TableName: 'a' } }], W)
    expect(out.series).toEqual([[0.5, null, 2, null, 4]])
  })

  it("sends ScanBy TimestampAscending, the window's StartTime/EndTime and Period, and dimensions TableName first", async () => {
    const { conn, cw } = setup()
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] })
    const out = await fetchMetrics(conn, [{ metric: 'ThrottledRequests', stat: 'Sum', dimensions: { Operation: 'Query', GlobalSecondaryIndexName: 'g', TableName: 'orders' } }], W)
    expect(out).toEqual({ series: [[null, null, null, null, null]], calls: 1 })
    const [input] = inputs(cw)
    expect(input).toEqual({
      StartTime: at('2026-03-10T00:00:00Z'),
      EndTime: at('2026-03-10T00:05:00Z'),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'q0',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/DynamoDB',
              MetricName: 'ThrottledRequests',
              Dimensions: [
                { Name: 'TableName', Value: 'orders' },
                { Name: 'GlobalSecondaryIndexName', Value: 'g' },
                { Name: 'Operation', Value: 'Query' },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      NextToken: undefined,
    })
  })

  it('on an engine without CloudWatch (the embedded --local engine) refuses with UnsupportedByEngineError, exit 2, before any call', async () => {
    const conn: Connection = createConnection({
      endpoint: 'http://127.0.0.1:1',
      lacks: ['cloudwatch'],
      label: 'the embedded --local engine (/x)',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    })
    const cw = mockClient(conn.cloudwatch)
    cleanup.push(() => {
      cw.restore()
      conn.destroy()
    })
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] })
    const err = await fetchMetrics(conn, [{ metric: 'ConsumedReadCapacityUnits', stat: 'Sum', dimensions: { TableName: 'a' } }], W).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(UnsupportedByEngineError)
    expect((err as UnsupportedByEngineError).exitCode).toBe(2)
    expect((err as UnsupportedByEngineError).message).toBe('The embedded --local engine does not support CloudWatch metrics.')
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0)
  })
})

// ---------------------------------------------------------------- prices

describe('pricesFor', () => {
  it('a region in the table', () => {
    expect(pricesFor('us-west-2')).toEqual({
      region: 'us-west-2',
      readRequestPerMillion: 0.125,
      writeRequestPerMillion: 0.625,
      rcuHour: 0.00013,
      wcuHour: 0.00065,
      fallback: false,
    })
  })

  it('an unknown region falls back to us-east-1 prices, saying so', () => {
    expect(pricesFor('ap-nowhere-9')).toEqual({
      region: 'ap-nowhere-9',
      readRequestPerMillion: 0.125,
      writeRequestPerMillion: 0.625,
      rcuHour: 0.00013,
      wcuHour: 0.00065,
      fallback: true,
    })
  })

  it('overrides win over the table', () => {
    expect(pricesFor('us-east-1', { rcuHour: 0.001, writeRequestPerMillion: 1.5 })).toEqual({
      region: 'us-east-1',
      readRequestPerMillion: 0.125,
      writeRequestPerMillion: 1.5,
      rcuHour: 0.001,
      wcuHour: 0.00065,
      fallback: false,
    })
    expect(pricesFor('ap-nowhere-9', { wcuHour: 0.002 })).toMatchObject({ wcuHour: 0.002, rcuHour: 0.00013, fallback: true })
  })
})

// ---------------------------------------------------------------- renderers

describe('report renderers', () => {
  it('sparkline: missing periods are spaces, the largest value is █, zero is ▁', () => {
    expect(sparkline([0, null, 4, 2])).toBe('▁ █▄')
    expect(sparkline([null, null])).toBe('')
    expect(sparkline([0, 0])).toBe('▁▁')
    // Squeezed to the width, each bucket keeps its largest value: [1,5] -> 5, [2,8] -> 8.
    expect(sparkline([1, 5, 2, 8], 2)).toBe('▅█')
    expect(sparkline([null, null, 1, 1], 2)).toBe(' █')
  })

  it('capacityCsv: header, one row per unit and dimension, quoted cells, missing as empty', () => {
    const summary = (average: number | null, p99: number | null, peak: number | null) => ({ average, p99, peak, periodsWithData: average === null ? 0 : 2, periods: 2 })
    const report: CapacityReport = {
      window: { start: '2026-03-10T00:00:00.000Z', end: '2026-03-10T00:02:00.000Z', periodSeconds: 60 },
      prices: { ...PRICES, taken: 'x' },
      noData: false,
      calls: 1,
      tables: [
        {
          table: 'orders,eu',
          billing: 'PROVISIONED',
          noData: false,
          recommendation: { choice: 'provisioned', options: [] },
          units: [
            {
              table: 'orders,eu',
              billing: 'PROVISIONED',
              read: { provisioned: 10, consumed: summary(2.5, 4, 4), utilization: 0.25, series: [1, 4], provisionedSeries: [10, 10] },
              write: { provisioned: 5, consumed: summary(null, null, null), utilization: null, series: [null, null], provisionedSeries: [5, 5] },
              throttleEvents: { read: 3, write: 0 },
            },
            {
              table: 'orders,eu',
              index: 'by "day"',
              billing: 'PROVISIONED',
              read: { provisioned: 1, consumed: summary(0.5, 1, 1), utilization: 0.5, series: [0, 1], provisionedSeries: [1, 1] },
              write: { provisioned: 1, consumed: summary(0, 0, 0), utilization: 0, series: [0, 0], provisionedSeries: [1, 1] },
              throttleEvents: { read: 0, write: 0 },
            },
          ],
        },
      ],
    }
    expect(capacityCsv(report).split('\n')).toEqual([
      'table,index,billing,dimension,provisioned,consumed_avg_per_s,consumed_p99_per_s,consumed_peak_per_s,utilization,throttle_events,recommendation',
      '"orders,eu",,PROVISIONED,read,10,2.5,4,4,0.25,3,provisioned',
      '"orders,eu",,PROVISIONED,write,5,,,,,0,provisioned',
      '"orders,eu","by ""day""",PROVISIONED,read,1,0.5,1,1,0.5,0,provisioned',
      '"orders,eu","by ""day""",PROVISIONED,write,1,0,0,0,0,0,provisioned',
    ])
  })

  it('throttleCsv: header and one row per throttled series, worst first as given', () => {
    const report: ThrottleReport = {
      window: { start: '2026-03-10T00:00:00.000Z', end: '2026-03-10T00:03:00.000Z', periodSeconds: 60 },
      throttled: true,
      noData: false,
      calls: 1,
      rows: [
        { table: 'orders', operation: 'Query', metric: 'ThrottledRequests', total: 9, worstAt: '2026-03-10T00:01:00.000Z', worstValue: 7, series: [2, 7, null] },
        { table: 'orders', index: 'g,1', metric: 'ReadThrottleEvents', total: 1, worstAt: '2026-03-10T00:00:00.000Z', worstValue: 1, series: [1, null, null] },
      ],
    }
    expect(throttleCsv(report)).toBe(
      [
        'table,index,operation,metric,total,worst_period,worst_value',
        'orders,,Query,ThrottledRequests,9,2026-03-10T00:01:00.000Z,7',
        'orders,"g,1",,ReadThrottleEvents,1,2026-03-10T00:00:00.000Z,1',
      ].join('\n'),
    )
  })
})
