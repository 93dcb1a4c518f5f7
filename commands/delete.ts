import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { createBackup } from '../src/backup/backups.js'
import { deleteItems, type DeleteResult } from '../src/bulk/delete.js'
import { countSelection, tableKeys } from '../src/bulk/select.js'
import { DynxCommand } from '../src/cli/base.js'
import { deleteProgressText, renderDeleteDryRun, renderDeleteResult } from '../src/cli/bulk-render.js'
import { loadProgressText, renderLoadResult } from '../src/cli/load-render.js'
import { progressFlag } from '../src/cli/progress.js'
import { parseExpressionNames, parseExpressionValues } from '../src/data/values.js'
import { UserInputError } from '../src/errors.js'
import { loadTable, type LoadResult } from '../src/load/load-table.js'
import { resolveSources } from '../src/load/sources.js'
import { describeContinuousBackups, describeTableRaw, pitrStateOf } from '../src/tables/describe.js'

const SPEED = 'SPEED'

export default class Delete extends DynxCommand<typeof Delete> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Delete the items of a table that match a filter, are listed in a file, or all of them.'
  static override description = `A parallel keys-only scan (--filter, or --all) or the keys of a file (--keys, read as \`dynx load\`
reads files) feeds BatchWriteItem deletes, with the copy engine's retries, slow-down, dead letters and
checkpoint: the same command continues after a crash or Ctrl-C. DynamoDB checks the filter on one Scan
first, so a filter it rejects deletes nothing. On a terminal the number of matching items is counted
and must be typed to go on; off a terminal --yes is needed. --backup takes an on-demand backup first;
in a protected environment a delete needs --backup or PITR on the table.

Exit codes: 0 deleted, 1 failed or keys dead-lettered, 2 bad input or not confirmed (nothing deleted),
130 interrupted (progress saved).`
  static override examples = [
    `<%= config.bin %> delete users --filter 'begins_with(pk, :p)' --values '{":p":"test-"}' --dry-run`,
    `<%= config.bin %> delete orders --filter '#s = :s' --names '{"#s":"status"}' --values '{":s":"cancelled"}' --backup --yes`,
    '<%= config.bin %> delete users --keys stale-keys.jsonl --yes',
    '<%= config.bin %> delete sessions --all --max-wcu 500',
  ]
  static override args = { table: Args.string({ description: 'Table (the global --prefix is prepended).', required: true }) }
  static override flags = {
    filter: Flags.string({ summary: 'Delete the items matching this FilterExpression.', exclusive: ['all', 'keys'] }),
    names: Flags.string({ summary: 'ExpressionAttributeNames as JSON, e.g. \'{"#s":"status"}\'.' }),
    values: Flags.string({ summary: 'ExpressionAttributeValues as plain JSON (numbers exact).' }),
    all: Flags.boolean({ summary: 'Delete every item (see also `dynx truncate`).', exclusive: ['filter', 'keys'] }),
    keys: Flags.string({ summary: 'Delete the keys in this file (JSON lines, JSON, CSV, plain or DynamoDB JSON; other attributes ignored).', exclusive: ['filter', 'all'] }),
    backup: Flags.boolean({ summary: 'Take an on-demand backup of the table first and wait for it.' }),
    'dry-run': Flags.boolean({ summary: 'Count the matching items and show the first keys; delete nothing.' }),
    segments: Flags.integer({ summary: 'Parallel scan segments (default 4).', helpGroup: SPEED }),
    writers: Flags.integer({ summary: 'BatchWriteItem calls in flight (default 16; halved while throttled).', helpGroup: SPEED }),
    'max-wcu': Flags.integer({ summary: 'Write at most N capacity units per second.', helpGroup: SPEED, exclusive: ['wcu-percent'] }),
    'wcu-percent': Flags.integer({ summary: "Write at most P% of the table's provisioned write capacity.", helpGroup: SPEED }),
    'max-rcu': Flags.integer({ summary: 'Read at most N capacity units per second.', helpGroup: SPEED }),
    checkpoint: Flags.string({ summary: 'Checkpoint file (default ~/.dynx/checkpoints/delete-TABLE-*.json).' }),
    'dead-letter': Flags.string({ summary: 'Where keys that cannot be deleted go (default ~/.dynx/dead-letter/).' }),
    progress: progressFlag(),
  }

  public async run(): Promise<(DeleteResult | LoadResult | { dryRun: true; matched: number; scanned: number }) & { backup?: string }> {
    const f = this.flags
    const table = this.table(this.args.table)
    if (!f.filter && !f.all && !f.keys)
      throw new UserInputError(
        'Say which items: --filter EXPR, --keys FILE, or --all.',
        `For example: dynx delete ${this.args.table} --filter 'begins_with(pk, :p)' --values '{":p":"test-"}' --dry-run`,
      )
    const selection = { filter: f.filter, all: f.all, names: f.names ? parseExpressionNames(f.names) : undefined, values: f.values ? parseExpressionValues(f.values) : undefined }
    const sources = f.keys ? await resolveSources([f.keys]) : undefined
    const conn = await this.connect()
    const keys = tableKeys(await describeTableRaw(conn, table))
    if (this.resolved.protected && !f.backup && !f['dry-run'] && pitrStateOf(await describeContinuousBackups(conn, table)).status !== 'ENABLED')
      throw new UserInputError(
        `${table} is in the protected environment "${this.resolved.environment}" and has no point-in-time recovery: a delete there needs a way back.`,
        'Add --backup (an on-demand backup is taken first), or enable PITR on the table.',
      )
    const signal = this.interruptSignal()
    if (!sources && (f['dry-run'] || (!f.yes && process.stdin.isTTY))) {
      this.progress.stage('plan', `${table}: counting matching items`)
      const counted = await countSelection(conn, table, keys, selection, {
        segments: f.segments,
        signal,
        onProgress: (m, s) => this.progress.update(`${table}: ${m.toLocaleString('en-US')} of ${s.toLocaleString('en-US')} items match`),
      })
      this.progress.stop()
      if (f['dry-run']) {
        if (!this.jsonEnabled()) this.log(renderDeleteDryRun(table, counted.matched, counted.scanned, counted.sample))
        return { dryRun: true, matched: counted.matched, scanned: counted.scanned }
      }
      await this.confirm(`${counted.matched.toLocaleString('en-US')} items of ${table} will be deleted.`, String(counted.matched))
    } else if (!f['dry-run'])
      await this.confirm(`Items of ${table} will be deleted (${f.keys ? `the keys in ${f.keys}` : f.all ? 'all of them' : `those matching ${f.filter}`}).`, table)
    let backup: string | undefined
    if (f.backup && !f['dry-run']) {
      this.progress.stage('backup', table)
      backup = (await createBackup(conn, [table], { wait: true, onProgress: (p) => this.progress.update(p.message) })).backups[0]?.arn
    }
    const budget = { writeConcurrency: f.writers, maxWcu: f['max-wcu'], wcuPercent: f['wcu-percent'], checkpoint: f.checkpoint, deadLetter: f['dead-letter'], signal }
    this.progress.stage('delete', table)
    const result = sources
      ? await loadTable(conn, table, sources, { ...budget, deletes: true, dryRun: f['dry-run'], onProgress: (p) => this.progress.update(loadProgressText(p)) })
      : await deleteItems(conn, table, { ...selection, ...budget, segments: f.segments, maxRcu: f['max-rcu'], onProgress: (p) => this.progress.update(deleteProgressText(p)) })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log('sources' in result ? renderLoadResult(result) : renderDeleteResult(result))
    return { ...result, ...(backup ? { backup } : {}) }
  }
}
