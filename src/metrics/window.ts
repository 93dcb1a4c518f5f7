import { UserInputError } from '../errors.js'

/** The time range a report covers, aligned to its period. */
export interface MetricWindow {
  /** Inclusive, aligned down to the period. */
  start: Date
  /** Exclusive, aligned down to the period. */
  end: Date
  /** Seconds; a multiple of 60. */
  periodSeconds: number
}

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/** CloudWatch keeps 1-minute data for 15 days, 5-minute for 63 days and 1-hour for 455 days. */
export const RETENTION = [
  { periodSeconds: 60, days: 15 },
  { periodSeconds: 300, days: 63 },
  { periodSeconds: 3600, days: 455 },
] as const

/** At most this many points per series when dynx picks the period (GetMetricData returns up to 100,800 per call). */
const TARGET_POINTS = 1440

export interface WindowOptions {
  /** The window ends now and starts this long ago (milliseconds). */
  sinceMs?: number
  start?: Date
  end?: Date
  /** Seconds; must be a multiple of 60. Default: the smallest that fits retention and ~1440 points. */
  periodSeconds?: number
  now?: Date
}

/**
 * The window of a report: `sinceMs` before now, or start..end. Checked: not inverted, not in the
 * future, not older than CloudWatch keeps; the period is a multiple of 60 and fits the retention
 * of the window's oldest data. Start and end are aligned down to the period, as CloudWatch's are.
 */
export function resolveWindow(options: WindowOptions): MetricWindow {
  const now = options.now ?? new Date()
  const end = options.end ?? now
  const start = options.start ?? new Date(end.getTime() - (options.sinceMs ?? DAY))
  if (options.start && options.sinceMs !== undefined)
    throw new UserInputError('Give --since or --start/--end, not both.', 'Example: --since 24h, or --start 2026-11-20T00:00:00Z --end 2026-11-21T00:00:00Z.')
  if (start.getTime() >= end.getTime()) {
    throw new UserInputError(`The window is empty or inverted: it starts at ${start.toISOString()} and ends at ${end.toISOString()}.`, 'Give a --start before --end.')
  }
  if (end.getTime() > now.getTime() + MINUTE) {
    throw new UserInputError(`The window ends in the future (${end.toISOString()}); CloudWatch has nothing there yet.`, 'End it now or earlier: drop --end, or give a past time.')
  }
  const ageDays = (now.getTime() - start.getTime()) / DAY
  const oldest = RETENTION[RETENTION.length - 1]
  if (ageDays > oldest.days) {
    throw new UserInputError(
      `The window starts ${Math.floor(ageDays)} days ago; CloudWatch keeps DynamoDB metrics for ${oldest.days} days.`,
      `Start it within the last ${oldest.days} days.`,
    )
  }
  const finest = RETENTION.find((r) => ageDays <= r.days)?.periodSeconds ?? oldest.periodSeconds
  let periodSeconds = options.periodSeconds
  if (periodSeconds !== undefined) {
    if (!Number.isInteger(periodSeconds) || periodSeconds <= 0 || periodSeconds % 60 !== 0) {
      throw new UserInputError(`--period ${periodSeconds}s is not a multiple of 60 seconds.`, 'DynamoDB publishes metrics per minute: give 1m, 5m, 1h, ...')
    }
    if (periodSeconds < finest || periodSeconds % finest !== 0) {
      throw new UserInputError(
        `--period ${periodSeconds / 60}m is finer than CloudWatch keeps for data ${Math.floor(ageDays)} days old (${finest / 60}-minute data).`,
        `Use a multiple of ${finest / 60}m, or a window within the last ${RETENTION.find((r) => r.periodSeconds === periodSeconds)?.days ?? 15} days.`,
      )
    }
  } else {
    const spanSeconds = (end.getTime() - start.getTime()) / 1000
    const candidates = [60, 300, 900, 3600, 6 * 3600, 86_400].filter((p) => p >= finest && p % finest === 0)
    periodSeconds = candidates.find((p) => spanSeconds / p <= TARGET_POINTS) ?? candidates[candidates.length - 1]
  }
  const step = periodSeconds * 1000
  const alignedStart = Math.floor(start.getTime() / step) * step
  const alignedEnd = Math.max(Math.floor(end.getTime() / step) * step, alignedStart + step)
  return { start: new Date(alignedStart), end: new Date(alignedEnd), periodSeconds }
}

/** The start of every period of the window, in order. */
export function periodStarts(w: MetricWindow): number[] {
  const step = w.periodSeconds * 1000
  const out: number[] = []
  for (let t = w.start.getTime(); t < w.end.getTime(); t += step) out.push(t)
  return out
}
