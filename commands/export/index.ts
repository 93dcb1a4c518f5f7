import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../../src/cli/base.js'
import { renderExportResult } from '../../src/cli/exports-render.js'
import { exportTableToS3, type ExportFormatName, type ExportResult, type ExportViewName } from '../../src/exports/export.js'
import { parseTime } from '../../src/time.js'

export default class Export extends DynxCommand<typeof Export> {
  static override summary = "Export a table to S3 with DynamoDB's own export (no read capacity used)."
  static override description = `ExportTableToPointInTime writes the table, as it was at a moment of its point-in-time
recovery window, to s3://BUCKET/PREFIX/AWSDynamoDB/<export-id>/ (manifest files and data/*.gz).
Point-in-time recovery must be on: --enable-pitr turns it on (a change, guarded in protected
environments). The ClientToken is a hash of the table and the arguments, so running the same
command again follows the export already started instead of starting (and paying for) another.

Exit codes: 0 started or completed, 1 the export FAILED (with DynamoDB's reason), 2 bad input
(a malformed s3:// URL, PITR off without --enable-pitr, --local): nothing started.`
  static override examples = [
    '<%= config.bin %> export users s3://my-bucket/exports/users --wait',
    '<%= config.bin %> export users s3://my-bucket/exports --ago 2h --enable-pitr',
    '<%= config.bin %> export users s3://my-bucket/changes --incremental --from 2026-11-20T10:00Z --to 2026-11-20T12:00Z',
  ]
  static override args = {
    table: Args.string({ description: 'Table to export (--prefix is prepended).', required: true }),
    destination: Args.string({ description: 's3://BUCKET/PREFIX to export to.', required: true }),
  }
  static override flags = {
    format: Flags.string({ summary: 'Format of the exported items.', options: ['dynamodb-json', 'ion'], default: 'dynamodb-json' }),
    time: Flags.string({ summary: 'Export the table as it was at this time (ISO 8601; default now).', exclusive: ['ago', 'incremental'] }),
    ago: Flags.string({ summary: 'Export the table as it was this long ago (30m, 2h).', exclusive: ['time', 'incremental'] }),
    incremental: Flags.boolean({ summary: 'Export the changes between --from and --to instead of the whole table.', dependsOn: ['from', 'to'] }),
    from: Flags.string({ summary: 'With --incremental: start of the changes (ISO 8601 or a duration ago).', dependsOn: ['incremental'] }),
    to: Flags.string({ summary: 'With --incremental: end of the changes (ISO 8601 or a duration ago).', dependsOn: ['incremental'] }),
    view: Flags.string({ summary: 'With --incremental: new images only, or new and old.', options: ['new', 'new-and-old'], dependsOn: ['incremental'] }),
    's3-owner': Flags.string({ summary: 'Account id owning the bucket, when it is another account.' }),
    'kms-key': Flags.string({ summary: 'KMS key (id or ARN) to encrypt the exported objects with (default SSE-S3).' }),
    'enable-pitr': Flags.boolean({ summary: 'Turn on point-in-time recovery when it is off (an export needs it).' }),
    wait: Flags.boolean({ summary: 'Wait until the export is COMPLETED, showing items and bytes.' }),
  }

  protected override writtenSides(): Array<'main' | 'source' | 'target'> {
    // Only turning PITR on changes the table; an export itself writes to S3, not into the environment.
    return this.flags['enable-pitr'] ? ['main'] : []
  }

  protected override interruptMessage(): string {
    return 'Interrupted; the export goes on in DynamoDB. Stopping the wait (press Ctrl-C again to quit at once).'
  }

  public async run(): Promise<ExportResult> {
    const f = this.flags
    const time = f.time ? parseTime(f.time, '--time') : f.ago ? parseTime(f.ago, '--ago') : undefined
    const incremental = f.incremental ? { from: parseTime(f.from ?? '', '--from'), to: parseTime(f.to ?? '', '--to'), view: f.view as ExportViewName | undefined } : undefined
    const result = await exportTableToS3(await this.connect(), this.table(this.args.table), this.args.destination, {
      format: f.format as ExportFormatName,
      ...(time ? { time } : {}),
      ...(incremental ? { incremental } : {}),
      ...(f['s3-owner'] ? { s3Owner: f['s3-owner'] } : {}),
      ...(f['kms-key'] ? { kmsKey: f['kms-key'] } : {}),
      enablePitr: f['enable-pitr'],
      wait: f.wait,
      waitOptions: { signal: this.interruptSignal() },
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) this.log(renderExportResult(result))
    return result
  }
}
