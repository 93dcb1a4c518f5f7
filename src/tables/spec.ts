import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { z } from 'zod'

import { commonJs } from '../commonjs.js'
import { TABLE_NAME_PATTERN } from '../connection/names.js'
import { SpecValidationError, UserInputError, type SpecIssue } from '../errors.js'

/**
 * The dynx table spec: what `dynx create --spec`, `dynx apply` and clones speak.
 * A field left out is not managed: `apply` neither sets nor compares it.
 */
const KeyType = z.enum(['S', 'N', 'B'])
const Key = z.strictObject({ name: z.string().min(1), type: KeyType })
const Projection = z.union([z.enum(['ALL', 'KEYS_ONLY']), z.array(z.string().min(1)).min(1)])
const Capacity = z.number().int().positive()
const StreamView = z.enum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'])

const GlobalIndex = z.strictObject({
  name: z.string().min(3).max(255),
  hashKey: Key,
  rangeKey: Key.optional(),
  projection: Projection.optional(),
  read: Capacity.optional(),
  write: Capacity.optional(),
})

const LocalIndex = z.strictObject({
  name: z.string().min(3).max(255),
  rangeKey: Key,
  projection: Projection.optional(),
})

const TableFields = {
  hashKey: Key,
  rangeKey: Key.optional(),
  billing: z.enum(['PAY_PER_REQUEST', 'PROVISIONED']).optional(),
  read: Capacity.optional(),
  write: Capacity.optional(),
  indexes: z.array(GlobalIndex).max(20).optional(),
  localIndexes: z.array(LocalIndex).max(5).optional(),
  ttl: z.union([z.string().min(1), z.literal(false)]).optional(),
  stream: z.union([StreamView, z.literal(false)]).optional(),
  pitr: z.boolean().optional(),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
  deletionProtection: z.boolean().optional(),
  tableClass: z.enum(['STANDARD', 'STANDARD_INFREQUENT_ACCESS']).optional(),
  sse: z.strictObject({ enabled: z.boolean(), kmsKeyId: z.string().min(1).optional() }).optional(),
}

const NamedTable = z.strictObject({ name: z.string().regex(TABLE_NAME_PATTERN, 'must be 3-255 characters of a-z A-Z 0-9 _ - .'), ...TableFields })
const UnnamedTable = z.strictObject({ name: NamedTable.shape.name.optional(), ...TableFields })
const SpecFile = z.strictObject({ tables: z.array(NamedTable).min(1) })

export type KeySpec = z.infer<typeof Key>
export type ProjectionSpec = z.infer<typeof Projection>
export type GlobalIndexSpec = z.infer<typeof GlobalIndex>
export type LocalIndexSpec = z.infer<typeof LocalIndex>
export type StreamViewType = z.infer<typeof StreamView>
export type TableSpec = z.infer<typeof NamedTable>

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`
  return out
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<PropertyKey, unknown>)[part]
  }
  return cur
}

export function zodIssues(error: z.ZodError, input: unknown, basePath: ReadonlyArray<PropertyKey> = [], readmeSection = 'Spec files'): SpecIssue[] {
  const issues: SpecIssue[] = []
  for (const issue of error.issues) {
    const path = [...basePath, ...issue.path]
    const value = valueAt(input, issue.path)
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ path: formatPath([...path, key]), message: `unknown field (check the spelling; see "${readmeSection}" in the README)` })
    } else if (value === undefined && issue.code === 'invalid_type') {
      issues.push({ path: formatPath(path), message: 'required' })
    } else if (issue.code === 'invalid_value') {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ')
      issues.push({ path: formatPath(path), message: `must be one of ${allowed} (got ${JSON.stringify(value)})` })
    } else if (issue.code === 'invalid_key') {
      // zod keeps the key rule's own message (e.g. which names are allowed) inside the wrapper.
      issues.push({ path: formatPath(path), message: issue.issues.map((i) => i.message).join('; ') })
    } else if (issue.code === 'invalid_union') {
      issues.push({ path: formatPath(path), message: `invalid value ${JSON.stringify(value)}: ${unionHint(path)}` })
    } else {
      issues.push({ path: formatPath(path), message: issue.message })
    }
  }
  return issues
}

function unionHint(path: ReadonlyArray<PropertyKey>): string {
  const last = path[path.length - 1]
  if (last === 'projection') return 'use "ALL", "KEYS_ONLY" or a list of attribute names'
  if (last === 'ttl') return 'use the TTL attribute name, or false to disable TTL'
  if (last === 'stream') return 'use NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY, or false to disable the stream'
  return 'see "Spec files" in the README'
}

/** Rules DynamoDB would reject that the shape alone does not catch; checked before any call. */
function semanticIssues(table: z.infer<typeof UnnamedTable>, at: string): SpecIssue[] {
  const issues: SpecIssue[] = []
  const p = (rest: string) => (at ? `${at}.${rest}` : rest)
  const billing = table.billing ?? 'PAY_PER_REQUEST'
  if (billing === 'PROVISIONED') {
    if (table.read === undefined) issues.push({ path: p('read'), message: 'required when billing is PROVISIONED' })
    if (table.write === undefined) issues.push({ path: p('write'), message: 'required when billing is PROVISIONED' })
  } else {
    if (table.read !== undefined) issues.push({ path: p('read'), message: 'not allowed with PAY_PER_REQUEST billing (remove it or set billing: PROVISIONED)' })
    if (table.write !== undefined) issues.push({ path: p('write'), message: 'not allowed with PAY_PER_REQUEST billing (remove it or set billing: PROVISIONED)' })
    table.indexes?.forEach((g, i) => {
      if (g.read !== undefined || g.write !== undefined) issues.push({ path: p(`indexes[${i}]`), message: 'read/write not allowed with PAY_PER_REQUEST billing' })
    })
  }
  // Every key attribute must have one type across table and indexes.
  const types = new Map<string, { type: string; where: string }>()
  const see = (key: KeySpec | undefined, where: string) => {
    if (!key) return
    const prev = types.get(key.name)
    if (prev && prev.type !== key.type) {
      issues.push({ path: p(where), message: `attribute "${key.name}" is ${key.type} here but ${prev.type} at ${prev.where}` })
    } else if (!prev) types.set(key.name, { type: key.type, where: p(where) })
  }
  see(table.hashKey, 'hashKey')
  see(table.rangeKey, 'rangeKey')
  if (table.rangeKey && table.rangeKey.name === table.hashKey.name) issues.push({ path: p('rangeKey'), message: 'must differ from hashKey' })
  const names = new Set<string>()
  table.indexes?.forEach((g, i) => {
    see(g.hashKey, `indexes[${i}].hashKey`)
    see(g.rangeKey, `indexes[${i}].rangeKey`)
    if (names.has(g.name)) issues.push({ path: p(`indexes[${i}].name`), message: `duplicate index name "${g.name}"` })
    names.add(g.name)
  })
  table.localIndexes?.forEach((l, i) => {
    if (!table.rangeKey) issues.push({ path: p(`localIndexes[${i}]`), message: 'local secondary indexes need the table to have a rangeKey' })
    see(l.rangeKey, `localIndexes[${i}].rangeKey`)
    if (names.has(l.name)) issues.push({ path: p(`localIndexes[${i}].name`), message: `duplicate index name "${l.name}"` })
    names.add(l.name)
  })
  return issues
}

/** Reads a JSON (by extension) or YAML file; `invalid` builds the error for text that does not parse. */
export async function readDataFile(file: string, what: string, invalid: (issue: SpecIssue) => Error): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new UserInputError(`Cannot read ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, 'Check the path.')
  }
  const ext = extname(file).toLowerCase()
  try {
    // yaml is loaded only for a YAML file.
    return ext === '.json' ? JSON.parse(text) : commonJs(await import('yaml')).parse(text)
  } catch (err) {
    throw invalid({ path: '', message: `not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}` })
  }
}

function readSpecDocument(file: string): Promise<unknown> {
  return readDataFile(file, 'spec', (issue) => new SpecValidationError(file, [issue]))
}

/** Validates an already-parsed spec document (`{ tables: [...] }`). */
export function parseSpecDocument(doc: unknown, source = 'spec'): TableSpec[] {
  const parsed = SpecFile.safeParse(doc)
  if (!parsed.success) throw new SpecValidationError(source, zodIssues(parsed.error, doc))
  const issues = parsed.data.tables.flatMap((t, i) => semanticIssues(t, `tables[${i}]`))
  const seen = new Set<string>()
  parsed.data.tables.forEach((t, i) => {
    if (seen.has(t.name)) issues.push({ path: `tables[${i}].name`, message: `duplicate table "${t.name}"` })
    seen.add(t.name)
  })
  if (issues.length) throw new SpecValidationError(source, issues)
  return parsed.data.tables
}

/** Reads a spec file (JSON or YAML) listing tables: `{ tables: [...] }`. */
export async function loadSpecFile(file: string): Promise<TableSpec[]> {
  return parseSpecDocument(await readSpecDocument(file), file)
}

/**
 * Reads the spec of one table for `dynx create NAME --spec FILE`: either a file with `tables:`
 * (the entry called NAME, or its only entry) or a single table object (its `name` optional).
 * The result is named `tableName` (NAME with any prefix), default NAME.
 */
export async function loadTableSpec(file: string, name: string, tableName = name): Promise<TableSpec> {
  const doc = await readSpecDocument(file)
  if (doc && typeof doc === 'object' && 'tables' in doc) {
    const tables = parseSpecDocument(doc, file)
    const match = tables.find((t) => t.name === name) ?? (tables.length === 1 ? tables[0] : undefined)
    if (!match) {
      throw new UserInputError(
        `${file} has no table named "${name}" (it has ${tables.map((t) => t.name).join(', ')}).`,
        'Name one of those tables, or use `dynx apply` to create them all.',
      )
    }
    return { ...match, name: tableName }
  }
  const parsed = UnnamedTable.safeParse(doc)
  if (!parsed.success) throw new SpecValidationError(file, zodIssues(parsed.error, doc))
  const issues = semanticIssues(parsed.data, '')
  if (issues.length) throw new SpecValidationError(file, issues)
  return { ...parsed.data, name: tableName }
}
