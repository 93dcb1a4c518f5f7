import * as Args from '@oclif/core/args'

import { DynxCommand } from '../../src/cli/base.js'
import { renderExportDetail } from '../../src/cli/exports-render.js'
import { describeExport, type ExportInfo } from '../../src/exports/export.js'

export default class ExportDescribe extends DynxCommand<typeof ExportDescribe> {
  static override summary = 'Show one export to S3: status, items, billed size, folder and manifest.'
  static override examples = ['<%= config.bin %> export describe arn:aws:dynamodb:eu-west-1:123456789012:table/users/export/01732180000000-abcd1234']
  static override args = {
    arn: Args.string({ description: 'Export ARN (`dynx export list` shows them).', required: true }),
  }

  public async run(): Promise<ExportInfo> {
    const info = await describeExport(await this.connect(), this.args.arn)
    if (!this.jsonEnabled()) this.log(renderExportDetail(info))
    return info
  }
}
