import { PRICES } from '../metrics/recommend.js'

/** What DynamoDB's own export to S3, import from S3 and point-in-time recovery cost, per GB. */
export interface NativePrices {
  region: string
  /** Full export, per GB of table size. */
  exportPerGb: number
  /** Incremental export, per GB of changes processed. */
  incrementalExportPerGb: number
  /** Import, per GB of uncompressed source data (items that fail to import are billed too). */
  importPerGb: number
  /** Point-in-time recovery, per GB-month of table size while it is on. */
  pitrPerGbMonth: number
  /** On-demand request prices of the same region, for the scan-based copy it is compared with. */
  readRequestPerMillion: number
  writeRequestPerMillion: number
}

/**
 * The price table of the native route, from the public DynamoDB pricing page (Standard table
 * class, no free tier) as of NATIVE_PRICES_TAKEN. Regions not listed fall back to us-east-1 with a
 * note (other regions differ: check the page). The README quotes these same figures.
 */
export const NATIVE_PRICES_TAKEN = '2024-11 (the DynamoDB pricing page; recorded in dynx on 2026-12-01)'
export const NATIVE_PRICES: Record<string, Omit<NativePrices, 'region' | 'readRequestPerMillion' | 'writeRequestPerMillion'>> = {
  'us-east-1': { exportPerGb: 0.1, incrementalExportPerGb: 0.1, importPerGb: 0.15, pitrPerGbMonth: 0.2 },
}

/** The native prices of a region (us-east-1's when it is not in the table: `fallback`). */
export function nativePricesFor(region: string): NativePrices & { fallback: boolean } {
  const known = NATIVE_PRICES[region]
  const requests = PRICES[region] ?? PRICES['us-east-1']
  return {
    region,
    ...(known ?? NATIVE_PRICES['us-east-1']),
    readRequestPerMillion: requests.readRequestPerMillion,
    writeRequestPerMillion: requests.writeRequestPerMillion,
    fallback: !known,
  }
}

/**
 * The scan-based copy's speed measured on the development machine (README, "Tables bigger than one
 * machine"): a basis for comparison, not a promise; against AWS one client goes further, but
 * stays one machine. AWS documents no fixed speed for export or import.
 */
export const SCAN_COPY_MEASURED = {
  itemsPerSecond: 5350,
  how: '`npm run bench`, copyTable on dynalite, 2 shared CPUs, items of about 1 KB, 8 segments, 2026-12-01',
} as const
