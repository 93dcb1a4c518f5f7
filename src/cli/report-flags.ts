import * as Flags from '@oclif/core/flags'

import { resolveWindow, type MetricWindow } from '../metrics/window.js'
import { parseDuration, parseTime } from '../time.js'

const WINDOW = 'WINDOW'

/** --since / --start / --end / --period, shared by the reports. */
export function windowFlags(defaultSince: string) {
  return {
    since: Flags.string({ summary: `The window ends now and starts this long ago (default ${defaultSince}).`, helpGroup: WINDOW, exclusive: ['start'] }),
    start: Flags.string({ summary: 'Window start (ISO 8601, UTC without an offset).', helpGroup: WINDOW }),
    end: Flags.string({ summary: 'Window end (default now).', helpGroup: WINDOW, dependsOn: ['start'] }),
    period: Flags.string({ summary: "Period of each point: 1m, 5m, 1h... (a multiple of 60 s; default fits the window and CloudWatch's retention).", helpGroup: WINDOW }),
    format: Flags.string({ summary: 'table (default) or csv; --json for the whole result.', options: ['table', 'csv'], default: 'table' }),
  }
}

export function windowFrom(f: { since?: string; start?: string; end?: string; period?: string }, defaultSince: string): MetricWindow {
  const now = new Date()
  // resolveWindow checks that the period is a whole multiple of 60 seconds.
  const periodSeconds = f.period === undefined ? undefined : parseDuration(f.period, '--period') / 1000
  return resolveWindow({
    ...(f.start ? { start: parseTime(f.start, '--start', now) } : { sinceMs: parseDuration(f.since ?? defaultSince, '--since') }),
    ...(f.end ? { end: parseTime(f.end, '--end', now) } : {}),
    ...(periodSeconds !== undefined ? { periodSeconds } : {}),
    now,
  })
}
