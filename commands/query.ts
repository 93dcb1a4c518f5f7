import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { chooseFormat, itemOutputFlags } from '../src/cli/items-render.js'
import { parseExpressionNames, parseExpressionValues } from '../src/data/values.js'
import { UserInputError } from '../src/errors.js'
import { queryToOutput, type QueryResult } from '../src/items/query.js'

const SELECT = 'SELECTION'
const OUTPUT = 'OUTPUT'

export default class Query extends DynxCommand<typeof Query> {
  static override summary = 'Read the items of one partition (of the table or an index), every page, to stdout or a file.'
  static override description = `--key is a KeyConditionExpression: the partition key with =, and optionally one condition on the
sort key (=, <, <=, >, >=, BETWEEN, begins_with). Pages are written as they arrive (memory holds one
page), in the formats and with the exact numbers of \`dynx scan\`. An expression DynamoDB rejects is
reported before anything is written.

Exit codes: 0 done, 1 failed, 2 bad input (nothing written), 130 interrupted.`
  static override examples = [
    `<%= config.bin %> query orders --key 'userId = :u' --values '{":u":"u1"}'`,
    `<%= config.bin %> query orders --key 'userId = :u AND orderId > :from' --values '{":u":"u1",":from":100}' --reverse --limit 10`,
    `<%= config.bin %> query users --index email-index --key 'email = :e' --values '{":e":"ann@example.com"}'`,
    `<%= config.bin %> query orders --key 'userId = :u' --filter '#s = :s' --names '{"#s":"status"}' --values '{":u":"u1",":s":"paid"}' --format csv -o paid.csv`,
  ]
  static override args = {
    table: Args.string({ description: 'Table name (the global --prefix is prepended).', required: true }),
  }
  static override flags = {
    key: Flags.string({ summary: "KeyConditionExpression, e.g. 'pk = :pk AND begins_with(sk, :p)'.", required: true, helpGroup: SELECT }),
    values: Flags.string({ summary: 'ExpressionAttributeValues as plain JSON, e.g. \'{":pk":"u1"}\' (marshalled, numbers exact).', helpGroup: SELECT }),
    names: Flags.string({ summary: 'ExpressionAttributeNames as JSON, e.g. \'{"#s":"status"}\'.', helpGroup: SELECT }),
    index: Flags.string({ summary: 'Query this global or local secondary index.', helpGroup: SELECT }),
    filter: Flags.string({ summary: 'FilterExpression, applied after the key condition.', helpGroup: SELECT }),
    attributes: Flags.string({ summary: 'Only these attributes, comma separated (reserved words escaped for you).', helpGroup: SELECT }),
    limit: Flags.integer({ summary: 'Stop after N items.', helpGroup: SELECT }),
    reverse: Flags.boolean({ summary: 'Descending sort key order.', helpGroup: SELECT }),
    consistent: Flags.boolean({ summary: 'Strongly consistent reads (twice the read capacity; not on GSIs).', helpGroup: SELECT }),
    'page-size': Flags.integer({ summary: "Items read per request (default: DynamoDB's 1 MB pages).", helpGroup: SELECT }),
    ...itemOutputFlags(OUTPUT),
    output: Flags.string({ char: 'o', summary: 'Write to FILE (via FILE.partial, renamed when complete).', helpGroup: OUTPUT }),
  }

  public async run(): Promise<QueryResult> {
    const f = this.flags
    if (this.jsonEnabled() && !f.output)
      throw new UserInputError(
        "--json prints the query's summary, so the items need somewhere else to go.",
        'Add --output FILE, or drop --json and use --format json for the items as JSON on stdout.',
      )
    const conn = await this.connect()
    const table = this.table(this.args.table)
    const result = await queryToOutput(conn, {
      table,
      index: f.index,
      key: f.key,
      filter: f.filter,
      names: f.names ? parseExpressionNames(f.names) : undefined,
      values: f.values ? parseExpressionValues(f.values) : undefined,
      attributes: f.attributes?.split(','),
      consistentRead: f.consistent,
      reverse: f.reverse,
      limit: f.limit,
      pageLimit: f['page-size'],
      format: chooseFormat(f, this.loadedConfig?.config.defaults?.output),
      raw: f.raw,
      output: f.output,
      signal: this.interruptSignal(),
    })
    const line = `${f.output ? `Wrote ${result.items} items to ${f.output}` : `${result.items} items`} (${result.format}${f.raw ? ', raw' : ''}, ${result.pages} pages, ${result.seconds.toFixed(1)} s)`
    if (result.outcome === 'interrupted') this.logToStderr(`Interrupted after ${result.items} items${f.output ? ` (kept in ${f.output}.partial)` : ''}.`)
    else if (f.output && !this.jsonEnabled()) this.log(line)
    else if (process.stdout.isTTY && !this.jsonEnabled()) process.stderr.write(`${line}\n`)
    return result
  }
}
