import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { chooseFormat, itemJson, itemOutputFlags, keyText, writeItem } from '../src/cli/items-render.js'
import { ItemNotFoundError, getItem } from '../src/items/get.js'
import { ScanOutput } from '../src/scan/output.js'

export default class Get extends DynxCommand<typeof Get> {
  static override summary = 'Read one item by its primary key.'
  static override description = `KEY is the item's primary key: pk=value,sk=value, typed by the table's key schema (numbers
kept digit for digit, binary as base64), a bare value for a table with only a partition key, or JSON,
plain ('{"pk":"a","sk":5}') or DynamoDB JSON ('{"pk":{"S":"a"}}'). The item is printed in the
formats of \`dynx scan\`: exact numbers, sets as arrays, binary as base64; --raw for DynamoDB JSON.

Exit codes: 0 found, 2 bad input (a KEY that does not fit the key schema), 3 no item with that key
(nothing on stdout, one line on stderr).`
  static override examples = [
    '<%= config.bin %> get users id=u1',
    '<%= config.bin %> get orders userId=u1,orderId=42 --attributes total,status',
    `<%= config.bin %> get orders '{"userId":"u1","orderId":42}' --consistent --format json`,
    '<%= config.bin %> get users u1 --raw   # a table with only a partition key',
  ]
  static override args = {
    table: Args.string({ description: 'Table name (the global --prefix is prepended).', required: true }),
    key: Args.string({ description: 'The primary key: pk=value,sk=value, or JSON.', required: true }),
  }
  static override flags = {
    consistent: Flags.boolean({ summary: 'Strongly consistent read (twice the read capacity).' }),
    attributes: Flags.string({ summary: 'Only these attributes, comma separated (reserved words escaped for you).' }),
    ...itemOutputFlags(),
  }

  public async run(): Promise<{ table: string; key: unknown; item: unknown; consumedCapacity: number }> {
    const f = this.flags
    const format = chooseFormat(f, this.loadedConfig?.config.defaults?.output)
    ScanOutput.validate({ format, raw: f.raw })
    const conn = await this.connect()
    const table = this.table(this.args.table)
    const result = await getItem(conn, { table, key: this.args.key, consistentRead: f.consistent, attributes: f.attributes?.split(',') })
    if (!result.item) throw new ItemNotFoundError(table, keyText(result.key))
    if (!this.jsonEnabled()) await writeItem(result.item, { format, raw: f.raw, keyNames: result.keySchema.map((k) => k.name) })
    return { table, key: itemJson(result.key, f.raw), item: itemJson(result.item, f.raw), consumedCapacity: result.consumedCapacity }
  }
}
