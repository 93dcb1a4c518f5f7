import type { Series } from './fetch.js'

/** Summary of one series; each figure is null when the series has no data at all. */
export interface SeriesSummary {
  average: number | null
  /** 99th percentile of the per-period values (nearest rank). */
  p99: number | null
  peak: number | null
  /** Periods with data, of all periods in the window. */
  periodsWithData: number
  periods: number
}

const present = (s: Series): number[] => s.filter((v): v is number => v !== null)

export function sumOf(s: Series): number {
  return present(s).reduce((a, v) => a + v, 0)
}

/** Each period's value divided by the period: a Sum per period becomes a rate per second. */
export function perSecond(s: Series, periodSeconds: number): Series {
  return s.map((v) => (v === null ? null : v / periodSeconds))
}

/** Element-wise sum of series of one grid; a period is null only when every series is. */
export function addSeries(list: Series[]): Series {
  const length = Math.max(0, ...list.map((s) => s.length))
  return Array.from({ length }, (_, i) => {
    const values = list.map((s) => s[i]).filter((v): v is number => v !== null && v !== undefined)
    return values.length ? values.reduce((a, v) => a + v, 0) : null
  })
}

export function summarizeSeries(s: Series): SeriesSummary {
  const values = present(s)
  if (values.length === 0) return { average: null, p99: null, peak: null, periodsWithData: 0, periods: s.length }
  const sorted = [...values].sort((a, b) => a - b)
  return {
    average: values.reduce((a, v) => a + v, 0) / values.length,
    p99: sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)],
    peak: sorted[sorted.length - 1],
    periodsWithData: values.length,
    periods: s.length,
  }
}

/** The index of the largest value, or -1 without data. */
export function worstIndex(s: Series): number {
  let best = -1
  s.forEach((v, i) => {
    if (v !== null && (best < 0 || v > (s[best] ?? -Infinity))) best = i
  })
  return best
}
