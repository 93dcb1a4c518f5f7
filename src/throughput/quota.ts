import type { DecreaseQuota } from './types.js'

/** Decreases DynamoDB allows per table or GSI at any time of a UTC day. */
export const ANYTIME_DECREASES_PER_DAY = 4
const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

export interface DecreaseHistory {
  NumberOfDecreasesToday?: number
  LastDecreaseDateTime?: Date
  LastIncreaseDateTime?: Date
}

/**
 * DynamoDB's decrease rule for one table or GSI: 4 decreases at any time per UTC day, plus one
 * more whenever there has been no decrease in the past hour. The count starts again at UTC
 * midnight, so a count whose last decrease fell on an earlier day is read as 0.
 */
export function decreaseQuota(history: DecreaseHistory, now: Date = new Date()): DecreaseQuota {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const last = history.LastDecreaseDateTime?.getTime()
  const today = last === undefined || last < midnight ? 0 : (history.NumberOfDecreasesToday ?? 0)
  const quota: DecreaseQuota = {
    decreasesToday: today,
    ...(history.LastDecreaseDateTime ? { lastDecreaseAt: history.LastDecreaseDateTime.toISOString() } : {}),
    ...(history.LastIncreaseDateTime ? { lastIncreaseAt: history.LastIncreaseDateTime.toISOString() } : {}),
    anytimeLeft: Math.max(0, ANYTIME_DECREASES_PER_DAY - today),
    allowedNow: true,
  }
  if (today < ANYTIME_DECREASES_PER_DAY || last === undefined) return quota
  const hourAfterLast = last + HOUR_MS
  if (now.getTime() >= hourAfterLast) return quota
  // Whichever comes first: an hour without decreases, or a new UTC day.
  quota.allowedNow = false
  quota.nextAllowedAt = new Date(Math.min(hourAfterLast, midnight + DAY_MS)).toISOString()
  return quota
}
