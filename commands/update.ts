import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { updateItems, type UpdateResult } from '../src/bulk/update.js'
import { DynxCommand } from '../src/cli/base.js'
import { renderUpdateResult, updateProgressText } from '../src/cli/bulk-render.js'
import { progressFlag } from '../src/cli/progress.js'
import { loadTransform } from '../src/copy/transform.js'
import { parseExpressionNames, parseExpressionValues } from '../src/data/values.js'

const SPEED = 'SPEED'

export default class Update extends DynxCommand<typeof Update> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Update every item that matches a filter (or all items) with an update expression or a transform.'
  static override description = `Each matching item is updated under the condition that it is still as it was read, so a write the
application makes meanwhile is never overwritten: such an item is read again and the update retried
(counted as a conflict). --set takes DynamoDB's UpdateExpression (SET is implied when no clause word
starts it), with --names/--values shared with --filter; --transform takes a module whose default export
maps an item to the new item (null leaves it). Checkpointed per segment: the same command continues
after a crash or Ctrl-C without applying an update twice.

Exit codes: 0 updated, 1 failed or items dead-lettered, 2 bad input (a rejected expression: nothing
changed), 130 interrupted (progress saved).`
  static override examples = [
    `<%= config.bin %> update users --filter 'attribute_not_exists(#t)' --set '#t = :free' --names '{"#t":"tier"}' --values '{":free":"free"}' --dry-run`,
    `<%= config.bin %> update orders --all --set 'REMOVE legacyFlag' --yes`,
    '<%= config.bin %> update users --all --transform ./backfill.mjs --max-wcu 200 --yes',
  ]
  static override args = { table: Args.string({ description: 'Table (the global --prefix is prepended).', required: true }) }
  static override flags = {
    set: Flags.string({ summary: 'UpdateExpression, e.g. "#s = :s" or "SET a = :a REMOVE b".', exactlyOne: ['set', 'transform'] }),
    transform: Flags.string({ summary: 'ES module whose default export maps an item to the updated item (null: leave it).', exactlyOne: ['set', 'transform'] }),
    filter: Flags.string({ summary: 'Update only the items matching this FilterExpression.', exclusive: ['all'] }),
    all: Flags.boolean({ summary: 'Update every item.', exclusive: ['filter'] }),
    names: Flags.string({ summary: 'ExpressionAttributeNames as JSON, for --filter and --set.' }),
    values: Flags.string({ summary: 'ExpressionAttributeValues as plain JSON (numbers exact), for --filter and --set.' }),
    'dry-run': Flags.boolean({ summary: 'Read and compute; show a sample of items before and after; write nothing.' }),
    sample: Flags.integer({ summary: 'Items shown before/after by --dry-run (default 5).', min: 0 }),
    segments: Flags.integer({ summary: 'Parallel scan segments (default 4).', helpGroup: SPEED }),
    writers: Flags.integer({ summary: 'UpdateItem calls in flight (default 16).', min: 1, helpGroup: SPEED }),
    'max-wcu': Flags.integer({ summary: 'Write at most N capacity units per second.', helpGroup: SPEED, exclusive: ['wcu-percent'] }),
    'wcu-percent': Flags.integer({ summary: "Write at most P% of the table's provisioned write capacity.", helpGroup: SPEED }),
    'max-rcu': Flags.integer({ summary: 'Read at most N capacity units per second.', helpGroup: SPEED }),
    checkpoint: Flags.string({ summary: 'Checkpoint file (default ~/.dynx/checkpoints/update-TABLE-*.json).' }),
    'dead-letter': Flags.string({ summary: 'Where items that could not be updated go (default ~/.dynx/dead-letter/).' }),
    progress: progressFlag(),
  }

  public async run(): Promise<UpdateResult> {
    const f = this.flags
    const table = this.table(this.args.table)
    const set = f.set && !/^\s*(SET|REMOVE|ADD|DELETE)\s/i.test(f.set) ? `SET ${f.set}` : f.set
    const transform = f.transform ? await loadTransform(f.transform) : undefined
    const conn = await this.connect()
    if (!f['dry-run']) await this.confirm(`Items of ${table} will be updated (${f.all ? 'all of them' : `those matching ${f.filter ?? '(no filter)'}`}).`, table)
    this.progress.stage('update', table)
    const result = await updateItems(conn, table, {
      filter: f.filter,
      all: f.all,
      names: f.names ? parseExpressionNames(f.names) : undefined,
      values: f.values ? parseExpressionValues(f.values) : undefined,
      set,
      transform,
      transformId: f.transform,
      dryRun: f['dry-run'],
      sample: f.sample,
      segments: f.segments,
      concurrency: f.writers,
      maxWcu: f['max-wcu'],
      wcuPercent: f['wcu-percent'],
      maxRcu: f['max-rcu'],
      checkpoint: f.checkpoint,
      deadLetter: f['dead-letter'],
      signal: this.interruptSignal(),
      onProgress: (p) => this.progress.update(updateProgressText(p)),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderUpdateResult(result))
    return result
  }
}
