import type { TableDescription } from '@aws-sdk/client-dynamodb'

import type { Connection } from '../connection/clients.js'
import { tableHasItems } from '../copy/plan.js'
import { UserInputError } from '../errors.js'
import { toCreateTableInput } from '../tables/convert.js'
import { cloneTable, createTable } from '../tables/create.js'
import { describeTableRaw, findTable } from '../tables/describe.js'
import { loadTableSpec } from '../tables/spec.js'

export interface LoadTargetOptions {
  /** Create a missing table from this spec file (`name`: the table's name in it, without --prefix). */
  spec?: { file: string; name: string }
  /** ...or as a clone of this table's definition, on `likeConnection` (default: the same connection). */
  like?: string
  likeConnection?: () => Promise<Connection>
  /** Create nothing: a missing table's keys come from the spec or the table it would be cloned from. */
  dryRun?: boolean
  onCreate?: (message: string) => void
}

export interface LoadTarget {
  created: boolean
  /** The table holds items already (a load overwrites those with the same keys). */
  hasItems: boolean
  /** A dry run's table that does not exist yet, as it would be created. */
  description?: TableDescription
}

/** The table a load writes to: there already, or created first with --spec or --like (bad input otherwise). */
export async function prepareLoadTarget(conn: Connection, table: string, o: LoadTargetOptions): Promise<LoadTarget> {
  if (await findTable(conn, table)) return { created: false, hasItems: await tableHasItems(conn, table) }
  if (!o.spec && !o.like)
    throw new UserInputError(
      `Table "${table}" does not exist on ${conn.label}.`,
      'Create it on the way with --spec FILE or --like TABLE, or first with `dynx create`; or check the name and --prefix/--region/--endpoint.',
    )
  const spec = o.spec ? await loadTableSpec(o.spec.file, o.spec.name, table) : undefined
  const source = o.like ? await (o.likeConnection?.() ?? conn) : undefined
  if (o.dryRun) {
    const description = spec ? (toCreateTableInput(spec) as TableDescription) : await describeTableRaw(source!, o.like!)
    return { created: false, hasItems: false, description }
  }
  const options = { wait: true, onProgress: (p: { message: string }) => o.onCreate?.(p.message) }
  if (spec) await createTable(conn, spec, options)
  else await cloneTable(source!, o.like!, conn, table, options)
  return { created: true, hasItems: false }
}
