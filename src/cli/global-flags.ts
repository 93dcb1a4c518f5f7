/**
 * The global flags, declared once as plain data: the base command builds its oclif `baseFlags`
 * from them, and bin/run.js (through argv.ts) moves them from before the command to after it.
 * This module imports nothing, so start-up can read it without loading oclif.
 */

export type GlobalFlagKind = 'string' | 'integer' | 'boolean'

export interface GlobalFlagSpec {
  kind: GlobalFlagKind
  summary: string
  char?: string
  helpGroup?: string
  /** An environment variable oclif reads when the flag is not given. */
  env?: string
  default?: string | number
  min?: number
  exclusive?: readonly string[]
}

const CONNECTION = 'Connection'

/** Every flag each command takes (`--json` aside, which oclif adds: see JSON_FLAG). */
export const GLOBAL_FLAGS = {
  region: { kind: 'string', summary: "AWS region (default: AWS_REGION or the profile's region).", helpGroup: CONNECTION },
  profile: { kind: 'string', summary: 'AWS profile from ~/.aws/config (SSO included).', env: 'AWS_PROFILE', helpGroup: CONNECTION },
  endpoint: { kind: 'string', summary: 'DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB).', helpGroup: CONNECTION },
  local: { kind: 'boolean', summary: 'Use the embedded engine stored in $DYNX_LOCAL_PATH (default ~/.dynx/local).', helpGroup: CONNECTION, exclusive: ['endpoint'] },
  prefix: { kind: 'string', summary: 'Table name prefix: with --prefix staging_, "users" means "staging_users".', default: '', helpGroup: CONNECTION },
  timeout: { kind: 'integer', summary: 'Seconds to wait for each DynamoDB response.', default: 15, min: 1, helpGroup: CONNECTION },
  // 300: DEFAULT_RETRY_WINDOW_MS of src/connection/retry.ts in seconds (this module imports nothing; a unit test checks they agree).
  'retry-for': {
    kind: 'integer',
    summary: 'Seconds a failing AWS call keeps retrying throttling, 5xx, resets and timeouts (0: no retries).',
    default: 300,
    min: 0,
    helpGroup: CONNECTION,
  },
  env: { kind: 'string', summary: 'Apply this environment of dynx.config (prefix, region, profile, endpoint or local).', helpGroup: CONNECTION },
  config: { kind: 'string', summary: 'Config file (default: dynx.config.json or .yaml here or in a parent folder; also DYNX_CONFIG).', helpGroup: CONNECTION },
  yes: { kind: 'boolean', char: 'y', summary: 'Confirm destructive or production-facing changes without asking.' },
  'confirm-env': { kind: 'string', summary: 'Name the protected environment this writes into (with --yes, for CI).' },
  verbose: { kind: 'boolean', summary: 'More detail on stderr (never credentials).' },
} as const satisfies Record<string, GlobalFlagSpec>

/** `--json`: oclif adds it to every command when the base command sets `enableJsonFlag`. */
export const JSON_FLAG = {
  json: { kind: 'boolean', summary: 'Format output as json.' },
} as const satisfies Record<string, GlobalFlagSpec>

export type GlobalFlagName = keyof typeof GLOBAL_FLAGS

/** Every global flag, `--json` included: what may come before the command. */
export const ALL_GLOBAL_FLAGS: Record<string, GlobalFlagSpec> = { ...GLOBAL_FLAGS, ...JSON_FLAG }
