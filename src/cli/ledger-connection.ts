import { defaultLocalPath } from '../local/engine.js'
import type { LedgerConnection } from '../throughput/types.js'

interface ConnectionFlags {
  local?: boolean
  endpoint?: string
  region?: string
  profile?: string
  [flag: string]: unknown
}

/**
 * Where a command's tables live, as a throughput ledger records it so that `dynx throughput
 * restore --ledger FILE` reaches them again with no flags: the main connection's flags, or a side's
 * --source-* / --target-* overrides on top of them (as DynxCommand.connectSide builds it).
 */
export function ledgerConnectionFrom(flags: ConnectionFlags, side?: 'source' | 'target'): LedgerConnection {
  const over = side
    ? { endpoint: flags[`${side}-endpoint`] as string | undefined, region: flags[`${side}-region`] as string | undefined, profile: flags[`${side}-profile`] as string | undefined }
    : {}
  const overridden = Boolean(over.endpoint || over.region || over.profile)
  if (flags.local && !overridden) return { local: true, localPath: defaultLocalPath() }
  const endpoint = over.endpoint ?? (flags.local ? undefined : flags.endpoint ?? (process.env.AWS_ENDPOINT_URL_DYNAMODB || undefined))
  const region = over.region ?? flags.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined)
  const profile = over.profile ?? flags.profile
  return { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(profile ? { profile } : {}) }
}
