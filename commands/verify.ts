import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand, environmentSideFlags, sourceConnectionFlags, targetConnectionFlags } from '../src/cli/base.js'
import { progressFlag } from '../src/cli/progress.js'
import { renderVerifyResult, renderVerifyStopped, verifyProgressText } from '../src/cli/verify-render.js'
import { rawItemJson } from '../src/data/values.js'
import { UserInputError, partialResultOf } from '../src/errors.js'
import { verifyTables, type VerifyResult } from '../src/verify/verify.js'

export default class Verify extends DynxCommand<typeof Verify> {
  static override sides = ['source', 'target'] as const
  static override sideEnvironments = true
  static override summary = 'Check that two tables hold the same items, and name the keys that differ.'
  static override description = `Scans SOURCE and TARGET at once (--segments each) and compares their item counts and an
order-independent checksum of every item's canonical form: attribute and set order, number
spelling ("1.50" = "1.5") and binary encoding do not matter, all 38 digits do. When they differ,
both tables are read a second time to list the differing keys: missing (only in SOURCE), extra
(only in TARGET) and changed, all counted, the first --max-diffs printed. The tables may be on
different accounts, regions or engines (--source-*/--target-* flags). Items written while it
runs can show up as differences.

Exit codes: 0 equal, 1 failed, 2 bad input (missing table, different key schemas, same table twice),
3 different (the report is printed first; with --json the full result), 130 interrupted.`
  static override examples = [
    '<%= config.bin %> verify staging_users users',
    '<%= config.bin %> verify users users --source-region eu-west-1 --target-region us-east-1 --segments 16',
    '<%= config.bin %> verify users users_copy --max-diffs 100 --json > report.json   # exit 3 when different',
    '<%= config.bin %> verify users --from-env staging --to-env prod',
  ]
  static override args = {
    source: Args.string({ description: "Source table (the global --prefix, or --from-env's, is prepended)." }),
    target: Args.string({ description: "Target table (the global --prefix, or --to-env's, is prepended). With --from-env/--to-env, default: the same name as SOURCE." }),
  }
  static override flags = {
    segments: Flags.integer({ summary: 'Parallel scan segments per table. Default: one per 2 GB of the larger table, at least 4.' }),
    'max-diffs': Flags.integer({ summary: 'Differing keys to list (all are counted).', default: 20 }),
    'max-rcu': Flags.integer({ summary: 'Read at most N capacity units per second from each table.' }),
    progress: progressFlag(),
    ...environmentSideFlags(),
    ...sourceConnectionFlags(),
    ...targetConnectionFlags(),
  }

  public async run(): Promise<VerifyResult> {
    const f = this.flags
    const source = await this.connectSide('source')
    const target = await this.connectSide('target')
    const envs = f['from-env'] !== undefined || f['to-env'] !== undefined
    if (!envs && !this.args.target)
      throw new UserInputError('Give SOURCE and TARGET tables.', 'For example: dynx verify staging_users users, or dynx verify users --from-env staging --to-env prod.')
    const sourceTable = await this.requireTable(this.args.source, async () => source, this.sidePrefix('source'))
    const targetTable = this.args.target ? `${this.sidePrefix('target')}${this.args.target}` : `${this.sidePrefix('target')}${sourceTable.slice(this.sidePrefix('source').length)}`
    const signal = this.interruptSignal()
    const progress = this.progress
    const started = performance.now()
    let result: VerifyResult
    progress.stage('verify', `${sourceTable} -> ${targetTable}`)
    try {
      result = await verifyTables(source, sourceTable, target, targetTable, {
        segments: f.segments,
        maxDiffs: f['max-diffs'],
        maxRcu: f['max-rcu'],
        signal,
        onProgress: (p) => {
          progress.stage(p.phase === 'checksum' ? 'verify' : 'diff', verifyProgressText(p, (performance.now() - started) / 1000))
        },
      })
    } catch (err) {
      progress.stop()
      const partial = partialResultOf(err)
      if (partial && !this.jsonEnabled()) process.stderr.write(`${renderVerifyStopped(partial)}\n`)
      throw err
    } finally {
      progress.stop()
    }
    if (result.outcome === 'interrupted') this.logToStderr('Interrupted before the comparison was finished; run it again to verify from the start.')
    else if (!this.jsonEnabled()) this.log(renderVerifyResult(result))
    // Keys as DynamoDB JSON under --json (binary as base64), like `scan --raw`.
    return { ...result, diffs: result.diffs.map((d) => ({ kind: d.kind, key: JSON.parse(rawItemJson(d.key)) })) }
  }
}
