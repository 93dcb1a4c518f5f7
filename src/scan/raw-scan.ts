import { ScanCommand, type ScanCommandInput, type ScanCommandOutput } from '@aws-sdk/client-dynamodb'
import type { DeserializeHandler, DeserializeHandlerArguments, HttpResponse } from '@smithy/types'
import { Readable } from 'node:stream'

import { binaryFromBase64, type Item } from '../data/values.js'

/**
 * A Scan whose items skip the SDK's generic deserializer. DynamoDB's JSON already is the
 * AttributeValue shape, so after one JSON.parse only binary (base64 on the wire, Uint8Array in the
 * SDK) needs converting. This middleware sits just inside the SDK's deserializer: it takes the
 * Items out of a successful response and hands the SDK the rest (counts, LastEvaluatedKey,
 * consumed capacity) to parse as usual. Errors are left to the SDK untouched. It roughly halves
 * the client's CPU and garbage per page, which is most of what a scan costs on the client.
 * With `wire`, binary stays base64 text: the items are then exactly DynamoDB's JSON (WireItem).
 */
export function rawItemsScan(input: ScanCommandInput, wire = false): { command: ScanCommand; items: () => Item[] | undefined } {
  const command = new ScanCommand(input)
  let items: Item[] | undefined
  command.middlewareStack.add(
    (next: DeserializeHandler<ScanCommandInput, ScanCommandOutput>) => async (args: DeserializeHandlerArguments<ScanCommandInput>) => {
      const result = await next(args)
      const response = result.response as HttpResponse
      if (response.statusCode !== 200 || !response.body) return result
      const chunks: Buffer[] = []
      for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk)
      const body = Buffer.concat(chunks)
      const parsed = JSON.parse(body.toString('utf8')) as { Items?: Item[] } & Record<string, unknown>
      items = parsed.Items ?? []
      // `"B` finds every binary value (and, harmlessly, names starting with B): only then walk the items.
      if (!wire && body.includes('"B')) for (const item of items) reviveBinary(item)
      delete parsed.Items
      response.body = Readable.from([Buffer.from(JSON.stringify(parsed))])
      delete response.headers['content-length']
      return result
    },
    { step: 'deserialize', priority: 'low', name: 'dynxRawScanItems' },
  )
  return { command, items: () => items }
}

function reviveBinary(item: Record<string, unknown>): void {
  for (const k in item) reviveValue(item[k] as Record<string, unknown>)
}

function reviveValue(v: Record<string, unknown>): void {
  if (typeof v.B === 'string') v.B = binaryFromBase64(v.B)
  else if (Array.isArray(v.BS)) v.BS = (v.BS as string[]).map(binaryFromBase64)
  else if (v.M) reviveBinary(v.M as Record<string, unknown>)
  else if (Array.isArray(v.L)) for (const x of v.L as Record<string, unknown>[]) reviveValue(x)
}
