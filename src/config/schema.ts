import { z } from 'zod'

import { ConfigValidationError } from '../errors.js'
import { zodIssues } from '../tables/spec.js'

// dynx.config's schema, apart from config.ts so that commands run without a config file never load zod.

const OUTPUT_FORMATS = ['jsonl', 'json', 'csv', 'table'] as const

const Connection = {
  region: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).optional(),
  prefix: z.string().optional(),
}

const Environment = z
  .strictObject({
    ...Connection,
    local: z.boolean().optional(),
    protected: z.boolean().optional(),
  })
  .refine((e) => !(e.local && e.endpoint), { message: 'give either endpoint or local: true, not both' })

const Defaults = z.strictObject({
  ...Connection,
  table: z.string().min(1).optional(),
  segments: z.int().min(1).max(1_000_000).optional(),
  output: z.enum(OUTPUT_FORMATS).optional(),
})

const ConfigFile = z.strictObject({
  defaults: Defaults.optional(),
  environments: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'environment names are letters, digits, "_", "-" and "."'), Environment).optional(),
})

export type EnvironmentConfig = z.infer<typeof Environment>
export type DefaultsConfig = z.infer<typeof Defaults>
export type DynxConfig = z.infer<typeof ConfigFile>

/** Validates a parsed config document. */
export function parseConfig(doc: unknown, source: string): DynxConfig {
  const parsed = ConfigFile.safeParse(doc ?? {})
  if (!parsed.success) throw new ConfigValidationError(source, zodIssues(parsed.error, doc, [], 'Environments and dynx.config'))
  return parsed.data
}
