import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { keyText, renderPut } from '../src/cli/items-render.js'
import { UserInputError } from '../src/errors.js'
import { parseItemJson, putItem, readItemFile, type PutItemResult } from '../src/items/put.js'

export default class Put extends DynxCommand<typeof Put> {
  static override writes = 'main' as const
  static override dryRunFlag = 'dry-run'
  static override summary = 'Write one item (replacing any item with the same key, or only if none exists).'
  static override description = `ITEM is one JSON object, plain ('{"id":"u1","n":5}', numbers keep every digit) or DynamoDB JSON
('{"id":{"S":"u1"}}', as \`scan --raw\` writes it; detected when every attribute is {"TYPE": value},
or forced with --raw / --plain). --file reads the object from a file (- for stdin). For many items use
\`dynx load\`.

--if-not-exists writes only when no item has the key; an existing item is left unchanged, and that is
success (exit 0, "Not written" on stdout, "written": false under --json), as for \`create --if-not-exists\`.

Exit codes: 0 written (or left as it was with --if-not-exists), 1 failed, 2 bad input (nothing written).`
  static override examples = [
    `<%= config.bin %> put users '{"id":"u1","name":"Ann","balance":12345678901234567890.25}'`,
    `<%= config.bin %> put users '{"id":{"S":"u2"},"tags":{"SS":["a","b"]}}'`,
    '<%= config.bin %> put users --file admin.json --if-not-exists',
    `<%= config.bin %> put users '{"id":"u1"}' --dry-run`,
  ]
  static override args = {
    table: Args.string({ description: 'Table name (the global --prefix is prepended).', required: true }),
    item: Args.string({ description: 'The item as one JSON object (or use --file).' }),
  }
  static override flags = {
    file: Flags.string({ char: 'f', summary: 'Read the item (one JSON object) from FILE; - for stdin.' }),
    'if-not-exists': Flags.boolean({ summary: 'Write only when no item has this key; an existing one is left unchanged.' }),
    raw: Flags.boolean({ summary: 'ITEM is DynamoDB JSON.', exclusive: ['plain'] }),
    plain: Flags.boolean({ summary: 'ITEM is plain JSON, even if it looks like DynamoDB JSON.', exclusive: ['raw'] }),
    'dry-run': Flags.boolean({ summary: 'Check the item against the table and show it as it would be written; write nothing.' }),
  }

  public async run(): Promise<Omit<PutItemResult, 'key' | 'keySchema'> & { key: unknown }> {
    const f = this.flags
    if ((this.args.item === undefined) === (f.file === undefined))
      throw new UserInputError('Give the item as ITEM or with --file, one of the two.', `For example: dynx put ${this.args.table} '{"id":"u1","n":5}'`)
    const text = f.file ? readItemFile(f.file) : this.args.item!
    const { item } = parseItemJson(text, { encoding: f.raw ? 'raw' : f.plain ? 'plain' : undefined, source: f.file ? `--file ${f.file}` : 'ITEM' })
    const conn = await this.connect()
    const result = await putItem(conn, { table: this.table(this.args.table), item, ifNotExists: f['if-not-exists'], dryRun: f['dry-run'] })
    if (!this.jsonEnabled()) this.log(renderPut(result, item))
    const { keySchema: _schema, ...rest } = result
    return { ...rest, key: JSON.parse(keyText(result.key)) }
  }
}
