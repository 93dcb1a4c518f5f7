import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import { rmSync } from 'node:fs'

import { DynxCommand, environmentSideFlags, sameAccountAndRegion, sourceConnectionFlags, targetConnectionFlags } from '../src/cli/base.js'
import { progressFlag } from '../src/cli/progress.js'
import { copyProgressText, renderCopyBump, renderCopyEnding, renderCopyPlan, renderCopySummary } from '../src/cli/render.js'
import { restoreTimeoutFlag, restoreTimeoutMs } from '../src/cli/throughput-flags.js'
import { throughputProgressText } from '../src/cli/throughput-render.js'
import { renderVerifyResult } from '../src/cli/verify-render.js'
import { copyTables, writeBudgets, type CopyTablesResult } from '../src/copy/copy-tables.js'
import { copyRequestFrom, planCopy, type CopyPlan, type CopyRequest } from '../src/copy/plan.js'
import { loadTransform } from '../src/copy/transform.js'
import { UserInputError } from '../src/errors.js'
import type { Outcome } from '../src/outcome.js'
import type { CopyViaOutput } from '../src/cli/copy-via.js'

const SPEED = 'SPEED'
const VIA = 'BY EXPORT AND IMPORT (--via)'

export default class Copy extends DynxCommand<typeof Copy> {
  static override writes = 'target' as const
  static override dryRunFlag = 'dry-run'
  static override sides = ['source', 'target'] as const
  static override sideEnvironments = true
  static override summary = 'Copy a table (or every table with a prefix) to another name, environment, region or account.'
  static override description = `Reads SOURCE with a parallel scan and writes every item to TARGET with BatchWriteItem, exact
(numbers, sets, binary as stored). A missing TARGET is created as a clone of SOURCE (keys, indexes,
billing, stream, TTL, tags, PITR). Progress is checkpointed per segment after the target has
acknowledged each page; re-running the same command continues after a crash or Ctrl-C.
Items that cannot be written go to a dead-letter JSONL file and make the command exit 1.
With --via s3://BUCKET/PREFIX the copy goes through DynamoDB's own export to S3 and import into a
new TARGET (reconciled), then catches up on SOURCE's later writes with incremental exports.

Exit codes: 0 copied, 1 failed or items dead-lettered, 2 bad input (nothing written),
3 --verify found differences, 130 interrupted (progress saved).`
  static override examples = [
    '<%= config.bin %> copy staging_users users',
    '<%= config.bin %> copy --from-prefix staging_ --to-prefix prod_ --dry-run',
    '<%= config.bin %> copy --from-prefix staging_ --to-prefix prod_ --tables users,orders --parallel-tables 2 --yes',
    '<%= config.bin %> copy users users --source-region eu-west-1 --target-region us-east-1 --wcu-percent 50',
    '<%= config.bin %> copy users users_v2 --transform ./migrate.mjs --verify',
    '<%= config.bin %> copy users orders --from-env staging --to-env prod --yes --confirm-env prod',
    '<%= config.bin %> copy --from-env staging --to-env prod --dry-run   # every table of staging',
    '<%= config.bin %> copy users users_copy --via s3://my-bucket/copies --enable-pitr --verify',
  ]
  static override args = {
    source: Args.string({ description: 'Source table (the global --prefix is prepended).' }),
    target: Args.string({ description: 'Target table (the global --prefix is prepended).' }),
  }
  static override strict = false
  static override flags = {
    ...environmentSideFlags(),
    ...sourceConnectionFlags(),
    ...targetConnectionFlags(),
    'from-prefix': Flags.string({ summary: 'Copy every table whose name starts with this (may be "")...', helpGroup: 'ENVIRONMENTS' }),
    'to-prefix': Flags.string({ summary: '...to the same name with this prefix instead (may be "").', helpGroup: 'ENVIRONMENTS' }),
    tables: Flags.string({ summary: 'Only these tables of --from-prefix (names without the prefix, comma separated).', helpGroup: 'ENVIRONMENTS' }),
    'parallel-tables': Flags.integer({ summary: 'Tables copied at once (default 1).', min: 1, helpGroup: 'ENVIRONMENTS' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan (tables, estimated items, create or existing, differences) and stop.' }),
    create: Flags.boolean({ summary: 'Create a missing target by cloning the source (--no-create refuses instead).', default: true, allowNo: true }),
    transform: Flags.string({ summary: 'ES module whose default export maps an item to an item, an array of items, or null (drop).' }),
    verify: Flags.boolean({ summary: 'Compare source and target (counts and checksums) after the copy; exit 3 if they differ.' }),
    segments: Flags.integer({ summary: 'Parallel scan segments of the source (default 4).', helpGroup: SPEED }),
    writers: Flags.integer({ summary: 'BatchWriteItem calls in flight per table (default 16; halved while throttled).', helpGroup: SPEED }),
    'page-size': Flags.integer({ summary: 'Items read per Scan request (default: 1 MB pages).', helpGroup: SPEED }),
    'max-rcu': Flags.integer({ summary: 'Read at most N capacity units per second from each source.', helpGroup: SPEED }),
    'max-wcu': Flags.integer({ summary: 'Write at most N capacity units per second to each target (GSI writes included).', helpGroup: SPEED, exclusive: ['wcu-percent'] }),
    'wcu-percent': Flags.integer({ summary: "Write at most P% of each target's provisioned write capacity.", helpGroup: SPEED }),
    checkpoint: Flags.string({ summary: 'Checkpoint file (single table; default ~/.dynx/checkpoints/SOURCE--TARGET-*.json).' }),
    restart: Flags.boolean({ summary: 'Ignore and delete an existing checkpoint: copy from the start.' }),
    'dead-letter': Flags.string({ summary: 'Where items that cannot be written go (single table; default ~/.dynx/dead-letter/).' }),
    'bump-read': Flags.integer({ summary: "Raise each source table's read capacity to N while it is copied, then restore it.", min: 1, helpGroup: SPEED }),
    'bump-write': Flags.integer({ summary: "Raise each target's write capacity (table and GSIs) to N while it is copied, then restore it.", min: 1, helpGroup: SPEED }),
    'allow-stuck': Flags.boolean({ summary: "Bump even when DynamoDB's decrease quota would refuse the restore today.", helpGroup: SPEED }),
    'restore-timeout': restoreTimeoutFlag(SPEED),
    progress: progressFlag(),
    via: Flags.string({
      summary: "Copy with DynamoDB's export to S3 and import (new TARGET only), then catch up on later writes with incremental exports.",
      helpGroup: VIA,
      exclusive: ['transform', 'checkpoint', 'dead-letter', 'restart', 'bump-read', 'bump-write', 'max-rcu', 'page-size', 'wcu-percent'],
    }),
    's3-owner': Flags.string({ summary: 'With --via: account id owning the bucket, when it is not the source’s.', dependsOn: ['via'], helpGroup: VIA }),
    'kms-key': Flags.string({ summary: 'With --via: KMS key to encrypt the exported objects with (default SSE-S3).', dependsOn: ['via'], helpGroup: VIA }),
    'enable-pitr': Flags.boolean({ summary: 'With --via: turn on point-in-time recovery of sources where it is off (exports need it).', dependsOn: ['via'], helpGroup: VIA }),
    'catch-up': Flags.boolean({
      summary: 'With --via: apply the writes made to SOURCE after the export time (--no-catch-up skips).',
      default: true,
      allowNo: true,
      helpGroup: VIA,
    }),
    'catch-up-rounds': Flags.integer({ summary: `With --via: at most N catch-up rounds (default 4).`, dependsOn: ['via'], helpGroup: VIA }),
    'catch-up-settle': Flags.integer({ summary: `With --via: a round applying at most N changes ends the catch-up (default 100).`, dependsOn: ['via'], helpGroup: VIA }),
  }

  public async run(): Promise<({ plan: CopyPlan; dryRun: boolean; outcome: Outcome } & Partial<CopyTablesResult>) | CopyViaOutput> {
    const f = this.flags
    if (f.via && !f.create)
      throw new UserInputError(
        '--via creates TARGET with ImportTable (it only creates tables), and --no-create says not to create it.',
        'Drop --no-create, or copy into the existing table without --via.',
      )
    const request = this.copyRequest()
    const restoreTimeout = restoreTimeoutMs(f['restore-timeout'])
    const [source, target] = [await this.connectSide('source'), await this.connectSide('target')]
    if (f.via) {
      const { runCopyVia } = await import('../src/cli/copy-via.js')
      const io = {
        progress: this.progress,
        signal: this.interruptSignal(),
        json: this.jsonEnabled(),
        log: (t: string) => this.log(t),
        logToStderr: (t: string) => this.logToStderr(t),
      }
      return runCopyVia(source, target, request, { ...f, via: f.via }, io)
    }
    const transform = f.transform ? await loadTransform(f.transform) : undefined
    if (f.verify && transform)
      throw new UserInputError('--verify compares items as copied, but --transform changes them on purpose.', 'Drop --verify, or check the transformed table another way.')
    this.progress.stage('plan', source.label === target.label ? source.label : `${source.label} -> ${target.label}`)
    const plan = await planCopy(source, target, request, { create: f.create, checkpoint: f.checkpoint })
    this.progress.stop()
    const budgets = { maxWcu: f['max-wcu'], wcuPercent: f['wcu-percent'] }
    writeBudgets(plan, budgets)
    const planText = renderCopyPlan(plan, source.label, target.label)
    if (f['dry-run']) {
      if (!this.jsonEnabled()) this.log(planText)
      return { plan, dryRun: true, outcome: 'ok' }
    }
    if (!this.jsonEnabled() && plan.entries.length > 1) process.stderr.write(`${planText}\n`)
    // A target holding items is overwritten where keys match; a resumed copy was agreed to before.
    const overwrite = plan.entries.filter((e) => e.targetHasItems && (f.restart || !e.resumes))
    if (overwrite.length)
      await this.confirm(
        `${overwrite.map((e) => e.target).join(', ')} already ${overwrite.length > 1 ? 'hold' : 'holds'} items; items with the same keys will be overwritten.`,
        overwrite.length === 1 ? overwrite[0].target : 'yes',
      )
    if (f.restart) for (const e of plan.entries) rmSync(e.checkpoint, { force: true })

    const signal = this.interruptSignal()
    const progress = this.progress
    // Each table's part of the status line is keyed by its source (bumps name either side).
    const keyOf = (table: string) => plan.entries.find((e) => e.source === table || e.target === table)?.source ?? table
    const result = await copyTables(source, target, plan, {
      ...budgets,
      segments: f.segments,
      writeConcurrency: f.writers,
      pageLimit: f['page-size'],
      maxRcu: f['max-rcu'],
      transform,
      transformId: f.transform,
      deadLetter: f['dead-letter'],
      parallelTables: f['parallel-tables'],
      verify: f.verify,
      sameRegion: source === target || sameAccountAndRegion(this.recordedConnection('source'), this.recordedConnection('target')),
      signal,
      ...(f['bump-read'] || f['bump-write']
        ? {
            bump: {
              read: f['bump-read'],
              write: f['bump-write'],
              allowStuck: f['allow-stuck'],
              restoreTimeoutMs: restoreTimeout,
              sourceConnection: this.recordedConnection('source'),
              targetConnection: this.recordedConnection('target'),
              onBump: (e, side, b) => progress.info(renderCopyBump(side === 'source' ? e.source : e.target, b)),
              onProgress: (p) => {
                if (p.stage === 'waiting' || p.stage === 'retrying') progress.update(throughputProgressText(p), keyOf(p.table))
                else progress.stage(p.stage === 'raising' ? 'bump' : 'restore', throughputProgressText(p), keyOf(p.table))
              },
            },
          }
        : {}),
      onCreate: (e, message) => {
        progress.stage('create', `${e.target}: ${message}`, e.source)
      },
      onVerify: (e) => {
        progress.stage('verify', `${e.source} -> ${e.target}`, e.source)
      },
      onTableStart: (e, s) => {
        progress.stage('copy', `${e.source} -> ${e.target}`, e.source)
        if (s.checkpoint)
          progress.info(`${e.source} -> ${e.target}: ${s.resumed ? 'resuming' : 'checkpoint'} ${s.checkpoint} (${s.segmentsToScan} of ${s.segments} segments to copy)`)
      },
      onProgress: (p) => {
        progress.stage('copy', copyProgressText(p, plan.entries.find((e) => e.source === p.source)?.estimatedItems ?? 0), p.source)
      },
    })
    progress.stop()
    if (!this.jsonEnabled()) {
      this.log(renderCopySummary(result))
      for (const o of result.tables) if (o.verify) this.log(`verify ${o.source} -> ${o.target}: ${renderVerifyResult(o.verify)}`)
      const ending = renderCopyEnding(result)
      if (ending) this.logToStderr(ending)
    }
    return { plan, dryRun: false, ...result }
  }

  protected override writtenSides(): Array<'main' | 'source' | 'target'> {
    // --bump-read raises (and later lowers) the source's capacity, --enable-pitr turns its PITR on: that is writing into its environment too.
    return this.flags['bump-read'] || this.flags['enable-pitr'] ? ['target', 'source'] : ['target']
  }

  protected override interruptMessage(signal: NodeJS.Signals): string {
    if (this.flags.via) return 'Interrupted; exports and imports go on in DynamoDB. Stopping the wait and saving progress (press Ctrl-C again to quit at once).'
    return super.interruptMessage(signal)
  }

  /**
   * SOURCE TARGET, --from-prefix/--to-prefix, or with --from-env/--to-env bare names (TABLE...,
   * or --tables) taken with each side's prefix; no names then means every table of the source.
   */
  private copyRequest(): CopyRequest {
    const f = this.flags
    const names = this.positionals
    if (f['from-env'] === undefined && f['to-env'] === undefined) {
      if (names.length > 2)
        throw new UserInputError(
          `copy takes SOURCE and TARGET, not ${names.length} tables.`,
          'To copy several tables, use --from-prefix/--to-prefix with --tables, or --from-env/--to-env with the names.',
        )
      const request = copyRequestFrom({ ...this.args, fromPrefix: f['from-prefix'], toPrefix: f['to-prefix'], tables: f.tables })
      if ('tables' in request) request.tables = request.tables.map((t) => ({ source: this.table(t.source), target: this.table(t.target) }))
      return request
    }
    if (f['from-prefix'] !== undefined || f['to-prefix'] !== undefined) {
      throw new UserInputError(
        '--from-env/--to-env bring their own prefixes, so --from-prefix/--to-prefix do not go with them.',
        'Drop --from-prefix/--to-prefix (the environments in dynx.config say the prefixes).',
      )
    }
    if (names.length && f.tables)
      throw new UserInputError('Give the tables as arguments or with --tables, not both.', 'Example: dynx copy users orders --from-env staging --to-env prod')
    return copyRequestFrom({ fromPrefix: this.sidePrefix('source'), toPrefix: this.sidePrefix('target'), tables: names.length ? names.join(',') : f.tables })
  }
}
