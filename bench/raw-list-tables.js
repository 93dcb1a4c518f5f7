// The start-up floor: a plain Node script that imports @aws-sdk/client-dynamodb and lists the
// tables at ENDPOINT (credentials and region from the environment), one name a line.
// node bench/raw-list-tables.js ENDPOINT
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'

const [endpoint] = process.argv.slice(2)
if (!endpoint) throw new Error('usage: raw-list-tables.js ENDPOINT')
const client = new DynamoDBClient({ endpoint })
try {
  let start
  do {
    const out = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }))
    for (const name of out.TableNames ?? []) process.stdout.write(`${name}\n`)
    start = out.LastEvaluatedTableName
  } while (start)
} finally {
  client.destroy()
}
