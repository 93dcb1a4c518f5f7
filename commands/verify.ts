import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand, environmentSideFlags, sourceConnectionFlags, targetConnectionFlags } from '../src/cli/base.js'
import { progressFlag } from '../src/cli/progress.js'
import { renderVerifyFileNotes, renderVerifyResult, renderVerifyStopped, verifyProgressText, verifyResultJson } from '../src/cli/verify-render.js'
import { UserInputError, partialResultOf } from '../src/errors.js'
import { LOAD_FORMATS, parseColumnTypes } from '../src/load/formats.js'
import { fileSideOf, verifyFileAgainstTable, type VerifyFileResult } from '../src/verify/files.js'
import { verifyTables, type VerifyOptions, type VerifyResult } from '../src/verify/verify.js'

const FILES = 'FILES'

export default class Verify extends DynxCommand<typeof Verify> {
  static override sides = ['source', 'target'] as const
  static override sideEnvironments = true
  static override summary = 'Check that two tables, or files and a table, hold the same items, and name the keys that differ.'
  static override description = `Scans SOURCE and TARGET at once (--segments each) and compares their item counts and an
order-independent checksum of every item's canonical form: attribute and set order, number
spelling ("1.50" = "1.5") and binary encoding do not matter, all 38 digits do. When they differ,
both are read a second time to list the differing keys: missing (only in SOURCE), extra
(only in TARGET) and changed, all counted, the first --max-diffs printed. The tables may be on
different accounts, regions or engines (--source-*/--target-* flags). Items written while it
runs can show up as differences.

One side may be files instead of a table: a side is files when it holds a / or a glob character
(no table name can: ./users, dumps/, 'parts/*.csv'), or is a file here named *.jsonl, *.ndjson,
*.json or *.csv (.gz too); any other bare name is a table, even where a folder of that name exists. They are read as \`dynx load\`
reads them (JSON lines, JSON arrays, CSV, plain or DynamoDB JSON, .gz, export folders; --format,
--raw/--plain, --types alike), with the table's key. Records that are not items of the table are
counted and reported, not compared; a key given twice counts once, its last record (as a load
leaves it). stdin (-) cannot be verified: it would have to be read twice.

Exit codes: 0 equal, 1 failed, 2 bad input (missing table or file, different key schemas, same table twice),
3 different (the report is printed first; with --json the full result), 130 interrupted.`
  static override examples = [
    '<%= config.bin %> verify staging_users users',
    '<%= config.bin %> verify users users --source-region eu-west-1 --target-region us-east-1 --segments 16',
    '<%= config.bin %> verify users users_copy --max-diffs 100 --json > report.json   # exit 3 when different',
    '<%= config.bin %> verify users --from-env staging --to-env prod',
    '<%= config.bin %> verify users.jsonl users   # the file against the table',
    "<%= config.bin %> verify users 'dumps/*.csv' --types age=N,tags=SS",
  ]
  static override args = {
    source: Args.string({ description: "Source table (the global --prefix, or --from-env's, is prepended), or files." }),
    target: Args.string({ description: "Target table (the global --prefix, or --to-env's, is prepended), or files. With --from-env/--to-env, default: the same name as SOURCE." }),
  }
  static override flags = {
    segments: Flags.integer({ summary: 'Parallel scan segments per table. Default: one per 2 GB of the larger table, at least 4.' }),
    'max-diffs': Flags.integer({ summary: 'Differing keys to list (all are counted).', default: 20 }),
    'max-rcu': Flags.integer({ summary: 'Read at most N capacity units per second from each table.' }),
    format: Flags.option({ summary: 'Read the files as this format (default: from their names and content).', options: LOAD_FORMATS, helpGroup: FILES })(),
    raw: Flags.boolean({ summary: 'JSON files are DynamoDB JSON ({"id": {"S": "a"}}), as `scan --raw` writes.', exclusive: ['plain'], helpGroup: FILES }),
    plain: Flags.boolean({ summary: 'JSON files are plain JSON, even where an item looks like DynamoDB JSON.', exclusive: ['raw'], helpGroup: FILES }),
    types: Flags.string({ summary: 'Types of plain attributes and CSV columns: NAME=TYPE,... (S N B BOOL NULL SS NS BS L M JSON).', helpGroup: FILES }),
    progress: progressFlag(),
    ...environmentSideFlags(),
    ...sourceConnectionFlags(),
    ...targetConnectionFlags(),
  }

  public async run(): Promise<VerifyResult | VerifyFileResult> {
    const f = this.flags
    const fileSide = fileSideOf(
      this.args.source,
      this.args.target,
      (['format', 'raw', 'plain', 'types'] as const).filter((k) => f[k]).map((k) => `--${k}`),
    )
    const tableSide = fileSide === 'source' ? 'target' : 'source'
    const envs = f['from-env'] !== undefined || f['to-env'] !== undefined
    if (!envs && !this.args.target)
      throw new UserInputError(
        'Give SOURCE and TARGET tables.',
        'For example: dynx verify staging_users users, dynx verify users.jsonl users, or dynx verify users --from-env staging --to-env prod.',
      )
    const conn = { source: await this.connectSide('source'), target: await this.connectSide('target') }
    const tableOf = async (side: 'source' | 'target'): Promise<string> =>
      side === 'source' || this.args.target
        ? await this.requireTable(this.args[side], async () => conn[side], this.sidePrefix(side))
        : `${this.sidePrefix('target')}${(await tableOf('source')).slice(this.sidePrefix('source').length)}`
    const table = await tableOf(tableSide)
    const files = fileSide ? this.args[fileSide]! : undefined
    const started = performance.now()
    const progress = this.progress
    const common: VerifyOptions = {
      segments: f.segments,
      maxDiffs: f['max-diffs'],
      maxRcu: f['max-rcu'],
      signal: this.interruptSignal(),
      onProgress: (p) => progress.stage(p.phase === 'checksum' ? 'verify' : 'diff', verifyProgressText(p, (performance.now() - started) / 1000)),
    }
    let result: VerifyResult | VerifyFileResult
    try {
      if (files !== undefined) {
        progress.stage('verify', fileSide === 'source' ? `${files} -> ${table}` : `${table} -> ${files}`)
        const encoding = f.raw ? 'raw' : f.plain ? 'plain' : undefined
        result = await verifyFileAgainstTable(conn[tableSide], table, [files], { ...common, fileSide, label: files, format: f.format, encoding, types: parseColumnTypes(f.types) })
      } else {
        const [sourceTable, targetTable] = [table, await tableOf('target')]
        progress.stage('verify', `${sourceTable} -> ${targetTable}`)
        result = await verifyTables(conn.source, sourceTable, conn.target, targetTable, common)
      }
    } catch (err) {
      progress.stop()
      const partial = partialResultOf(err)
      if (partial && !this.jsonEnabled()) process.stderr.write(`${renderVerifyStopped(partial)}\n`)
      throw err
    } finally {
      progress.stop()
    }
    if (result.outcome === 'interrupted') this.logToStderr('Interrupted before the comparison was finished; run it again to verify from the start.')
    else if (!this.jsonEnabled()) this.log([renderVerifyResult(result), ...('files' in result ? renderVerifyFileNotes(result.files) : [])].join('\n'))
    return verifyResultJson(result)
  }
}
