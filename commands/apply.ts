import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { renderApplyResult, renderPlan } from '../src/cli/render.js'
import type { Outcome } from '../src/outcome.js'
import { applyPlan, planApply, type ApplyPlan, type ApplyResult } from '../src/tables/apply.js'
import { loadSpecFile } from '../src/tables/spec.js'

export default class Apply extends DynxCommand<typeof Apply> {
  static override writes = 'main' as const
  static override dryRunFlag = 'check'
  static override summary = 'Make tables match a spec file: create missing ones, apply additive changes.'
  static override description = `For CI migration steps. Missing tables are created. Existing tables are compared with the
spec and the drift printed as a plan; changes DynamoDB can make in place (new GSI, TTL, stream,
PITR, tags, billing mode, throughput, deletion protection, table class) are applied with --yes (or
a typed confirmation on a terminal). Changes DynamoDB cannot make in place (key schema, LSIs,
index keys, removing an index) are reported and never attempted. Fields the spec leaves out are
not managed. --check changes nothing and exits 3 on drift.

Exit codes: 0 in sync (or made so), 2 bad spec, 3 drift remains (--check, unconfirmed or manual changes).`
  static override examples = [
    '<%= config.bin %> apply tables.yaml --local',
    '<%= config.bin %> apply tables.yaml --prefix staging_ --yes',
    '<%= config.bin %> apply tables.yaml --check   # exit 3 when tables differ from the spec',
  ]
  static override args = {
    file: Args.string({ description: 'Spec file (JSON or YAML) with a `tables:` list.', required: true }),
  }
  static override flags = {
    check: Flags.boolean({ summary: 'Only compare: change nothing, exit 3 on drift.' }),
  }

  public async run(): Promise<{ plan: ApplyPlan; result?: ApplyResult; outcome: Outcome }> {
    const specs = await loadSpecFile(this.args.file)
    const conn = await this.connect()
    this.progress.start('comparing tables with the spec')
    const plan = await planApply(conn, specs, { prefix: this.flags.prefix })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderPlan(plan))
    if (!plan.drift) return { plan, outcome: 'ok' }
    if (this.flags.check) return { plan, outcome: 'drift' }
    let applyUpdates = this.flags.yes
    if (!applyUpdates && plan.tables.some((t) => t.changes.some((c) => c.kind === 'update')) && process.stdin.isTTY && !this.jsonEnabled()) {
      await this.confirm('Apply the in-place updates above?')
      applyUpdates = true
    }
    const result = await applyPlan(conn, plan, { applyUpdates, onProgress: (p) => this.progress.update(p.message) })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderApplyResult(result))
    return { plan, result, outcome: result.outcome }
  }
}
