import type { Series } from './fetch.js'

/** USD prices of DynamoDB throughput in one region (Standard table class). */
export interface CapacityPrices {
  region: string
  /** On-demand: per million read request units. */
  readRequestPerMillion: number
  /** On-demand: per million write request units. */
  writeRequestPerMillion: number
  /** Provisioned: per read capacity unit-hour. */
  rcuHour: number
  /** Provisioned: per write capacity unit-hour. */
  wcuHour: number
}

/**
 * The price table, from the public DynamoDB pricing pages (Standard table class, no free tier, no
 * reserved capacity) as of PRICES_TAKEN. Regions not listed fall back to us-east-1 with a note;
 * every value can be overridden (`--price-read-request`, ...).
 */
export const PRICES_TAKEN = '2024-11 (the public price list after the November 2024 on-demand reduction; recorded in dynx on 2026-11-21)'
export const PRICES: Record<string, Omit<CapacityPrices, 'region'>> = {
  'us-east-1': { readRequestPerMillion: 0.125, writeRequestPerMillion: 0.625, rcuHour: 0.00013, wcuHour: 0.00065 },
  'us-east-2': { readRequestPerMillion: 0.125, writeRequestPerMillion: 0.625, rcuHour: 0.00013, wcuHour: 0.00065 },
  'us-west-2': { readRequestPerMillion: 0.125, writeRequestPerMillion: 0.625, rcuHour: 0.00013, wcuHour: 0.00065 },
}

/** The prices of a region, overrides applied; `fallback` says when us-east-1's stood in. */
export function pricesFor(region: string, overrides: Partial<Omit<CapacityPrices, 'region'>> = {}): CapacityPrices & { fallback: boolean } {
  const known = PRICES[region]
  return { region, ...(known ?? PRICES['us-east-1']), ...overrides, fallback: !known }
}

/** One table or GSI's load: consumed capacity per second in each period, and throttle events. */
export interface UnitLoad {
  name: string
  periodSeconds: number
  /** Consumed read capacity units per second, per period (null: no data, i.e. no requests). */
  read: Series
  write: Series
  /** Throttle events per period; any means demand above what was served is unknown. */
  throttles?: Series
  /** Provisioned capacity when the window began, where auto scaling starts from (default: what the first minute needs). */
  initialRead?: number
  initialWrite?: number
}

export type CapacityMode = 'on-demand' | 'provisioned' | 'auto-scaling'

export interface CapacityOption {
  mode: CapacityMode
  /** Estimated USD per month (730 hours) at the simulated window's rate. */
  monthlyCost: number
  /** Whether this option would have throttled some of the load. */
  throttles: boolean
  detail: string
}

export interface Recommendation {
  /** The cheapest option that would not have throttled. */
  choice: CapacityMode
  options: CapacityOption[]
  /** Set when the simulation could only use periods coarser than a minute, saying what that hides. */
  approximate?: string
}

export interface SimulationSettings {
  /** Fixed provisioned capacity is the peak per-second rate times this (default 1.2). */
  headroom?: number
  /** Auto scaling's target utilisation (default 0.7). */
  targetUtilization?: number
  /** Minutes above target before scaling out (default 2). */
  scaleOutMinutes?: number
  /** Minutes below target before scaling in (default 15). */
  scaleInMinutes?: number
  /** Smallest capacity either provisioned option uses (default 1). */
  minCapacity?: number
}

const HOURS_PER_MONTH = 730

/** A per-period series spread over its minutes; no data counts as no load. */
function perMinute(series: Series, periodSeconds: number): number[] {
  const minutes = Math.max(1, Math.round(periodSeconds / 60))
  return series.flatMap((v) => Array<number>(minutes).fill(v ?? 0))
}

/** Auto scaling, minute by minute: capacity in each minute, and whether any minute's load exceeded it. */
export function simulateAutoScaling(load: number[], s: Required<SimulationSettings>, initial?: number): { capacity: number[]; throttled: boolean } {
  // Rounded before the ceiling: 21 / 0.7 is 30.000000000000004 in floating point, and needs 30.
  const fit = (rate: number) => Math.max(s.minCapacity, Math.ceil(Number((rate / s.targetUtilization).toFixed(9))))
  let current = initial !== undefined ? Math.max(s.minCapacity, initial) : fit(load[0] ?? 0)
  let above = 0
  let below = 0
  let throttled = false
  const capacity: number[] = []
  for (const [minute, rate] of load.entries()) {
    capacity.push(current)
    if (rate > current) throttled = true
    const utilization = rate / current
    above = utilization > s.targetUtilization ? above + 1 : 0
    below = utilization < s.targetUtilization ? below + 1 : 0
    // A change takes effect from the next minute, as the scaler acts on alarms after the fact.
    if (above >= s.scaleOutMinutes) {
      current = Math.max(current, fit(rate))
      above = 0
    } else if (below >= s.scaleInMinutes) {
      // Down to what the busiest of those minutes needed: one idle minute must not drop it to the minimum.
      const recent = load.slice(minute + 1 - s.scaleInMinutes, minute + 1).reduce((a, v) => (v > a ? v : a), 0)
      current = Math.min(current, fit(recent))
      below = 0
    }
  }
  return { capacity, throttled }
}

/**
 * Simulates a window of load minute by minute under on-demand billing, fixed provisioned capacity
 * (peak x headroom) and auto scaling (target utilisation, scale out after 2 minutes above, in after
 * 15 below), and recommends the cheapest that would not have throttled. Costs are for the units
 * together (a table and its GSIs), scaled to a 730-hour month. Pure.
 */
export function recommendCapacity(units: UnitLoad[], prices: CapacityPrices, settings: SimulationSettings = {}): Recommendation {
  const s: Required<SimulationSettings> = { headroom: 1.2, targetUtilization: 0.7, scaleOutMinutes: 2, scaleInMinutes: 15, minCapacity: 1, ...settings }
  let onDemand = 0
  let fixedHourly = 0
  let autoCost = 0
  let fixedThrottles = false
  let autoThrottles = false
  let minutesTotal = 0
  const fixedParts: string[] = []
  for (const u of units) {
    const read = perMinute(u.read, u.periodSeconds)
    const write = perMinute(u.write, u.periodSeconds)
    const minutes = Math.max(read.length, write.length)
    minutesTotal = Math.max(minutesTotal, minutes)
    const throttledBefore = (u.throttles ?? []).some((t) => (t ?? 0) > 0)
    // On-demand: every unit consumed, at request prices.
    onDemand += (read.reduce((a, r) => a + r * 60, 0) * prices.readRequestPerMillion + write.reduce((a, w) => a + w * 60, 0) * prices.writeRequestPerMillion) / 1e6
    // Fixed provisioned: peak x headroom all the time.
    // A loop, not Math.max(...): a 455-day window has more minutes than a call can take arguments.
    const peakOf = (values: number[]) => values.reduce((a, v) => (v > a ? v : a), 0)
    const fixedRead = Math.max(s.minCapacity, Math.ceil(Number((peakOf(read) * s.headroom).toFixed(9))))
    const fixedWrite = Math.max(s.minCapacity, Math.ceil(Number((peakOf(write) * s.headroom).toFixed(9))))
    fixedHourly += fixedRead * prices.rcuHour + fixedWrite * prices.wcuHour
    fixedParts.push(`${u.name} ${fixedRead} RCU / ${fixedWrite} WCU`)
    if (throttledBefore || read.some((r) => r > fixedRead) || write.some((w) => w > fixedWrite)) fixedThrottles = true
    // Auto scaling.
    const ar = simulateAutoScaling(read, s, u.initialRead)
    const aw = simulateAutoScaling(write, s, u.initialWrite)
    autoCost += (ar.capacity.reduce((a, c) => a + c, 0) * prices.rcuHour + aw.capacity.reduce((a, c) => a + c, 0) * prices.wcuHour) / 60
    if (throttledBefore || ar.throttled || aw.throttled) autoThrottles = true
  }
  const toMonth = minutesTotal > 0 ? (HOURS_PER_MONTH * 60) / minutesTotal : 0
  const options: CapacityOption[] = [
    { mode: 'on-demand', monthlyCost: onDemand * toMonth, throttles: false, detail: 'pay per request unit consumed' },
    {
      mode: 'provisioned',
      monthlyCost: fixedHourly * HOURS_PER_MONTH,
      throttles: fixedThrottles,
      detail: `fixed at peak x ${s.headroom}: ${fixedParts.join(', ')}${fixedThrottles ? ' (would throttle: the load was throttled in the window, so its true peak is unknown)' : ''}`,
    },
    {
      mode: 'auto-scaling',
      monthlyCost: autoCost * toMonth,
      throttles: autoThrottles,
      detail: `target ${Math.round(s.targetUtilization * 100)}%, out after ${s.scaleOutMinutes} min above, in after ${s.scaleInMinutes} min below${autoThrottles ? ' (would throttle: load rose faster than it scales out)' : ''}`,
    },
  ]
  const safe = options.filter((o) => !o.throttles).sort((a, b) => a.monthlyCost - b.monthlyCost)
  return { choice: safe[0]?.mode ?? 'on-demand', options }
}
