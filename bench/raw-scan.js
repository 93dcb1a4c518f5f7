// The raw-SDK floor: a plain ScanCommand loop per segment, all segments at once, that only counts items.
import { ScanCommand } from '@aws-sdk/client-dynamodb'

/** Items in `table`, read with `segments` parallel segments by the plainest correct loop over `client`. */
export async function rawScanCount(client, table, segments) {
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let count = 0
      let startKey
      do {
        const out = await client.send(new ScanCommand({ TableName: table, Segment: segment, TotalSegments: segments, ExclusiveStartKey: startKey }))
        count += out.Items?.length ?? 0
        startKey = out.LastEvaluatedKey
      } while (startKey)
      return count
    }),
  )
  return counts.reduce((a, b) => a + b, 0)
}
