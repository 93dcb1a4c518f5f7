import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { bootstrapSampleTables, type BootstrapResult } from '../src/tables/bootstrap.js'

export default class Bootstrap extends DynxCommand<typeof Bootstrap> {
  static override writes = 'main' as const
  static override summary = 'Create and fill sample tables (users, orders) to try dynx on.'
  static override description = `Creates "users" (partition key userId, GSI email-index on email) and "orders"
(partition key customerId, sort key orderId, LSI createdAt-index), names prefixed with --prefix,
and fills them with realistic items of every attribute type, including numbers with 38 significant
digits. Items are deterministic: running it again rewrites the same items.`
  static override examples = [
    '<%= config.bin %> bootstrap --local --prefix staging_',
    '<%= config.bin %> bootstrap --local --prefix staging_ --items 5000',
    '<%= config.bin %> bootstrap --endpoint http://localhost:8000',
  ]
  static override flags = {
    items: Flags.integer({ summary: 'Items per table.', default: 100, min: 1, max: 1_000_000 }),
  }

  public async run(): Promise<BootstrapResult> {
    const result = await bootstrapSampleTables(await this.connect(), {
      prefix: this.flags.prefix,
      items: this.flags.items,
      onProgress: (p) => this.progress.update(p.message),
    })
    this.progress.stop()
    if (!this.jsonEnabled()) {
      for (const t of result.tables) this.log(`${t.created ? 'Created' : 'Refilled'} ${t.table}: ${t.items} items`)
    }
    return result
  }
}
