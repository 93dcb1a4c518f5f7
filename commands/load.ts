import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand, sourceConnectionFlags } from '../src/cli/base.js'
import { growYoungGeneration } from '../src/cli/heap.js'
import { loadProgressText, renderLoadResult } from '../src/cli/load-render.js'
import { progressFlag } from '../src/cli/progress.js'
import { renderVerifyFileNotes, renderVerifyResult, verifyProgressText, verifyResultJson } from '../src/cli/verify-render.js'
import { loadTransform } from '../src/copy/transform.js'
import { parseColumnTypes, LOAD_FORMATS } from '../src/load/formats.js'
import { prepareLoadTarget } from '../src/load/target.js'
import { checkLoadVerify, loadTable, type LoadResult } from '../src/load/load-table.js'
import { resolveSources } from '../src/load/sources.js'

const SPEED = 'SPEED'

export default class Load extends DynxCommand<typeof Load> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override sides = ['source'] as const
  static override summary = 'Load items from JSON lines, JSON, CSV or DynamoDB export files into a table.'
  static override description = `SOURCE: files, folders, globs (quoted) or - for stdin; .gz files are read compressed. Formats come
from the name and the content (--format to force): JSON lines and JSON arrays as \`dynx scan\` writes them,
plain or DynamoDB JSON (\`scan --raw\`, and the {"Item": ...} lines of DynamoDB's export to S3; give the
export folder with its manifest-files.json), and CSV with a header (key columns typed by the table,
other columns text unless --types says otherwise). Records that are not items, lack the table's key, are
over 400 KB or repeat a key within one batch go to a dead-letter file with their file and line; the load
goes on. Progress is checkpointed per file; the same command continues after a crash or Ctrl-C.

Exit codes: 0 loaded, 1 failed or records dead-lettered, 2 bad input (nothing written),
3 --verify found differences, 130 interrupted (progress saved).`
  static override examples = [
    '<%= config.bin %> load users users.jsonl',
    '<%= config.bin %> load users ./export/AWSDynamoDB/01234567890123-abcdefgh/ --like users_old',
    "<%= config.bin %> load users 'dumps/*.jsonl.gz' --writers 32 --parallel 8",
    '<%= config.bin %> load users users.csv --types age=N,tags=SS,profile=M --dry-run',
    'zcat users.jsonl.gz | <%= config.bin %> load users - --raw',
  ]
  static override args = {
    table: Args.string({ description: 'Table to load into (the global --prefix is prepended).', required: true }),
    source: Args.string({ description: 'Files, folders, globs, or - for stdin (several may be given).', required: true }),
  }
  static override strict = false
  static override flags = {
    format: Flags.option({ summary: 'Read every source as this format (default: from its name and content).', options: LOAD_FORMATS })(),
    raw: Flags.boolean({ summary: 'JSON sources are DynamoDB JSON ({"id": {"S": "a"}}), as `scan --raw` writes.', exclusive: ['plain'] }),
    plain: Flags.boolean({ summary: 'JSON sources are plain JSON, even where an item looks like DynamoDB JSON.', exclusive: ['raw'] }),
    types: Flags.string({ summary: 'Types of plain attributes and CSV columns: NAME=TYPE,... (S N B BOOL NULL SS NS BS L M JSON).' }),
    spec: Flags.string({ summary: 'Create a missing TABLE from this spec file first.', exclusive: ['like'] }),
    like: Flags.string({ summary: "Create a missing TABLE as a clone of this table's definition first.", exclusive: ['spec'] }),
    transform: Flags.string({ summary: 'ES module whose default export maps an item to an item, an array of items, or null (drop).' }),
    verify: Flags.boolean({ summary: 'After the load, compare the sources with the table (as `dynx verify FILES TABLE`); exit 3 if they differ. The table must be empty or new.' }),
    'dry-run': Flags.boolean({ summary: 'Read and check every record; print counts and problems per source; write nothing.' }),
    writers: Flags.integer({ summary: 'BatchWriteItem calls in flight (default 16; halved while throttled).', helpGroup: SPEED }),
    parallel: Flags.integer({ summary: 'Files (or byte ranges of a big JSON lines file) read at once (default 4).', helpGroup: SPEED }),
    'max-wcu': Flags.integer({ summary: 'Write at most N capacity units per second (GSI writes included).', helpGroup: SPEED, exclusive: ['wcu-percent'] }),
    'wcu-percent': Flags.integer({ summary: "Write at most P% of the table's provisioned write capacity.", helpGroup: SPEED }),
    checkpoint: Flags.string({ summary: 'Checkpoint file (default ~/.dynx/checkpoints/load-TABLE-*.json; none for stdin).' }),
    restart: Flags.boolean({ summary: 'Ignore and delete an existing checkpoint: load from the start.' }),
    'dead-letter': Flags.string({ summary: 'Where records that cannot be loaded go (default ~/.dynx/dead-letter/).' }),
    progress: progressFlag(),
    ...sourceConnectionFlags(),
  }

  public async run(): Promise<LoadResult> {
    const f = this.flags
    growYoungGeneration()
    const table = this.table(this.args.table)
    const types = parseColumnTypes(f.types)
    const sources = await resolveSources(this.positionals.slice(1), f.format, { connection: () => this.connect() })
    const conn = await this.connect()
    const transform = f.transform ? await loadTransform(f.transform) : undefined
    if (f.verify) checkLoadVerify(table, { transform: Boolean(transform), dryRun: f['dry-run'], sources })
    this.progress.stage('plan', table)
    const target = await prepareLoadTarget(conn, table, {
      spec: f.spec ? { file: f.spec, name: this.args.table } : undefined,
      like: f.like ? this.table(f.like) : undefined,
      likeConnection: f.like ? () => this.connectSide('source') : undefined,
      dryRun: f['dry-run'],
      onCreate: (message) => this.progress.stage('create', `${table}: ${message}`),
    })
    this.progress.stop()
    if (f.verify) checkLoadVerify(table, { hasItems: target.hasItems })
    const progress = this.progress
    let verifyStarted = 0
    const result = await loadTable(conn, table, sources, {
      format: f.format,
      encoding: f.raw ? 'raw' : f.plain ? 'plain' : undefined,
      types,
      writeConcurrency: f.writers,
      parallel: f.parallel,
      maxWcu: f['max-wcu'],
      wcuPercent: f['wcu-percent'],
      transform,
      transformId: f.transform,
      checkpoint: f.checkpoint,
      restart: f.restart,
      deadLetter: f['dead-letter'],
      dryRun: f['dry-run'],
      verify: f.verify,
      table: target.description,
      signal: this.interruptSignal(),
      // A load that continues its checkpoint was agreed to when it started.
      beforeWrite: async (s) => {
        if (target.hasItems && !s.resumed && !f['dry-run']) await this.confirm(`${table} already holds items; items with the same keys will be overwritten.`, table)
      },
      onStart: (s) => {
        progress.stage('load', table)
        if (s.checkpoint && s.resumed) progress.info(`${table}: resuming from ${s.checkpoint}`)
      },
      onProgress: (p) => progress.update(loadProgressText(p)),
      onVerify: (p) => progress.stage(p.phase === 'checksum' ? 'verify' : 'diff', verifyProgressText(p, (performance.now() - (verifyStarted ||= performance.now())) / 1000)),
    })
    progress.stop()
    if (!this.jsonEnabled()) this.log(renderLoadResult(result))
    if (!result.verify) return result
    if (!this.jsonEnabled()) this.log([`verify: ${renderVerifyResult(result.verify)}`, ...renderVerifyFileNotes(result.verify.files)].join('\n'))
    return { ...result, verify: verifyResultJson(result.verify) }
  }
}
