import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import pLimit from 'p-limit'

import { call } from '../connection/call.js'
import { connectionIdentity, type Connection } from '../connection/clients.js'
import { withRetryListener } from '../connection/retry.js'
import { writeBudgetsOf } from '../copy/copy-tables.js'
import { defaultDeadLetterPath } from '../copy/copy-table.js'
import { DeadLetterFile, type DeadLetter } from '../copy/dead-letter.js'
import { provisionedWrite } from '../copy/plan.js'
import type { TransformOutcome } from '../copy/transform.js'
import { runPagesInFlight } from '../data/pages-in-flight.js'
import { TokenBucket } from '../data/rate-limit.js'
import { fromWireItem, toWireItem, type Item, type WireItem } from '../data/values.js'
import { UserInputError } from '../errors.js'
import { dynxHome } from '../home.js'
import type { Outcome } from '../outcome.js'
import { ScanCheckpoint } from '../scan/checkpoint.js'
import { parallelScan, type ScanPage } from '../scan/parallel-scan.js'
import { describeTableRaw } from '../tables/describe.js'
import { canonicalItemText, canonicalKeyText } from '../verify/canonical.js'
import { applySimpleUpdate, diffUpdate, MAX_EXPRESSION_LENGTH, sameItem, unchangedCondition, type Expr } from './conditions.js'
import { checkFilter, checkSelection, filterPart, tableKeys, type Selection } from './select.js'

/** Tries per item when others keep changing it between the read and the update. */
const MAX_CONFLICTS = 5
const DEFAULT_UPDATERS = 16

export interface UpdateItemsOptions extends Selection {
  /** An UpdateExpression (`SET #s = :s REMOVE old`), with the selection's names and values. */
  set?: string
  /** ...or a transform from loadTransform: the new item from the old (null leaves it as it is). */
  transform?: (item: WireItem) => Promise<TransformOutcome>
  transformId?: string
  segments?: number
  /** UpdateItem calls in flight (default 16). */
  concurrency?: number
  maxWcu?: number
  wcuPercent?: number
  maxRcu?: number
  checkpoint?: string | false
  deadLetter?: string
  /** Read and compute, write nothing; `sample` before/after pairs are returned (default 5). */
  dryRun?: boolean
  sample?: number
  signal?: AbortSignal
  onProgress?: (p: UpdateProgress) => void
}

export interface UpdateCounts {
  table: string
  /** Items read that matched (this run). */
  matched: number
  updated: number
  /** Matched, but the update would change nothing (written by no one). */
  unchanged: number
  /** Updates refused because the item changed after it was read; each was read again and retried. */
  conflicts: number
  /** Deleted, or no longer matching the filter, by the time of the update. */
  skipped: number
  deadLettered: number
  seconds: number
}

export type UpdateProgress = UpdateCounts & { segmentsDone: number; segmentsTotal: number }

export interface UpdateResult extends UpdateCounts {
  complete: boolean
  resumed: boolean
  dryRun: boolean
  samples: { before: Item; after?: Item }[]
  checkpoint?: string
  deadLetterFile?: string
  outcome: Outcome
}

interface UpdateState {
  updated: number
  unchanged: number
  conflicts: number
  skipped: number
  deadLettered: number
  deadLetterFile: string
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_')

export function defaultUpdateCheckpointPath(connectionId: string, table: string, o: UpdateItemsOptions): string {
  const h = createHash('sha256')
    .update(JSON.stringify([connectionId, table, o.filter ?? null, o.names ?? null, o.values ?? null, o.set ?? null, o.transformId ?? null]))
    .digest('hex')
    .slice(0, 8)
  return join(dynxHome(), 'checkpoints', `update-${fileSafe(table)}-${h}.json`)
}

const merge = (...exprs: Array<Partial<Expr> | undefined>) => ({
  names: Object.assign({}, ...exprs.map((e) => e?.names ?? {})) as Record<string, string>,
  values: Object.assign({}, ...exprs.map((e) => e?.values ?? {})) as Item,
})

interface JournalEntry {
  /** Hash of the item as it was when its update was sent (an update may be in flight at a crash). */
  before?: string
  /** Hash of the item the update makes, where dynx can tell (a transform, a plain SET/REMOVE). */
  after?: string
  done: boolean
}

/**
 * What happened to the items of pages not yet committed to the checkpoint, one line per event:
 * `I key hash` before an update is sent (the item's hash as read), `D key` once DynamoDB answered.
 * A run after a crash skips the done keys, and for a key sent but not answered (the update may
 * have been applied after the process died) compares the item now with the hashes: as before, it
 * is updated; as the update makes it, it is done; else it is reported, not updated again. So an update that is not idempotent
 * (`SET n = n + :one`) is never applied twice. Rewritten smaller each time the checkpoint is saved.
 */
class UpdateJournal {
  /** The earlier run's entries this run has not met yet. */
  readonly earlier = new Map<string, JournalEntry>()

  constructor(readonly file: string | undefined) {
    if (!file) return
    mkdirSync(dirname(file), { recursive: true })
    if (!existsSync(file)) return
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [kind, key, before, after] = line.split('\t')
      if (!key) continue
      const e = this.earlier.get(key) ?? { done: false }
      if (kind === 'I') Object.assign(e, { before, after: after || undefined, done: false })
      else if (kind === 'D') e.done = true
      this.earlier.set(key, e)
    }
  }

  sent(key: string, before: string, after: string | undefined, entries: Map<string, JournalEntry>): void {
    entries.set(key, { before, after, done: false })
    if (this.file) appendFileSync(this.file, `I\t${key}\t${before}\t${after ?? ''}\n`)
  }

  answered(key: string, entries: Map<string, JournalEntry>): void {
    entries.set(key, { ...entries.get(key), done: true })
    if (this.file) appendFileSync(this.file, `D\t${key}\n`)
  }

  /** Keeps the entries of pages the saved checkpoint does not cover yet, and the earlier run's unmet ones. */
  compact(entries: Iterable<[string, JournalEntry]>): void {
    if (!this.file) return
    const lines: string[] = []
    for (const [key, e] of [...this.earlier, ...entries]) {
      if (e.before !== undefined) lines.push(`I\t${key}\t${e.before}\t${e.after ?? ''}\n`)
      if (e.done) lines.push(`D\t${key}\n`)
    }
    writeFileSync(`${this.file}.tmp`, lines.join(''))
    renameSync(`${this.file}.tmp`, this.file)
  }

  remove(): void {
    if (this.file) rmSync(this.file, { force: true })
  }
}

const itemHash = (item: Item) => createHash('sha256').update(canonicalItemText(item)).digest('base64url').slice(0, 22)

/**
 * Updates every item matching the selection with `set` (an UpdateExpression) or a transform, each
 * under the condition that it is still as it was read (unchangedCondition), so a write made by
 * the application meanwhile is never overwritten: on such a conflict the item is read again
 * (strongly consistent) and the update retried on what is there now, up to 5 times. The scan is
 * checkpointed per segment (pages committed once each of their items is done) and updated keys of
 * uncommitted pages are journalled, so a re-run after a crash continues without applying an update
 * twice. Expressions are checked by DynamoDB before anything is written (exit 2 when rejected).
 */
export async function updateItems(conn: Connection, table: string, options: UpdateItemsOptions): Promise<UpdateResult> {
  const started = performance.now()
  checkSelection(options)
  if (Boolean(options.set) === Boolean(options.transform))
    throw new UserInputError('Give --set EXPR or --transform FILE (one of them).', 'For example --set \'SET #s = :s\' --names \'{"#s":"status"}\' --values \'{":s":"archived"}\'.')
  const description = await describeTableRaw(conn, table)
  const keyNames = (description.KeySchema ?? []).map((k) => k.AttributeName!)
  const keys = tableKeys(description)
  const [maxWcu] = writeBudgetsOf([{ table, writeCapacity: provisionedWrite(description) }], options)
  const selection = filterPart(options)
  await checkFilter(conn, table, selection)
  if (options.set) await checkUpdateExpression(conn, table, keys, options)

  const connectionId = await connectionIdentity(conn)
  const checkpointFile = options.dryRun || options.checkpoint === false ? undefined : (options.checkpoint ?? defaultUpdateCheckpointPath(connectionId, table, options))
  const segments = options.segments ?? (checkpointFile ? ScanCheckpoint.savedSegments(checkpointFile) : undefined) ?? 4
  const initial: UpdateState = {
    updated: 0,
    unchanged: 0,
    conflicts: 0,
    skipped: 0,
    deadLettered: 0,
    deadLetterFile: options.deadLetter ?? defaultDeadLetterPath(table, `${table}-update`),
  }
  const fingerprint = {
    table,
    connection: connectionId,
    filter: options.filter ?? null,
    names: options.names ?? null,
    values: options.values ?? null,
    set: options.set ?? null,
    transform: options.transformId ?? null,
  }
  const checkpoint = checkpointFile ? ScanCheckpoint.open<UpdateState>(checkpointFile, 'update', segments, fingerprint, initial) : undefined
  const journal = new UpdateJournal(checkpointFile && `${checkpointFile}.journal`)
  const base = checkpoint?.resumed ? { ...checkpoint.state } : initial
  const deadLetter = new DeadLetterFile(base.deadLetterFile)
  const counts = { matched: 0, updated: 0, unchanged: 0, conflicts: 0, skipped: 0, deadLettered: 0, segmentsDone: checkpoint?.resumed ? checkpoint.finishedSegments : 0 }
  const samples: UpdateResult['samples'] = []
  const bucket = maxWcu ? new TokenBucket(maxWcu) : undefined
  const limit = pLimit(options.concurrency ?? DEFAULT_UPDATERS)
  const abort = new AbortController()
  const onOuterAbort = () => abort.abort()
  options.signal?.addEventListener('abort', onOuterAbort, { once: true })
  if (options.signal?.aborted) abort.abort()

  const tally = (): UpdateCounts => ({
    table,
    matched: counts.matched,
    updated: base.updated + counts.updated,
    unchanged: base.unchanged + counts.unchanged,
    conflicts: base.conflicts + counts.conflicts,
    skipped: base.skipped + counts.skipped,
    deadLettered: base.deadLettered + counts.deadLettered,
    seconds: (performance.now() - started) / 1000,
  })
  const progress = () => options.onProgress?.({ ...tally(), segmentsDone: counts.segmentsDone, segmentsTotal: segments })

  /** The update for `item` as it is now: an expression, 'unchanged', or why it cannot be made. */
  const updateFor = async (item: Item): Promise<Expr | 'unchanged' | 'drop' | { error: string }> => {
    if (options.set) return { expression: options.set, names: options.names ?? {}, values: options.values ?? {} }
    const out = await options.transform!(toWireItem(item))
    if ('error' in out) return out
    if (out.dropped) return 'drop'
    if (out.items.length !== 1) return { error: `the transform returned ${out.items.length} items; an update makes one item of one` }
    const after = fromWireItem(out.items[0])
    if (keyNames.some((k) => !after[k] || canonicalKeyText(after, [k]) !== canonicalKeyText(item, [k])))
      return { error: 'the transform changed the key; an update keeps it (use dynx copy --transform to re-key)' }
    return diffUpdate(item, after, keyNames) ?? 'unchanged'
  }

  const keyOf = (item: Item) => Object.fromEntries(keyNames.map((k) => [k, item[k]]))
  const readItem = async (key: Item) =>
    (await call(conn, 'GetItem', () => conn.dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }), { abortSignal: abort.signal }), table)).Item
  const keyLine = (item: Item) => canonicalKeyText(item, keyNames)

  /** One item until updated, unchanged, skipped or dead-lettered. */
  const updateOne = async (read: Item, failed: DeadLetter[], entries: Map<string, JournalEntry>): Promise<void> => {
    let current = read
    for (let attempt = 0; ; attempt++) {
      const update = await updateFor(current)
      if (update === 'unchanged' || update === 'drop') return void counts.unchanged++
      if ('error' in update) return void failed.push({ table, source: table, reason: update.error, item: toWireItem(current) })
      const condition = unchangedCondition(current, keyNames)
      const conditionText = options.filter ? `(${options.filter}) AND ${condition.expression}` : condition.expression
      if (conditionText.length > MAX_EXPRESSION_LENGTH)
        return void failed.push({
          table,
          source: table,
          reason: `the item has too many attributes to check it is unchanged in one ConditionExpression (${conditionText.length} characters, at most ${MAX_EXPRESSION_LENGTH})`,
          item: toWireItem(current),
        })
      const after = options.set ? applySimpleUpdate(current, options.set, options.names, options.values) : applyDiff(current, update)
      if (options.dryRun) {
        if (samples.length < (options.sample ?? 5)) samples.push({ before: current, after })
        return void counts.updated++
      }
      const { names, values } = merge(condition, update, { names: options.names, values: options.values })
      if (bucket) await bucket.acquire(1, abort.signal)
      let networkRetry = false
      journal.sent(keyLine(current), itemHash(current), after && itemHash(after), entries)
      try {
        const out = await withRetryListener(
          (e) => (networkRetry ||= e.kind !== 'throttle'),
          () =>
            call(
              conn,
              'UpdateItem',
              () =>
                conn.dynamodb.send(
                  new UpdateItemCommand({
                    TableName: table,
                    Key: keyOf(current),
                    UpdateExpression: update.expression,
                    ConditionExpression: conditionText,
                    ExpressionAttributeNames: names,
                    ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
                    ReturnValues: 'ALL_NEW',
                    ReturnConsumedCapacity: bucket ? 'TOTAL' : undefined,
                  }),
                  { abortSignal: abort.signal },
                ),
              table,
            ),
        )
        if (bucket) bucket.charge((out.ConsumedCapacity?.CapacityUnits ?? 1) - 1)
        journal.answered(keyLine(current), entries)
        if (out.Attributes && sameItem(out.Attributes, current)) counts.unchanged++
        else counts.updated++
        return
      } catch (err) {
        bucket?.charge(-1)
        const name = (err as Error).name
        if (name === 'ValidationException') return void failed.push({ table, source: table, reason: `${name}: ${(err as Error).message}`, item: toWireItem(current) })
        if (name !== 'ConditionalCheckFailedException') throw err
      }
      // Refused: read the item as it is now.
      counts.conflicts++
      const now = await readItem(keyOf(current))
      if (!now) return void counts.skipped++
      if (sameItem(now, current)) {
        // Unchanged, yet refused: the filter no longer holds for it (the scan read an older copy), or it never did.
        counts.conflicts--
        return void counts.skipped++
      }
      // The SDK sent it again after a network error: the first attempt may be what changed the item.
      if (networkRetry && after && sameItem(now, after)) {
        journal.answered(keyLine(current), entries)
        counts.conflicts--
        return void counts.updated++
      }
      if (networkRetry)
        return void failed.push({
          table,
          source: table,
          reason: 'the connection dropped after DynamoDB may have applied the update, and the item has changed since it was read: not updated again (check this item)',
          item: toWireItem(now),
        })
      if (attempt + 1 >= MAX_CONFLICTS)
        return void failed.push({ table, source: table, reason: `changed by others ${MAX_CONFLICTS} times while being updated`, item: toWireItem(now) })
      current = now
    }
  }

  // Journal entries per page, kept until the saved checkpoint covers the page (a page done ahead of
  // an earlier one of its segment is held back by the checkpoint, so its entries must stay).
  const pageEntries = new Map<ScanPage, Map<string, JournalEntry>>()
  const processPage = async (page: ScanPage): Promise<void> => {
    const failed: DeadLetter[] = []
    const entries = new Map<string, JournalEntry>()
    pageEntries.set(page, entries)
    await Promise.all(
      page.items.map((item) =>
        limit(async () => {
          const k = keyLine(item)
          const earlier = journal.earlier.get(k)
          if (!earlier) return updateOne(item, failed, entries)
          // In a page the run a crash stopped had not committed: kept in the journal until this run commits it.
          journal.earlier.delete(k)
          entries.set(k, earlier)
          if (earlier.done) return void counts.updated++
          if (earlier.before === undefined) return updateOne(item, failed, entries)
          // Sent, never answered: applied or not? The item as it is now says.
          const now = await readItem(keyOf(item))
          if (!now) return void counts.skipped++
          const hash = itemHash(now)
          if (hash === earlier.before) return updateOne(now, failed, entries)
          if (hash === earlier.after) return void counts.updated++
          failed.push({
            table,
            source: table,
            reason: 'its update was in flight when an earlier run stopped, and the item has changed since: it may have been applied, so it is not updated again (check this item)',
            item: toWireItem(now),
          })
        }),
      ),
    )
    deadLetter.add(failed)
    counts.deadLettered += failed.length
    if (!page.lastEvaluatedKey) counts.segmentsDone++
    if (checkpoint) {
      checkpoint.commit(page, tally2State())
      saveCheckpoint()
    }
    progress()
  }
  const tally2State = (): UpdateState => {
    const t = tally()
    return { updated: t.updated, unchanged: t.unchanged, conflicts: t.conflicts, skipped: t.skipped, deadLettered: t.deadLettered, deadLetterFile: deadLetter.path }
  }
  let lastSave = 0
  const saveCheckpoint = (force = false) => {
    if (!checkpoint || (!force && performance.now() - lastSave < 1000)) return
    lastSave = performance.now()
    checkpoint.save()
    for (const page of [...pageEntries.keys()]) if (checkpoint.covers(page)) pageEntries.delete(page)
    journal.compact([...pageEntries.values()].flatMap((m) => [...m]))
  }

  let complete = false
  try {
    const pages = parallelScan(conn, {
      table,
      segments,
      ...selection,
      resumeFrom: checkpoint?.resumed ? checkpoint.position() : undefined,
      maxRcu: options.maxRcu,
      signal: abort.signal,
    })
    // Two pages in flight at a time, whatever their size.
    complete = await runPagesInFlight(pages, abort, {
      maxItems: 0,
      work: (page) => {
        counts.matched += page.items.length
        return processPage(page)
      },
      handedOut: progress,
    })
  } finally {
    abort.abort()
    options.signal?.removeEventListener('abort', onOuterAbort)
    if (complete) {
      checkpoint?.remove()
      journal.remove()
    } else saveCheckpoint(true)
    progress()
  }
  const final = tally()
  return {
    ...final,
    complete,
    resumed: Boolean(checkpoint?.resumed),
    dryRun: Boolean(options.dryRun),
    samples,
    ...(!complete && checkpointFile ? { checkpoint: checkpointFile } : {}),
    ...(final.deadLettered && !options.dryRun ? { deadLetterFile: deadLetter.path } : {}),
    outcome: !complete ? 'interrupted' : final.deadLettered ? 'partial' : 'ok',
  }
}

/** A diff's SET/REMOVE applied to the item (for a dry run's "after"). */
function applyDiff(item: Item, diff: Expr): Item {
  return applySimpleUpdate(item, diff.expression, diff.names, diff.values) ?? item
}

/**
 * DynamoDB checks an UpdateExpression (syntax, names, values) before its condition: an update of
 * a key no item has, under a condition that cannot hold for a missing item, is refused one way or
 * the other and writes nothing. A ValidationException is bad input found before any item changes.
 */
async function checkUpdateExpression(conn: Connection, table: string, keys: Record<string, 'S' | 'N' | 'B'>, o: UpdateItemsOptions): Promise<void> {
  const probe: Item = {}
  for (const [k, t] of Object.entries(keys))
    probe[k] = t === 'S' ? { S: '\u0000dynx-expression-check' } : t === 'N' ? { N: '-9.87654321e-120' } : { B: new Uint8Array([0, 100, 121, 110, 120]) }
  const names = { '#dynxk': Object.keys(keys)[0], ...o.names }
  try {
    await call(conn, 'UpdateItem', () =>
      conn.dynamodb.send(
        new UpdateItemCommand({
          TableName: table,
          Key: probe,
          UpdateExpression: o.set,
          ConditionExpression: o.filter ? `attribute_exists(#dynxk) AND (${o.filter})` : 'attribute_exists(#dynxk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: o.values && Object.keys(o.values).length ? o.values : undefined,
        }),
      ),
    )
  } catch (err) {
    const name = (err as Error).name
    if (name === 'ConditionalCheckFailedException') return
    if (name === 'ValidationException')
      throw new UserInputError(`DynamoDB rejects the update: ${(err as Error).message}`, 'Fix --set (and --names/--values); nothing was changed.', { cause: err })
    throw err
  }
}
