import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { renderImportResult } from '../src/cli/exports-render.js'
import { importTableFromS3, type ImportResult } from '../src/exports/import.js'
import { loadTableSpec } from '../src/tables/spec.js'

export default class Import extends DynxCommand<typeof Import> {
  static override writes = 'main' as const
  static override summary = "Create a table from a DynamoDB export in S3 with DynamoDB's own import (no write capacity used)."
  static override description = `ImportTable creates TABLE and fills it from the export's data/ objects. Its definition
(keys, GSIs, billing and capacity, SSE) comes from --like SOURCE or --spec FILE. ImportTable
cannot create local secondary indexes: a source with LSIs is refused (use \`dynx copy\`, or
\`dynx create --from\` and \`dynx load\`). With --wait, once the import is COMPLETED and the table
ACTIVE, what ImportTable cannot set (TTL, PITR, stream, tags, auto scaling, deletion protection)
is re-applied from SOURCE by the reconcile backup restores use, or from the spec.

Exit codes: 0 imported, 1 the import failed or items failed to import (they are in its CloudWatch
Logs group), 2 bad input (a malformed URL, an existing TABLE, a source with LSIs, --local).`
  static override examples = [
    '<%= config.bin %> import s3://my-bucket/exports/users/AWSDynamoDB/01732180000000-abcd1234/ users_restored --like users --wait',
    '<%= config.bin %> import s3://my-bucket/exports/AWSDynamoDB/01732180000000-abcd1234/ users --spec tables.yaml',
  ]
  static override args = {
    folder: Args.string({ description: 'The export folder: s3://BUCKET/PREFIX/AWSDynamoDB/<export-id>/', required: true }),
    table: Args.string({ description: 'New table to create (--prefix is prepended).', required: true }),
  }
  static override flags = {
    like: Flags.string({ summary: 'Table whose definition and settings the new one takes (--prefix is prepended).', exactlyOne: ['like', 'spec'] }),
    spec: Flags.string({ summary: 'Spec file (JSON or YAML) with the new table’s definition.', exactlyOne: ['like', 'spec'] }),
    format: Flags.string({ summary: 'Data format when the export has no manifest-summary.json to say.', options: ['dynamodb-json', 'ion'], default: 'dynamodb-json' }),
    wait: Flags.boolean({ summary: 'Wait for the import to end, then re-apply the settings ImportTable cannot set.' }),
  }

  protected override interruptMessage(): string {
    return 'Interrupted; the import goes on in DynamoDB. Stopping the wait (press Ctrl-C again to quit at once).'
  }

  public async run(): Promise<ImportResult> {
    const f = this.flags
    const table = this.table(this.args.table)
    const spec = f.spec ? await loadTableSpec(f.spec, this.args.table, table) : undefined
    const result = await importTableFromS3(await this.connect(), this.args.folder, table, {
      ...(f.like ? { like: this.table(f.like) } : {}),
      ...(spec ? { spec } : {}),
      format: f.format as 'dynamodb-json' | 'ion',
      wait: f.wait,
      waitOptions: { signal: this.interruptSignal() },
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderImportResult(result))
    return result
  }
}
