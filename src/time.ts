import ms from 'ms'

import { UserInputError } from './errors.js'

const DURATION = /^\s*\d+(\.\d+)?\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$/i

/**
 * A duration such as "90s", "15m", "2h", "7d" or "2w", in milliseconds. A bare number is refused:
 * "30" could mean seconds, minutes or days, and guessing wrong deletes the wrong backups.
 */
export function parseDuration(text: string, flag: string): number {
  const value = DURATION.test(text) ? ms(text.trim() as ms.StringValue) : undefined
  if (value === undefined || !Number.isFinite(value) || value <= 0) {
    throw new UserInputError(`${flag} "${text}" is not a duration.`, `Give a positive number with a unit: 90s, 15m, 2h, 7d or 2w.`)
  }
  return value
}

/**
 * A moment given as ISO 8601 ("2026-11-20T15:00:00Z"; a time without an offset is UTC) or as a
 * duration meaning that long before now ("2h", "7d").
 */
export function parseTime(text: string, flag: string, now: Date = new Date()): Date {
  if (DURATION.test(text)) return new Date(now.getTime() - parseDuration(text, flag))
  // "2026-11-20 15:00:00", as `date '+%F %T'` prints it, is the same as with a T.
  const trimmed = text.trim().replace(/^(\d{4}-\d{2}-\d{2}) (?=\d{2}:)/, '$1T')
  // Date.parse reads a date-time without an offset as local time; runbooks mean UTC.
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(trimmed) ? `${trimmed}Z` : trimmed
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso)
  const at = ymd ? new Date(iso) : new Date(Number.NaN)
  // Date rolls 2026-02-30 over into March instead of refusing it.
  const [year, month, day] = (ymd ?? []).slice(1).map(Number)
  const realDay = ymd !== null && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day && month >= 1 && month <= 12
  if (Number.isNaN(at.getTime()) || !realDay) {
    throw new UserInputError(
      `${flag} "${text}" is neither an ISO 8601 time nor a duration.`,
      'Examples: 2026-11-20T15:00:00Z, 2026-11-20T15:00:00+01:00, 2026-11-20 (midnight UTC), or 2h / 7d for that long ago.',
    )
  }
  return at
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** yyyyMMdd of a moment in UTC. */
export function utcDate(at: Date): string {
  return `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}`
}

/** HHmmss of a moment in UTC. */
export function utcTime(at: Date): string {
  return `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`
}
