import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand, sameAccountAndRegion, sourceConnectionFlags } from '../src/cli/base.js'
import { renderCreateResult } from '../src/cli/render.js'
import { cloneTable, createTable, type CreateProgress, type CreateTableResult } from '../src/tables/create.js'
import { loadTableSpec } from '../src/tables/spec.js'

export default class Create extends DynxCommand<typeof Create> {
  static override writes = 'main' as const
  static override sides = ['source'] as const
  static override summary = 'Create a table from a spec file or by cloning an existing table.'
  static override description = `--spec FILE reads a JSON or YAML spec (see "Spec files" in the README).
--from SOURCE clones SOURCE's definition (keys, GSIs, LSIs, billing and throughput, stream, SSE,
table class, deletion protection, then TTL, tags and PITR once ACTIVE) but none of its items.
The source may be in another region, account or engine (--source-region/--source-profile/--source-endpoint).`
  static override examples = [
    '<%= config.bin %> create users --spec tables.yaml --wait',
    '<%= config.bin %> create users_copy --from users --wait --local',
    '<%= config.bin %> create users --from users --source-region us-east-1 --region eu-west-1',
    '<%= config.bin %> create users --spec users.json --if-not-exists   # safe to repeat in CI',
  ]
  static override args = {
    table: Args.string({ description: 'Name of the table to create (the global --prefix is prepended).', required: true }),
  }
  static override flags = {
    spec: Flags.string({ summary: 'Spec file (JSON or YAML).', exactlyOne: ['spec', 'from'] }),
    from: Flags.string({ summary: 'Existing table to clone (the global --prefix is prepended).', exactlyOne: ['spec', 'from'] }),
    wait: Flags.boolean({ summary: 'Wait until the table and all its GSIs are ACTIVE.' }),
    'if-not-exists': Flags.boolean({ summary: 'Succeed without changes when the table already exists.' }),
    ...sourceConnectionFlags(),
  }

  public async run(): Promise<CreateTableResult & { source?: string }> {
    const f = this.flags
    const table = this.table(this.args.table)
    const options = {
      wait: f.wait,
      ifNotExists: f['if-not-exists'],
      onProgress: (p: CreateProgress) => this.progress.update(p.message),
    }
    const target = await this.connect()
    const result = f.spec
      ? await createTable(target, await loadTableSpec(f.spec, this.args.table, table), options)
      : await cloneTable(await this.connectSide('source'), this.table(f.from ?? ''), target, table, {
          ...options,
          // A customer KMS key belongs to one account and region: reuse it only when nothing points elsewhere.
          sameRegion: sameAccountAndRegion(this.recordedConnection('source'), this.recordedConnection()),
        })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderCreateResult(result))
    return result
  }
}
