import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import { DynxCommand } from '../src/cli/base.js'
import { progressFlag } from '../src/cli/progress.js'
import { renderScanStopped, scanProgressText } from '../src/cli/render.js'
import { parseExpressionNames, parseExpressionValues } from '../src/data/values.js'
import { UserInputError, partialResultOf } from '../src/errors.js'
import { countItems, parseSegmentRange, scanToOutput, type CountResult, type ScanRequest, type ScanResult } from '../src/scan/export.js'
import { SCAN_FORMATS, type ScanFormat } from '../src/scan/output.js'
import type { ScanProgress } from '../src/scan/parallel-scan.js'

const OUTPUT = 'OUTPUT'
const SELECT = 'SELECTION'
const SPEED = 'SPEED'

export default class Scan extends DynxCommand<typeof Scan> {
  static override summary = 'Read a whole table (or index) with a parallel segmented scan, to stdout or a file.'
  static override description = `Scans TABLE in --segments parallel segments and streams every item out as it arrives, with
memory bounded by --concurrency pages whatever the table's size. Numbers keep all their digits
(never rounded through a float), sets become arrays and binary becomes base64; --raw writes
DynamoDB JSON that writes back identically.

--output FILE is written as FILE.partial and renamed when the scan completes. With --checkpoint,
each segment's position is saved after its page is in the file, and re-running the same command
continues where it stopped (Ctrl-C, a crash or a kill), every item exactly once.

Exit codes: 0 done, 1 failed, 2 bad input (nothing written), 130 interrupted (progress saved).`
  static override examples = [
    '<%= config.bin %> scan users --local',
    '<%= config.bin %> scan users --segments 8 --output users.jsonl',
    '<%= config.bin %> scan users --attributes userId,name,status --format csv --output users.csv',
    `<%= config.bin %> scan orders --filter 'total > :min AND #s = :s' --names '{"#s":"status"}' --values '{":min":100,":s":"paid"}'`,
    '<%= config.bin %> scan users --index email-index --count',
    '<%= config.bin %> scan users --segments 64 --output users.jsonl --checkpoint users.ckpt --rcu-percent 25',
    '<%= config.bin %> scan users --segments 16 --segment-range 0-7 --output part1.jsonl   # machine 1 of 2',
  ]
  static override args = {
    table: Args.string({ description: 'Table name (the global --prefix is prepended). Default: defaults.table of dynx.config, else a pick list on a terminal.' }),
  }
  static override flags = {
    segments: Flags.integer({ summary: 'Parallel segments (TotalSegments). Default: one per 2 GB of table, at least 1.', helpGroup: SPEED }),
    concurrency: Flags.integer({ summary: 'Pages fetched at once (default: segments, at most 32); bounds memory.', helpGroup: SPEED }),
    'segment-range': Flags.string({ summary: 'Scan only segments FIRST-LAST (from 0) of --segments, to split one scan across machines.', helpGroup: SPEED }),
    'page-size': Flags.integer({ summary: "Items read per request (default: DynamoDB's 1 MB pages).", helpGroup: SPEED }),
    'max-rcu': Flags.integer({ summary: 'Read at most N capacity units per second.', helpGroup: SPEED, exclusive: ['rcu-percent'] }),
    'rcu-percent': Flags.integer({ summary: 'Read at most P% of the provisioned read capacity.', helpGroup: SPEED }),
    index: Flags.string({ summary: 'Scan this global or local secondary index.', helpGroup: SELECT }),
    filter: Flags.string({ summary: 'FilterExpression in DynamoDB syntax, e.g. "age > :min".', helpGroup: SELECT }),
    names: Flags.string({ summary: 'ExpressionAttributeNames as JSON, e.g. \'{"#s":"status"}\'.', helpGroup: SELECT }),
    values: Flags.string({ summary: 'ExpressionAttributeValues as plain JSON, e.g. \'{":min":10}\' (marshalled, numbers exact).', helpGroup: SELECT }),
    attributes: Flags.string({ summary: 'Only these attributes, comma separated (reserved words escaped for you).', helpGroup: SELECT }),
    consistent: Flags.boolean({ summary: 'Strongly consistent reads (twice the read capacity; not on GSIs).', helpGroup: SELECT }),
    limit: Flags.integer({ summary: 'Stop after N items.', helpGroup: SELECT }),
    count: Flags.boolean({ summary: 'Only count matching items (Select COUNT); per segment with --verbose.', helpGroup: SELECT }),
    format: Flags.string({
      summary: 'jsonl, json, csv or table (default: table on a terminal, else jsonl; from the extension of --output).',
      options: [...SCAN_FORMATS],
      helpGroup: OUTPUT,
    }),
    raw: Flags.boolean({ summary: 'DynamoDB JSON (AttributeValue maps) that writes back identically.', helpGroup: OUTPUT }),
    output: Flags.string({ char: 'o', summary: 'Write to FILE (via FILE.partial, renamed when complete).', helpGroup: OUTPUT }),
    checkpoint: Flags.string({ summary: "Save each segment's position to FILE; re-run the same command to continue.", helpGroup: OUTPUT }),
    progress: progressFlag(OUTPUT),
  }

  public async run(): Promise<ScanResult | CountResult> {
    const f = this.flags
    if (this.jsonEnabled() && !f.output && !f.count) {
      throw new UserInputError(
        "--json prints the scan's summary, so the items need somewhere else to go.",
        'Add --output FILE, or drop --json and use --format json for the items as JSON on stdout.',
      )
    }
    if (f.count) {
      const clash = (['output', 'format', 'raw', 'attributes', 'limit', 'checkpoint'] as const).filter((k) => f[k] !== undefined && f[k] !== false)
      if (clash.length)
        throw new UserInputError(
          `--count prints only counts, so ${clash.map((k) => `--${k}`).join(', ')} would do nothing.`,
          'Drop those flags, or drop --count to export the items.',
        )
    }
    const conn = await this.connect()
    this.tableName = await this.requireTable(this.args.table, () => this.connect())
    const request = this.request()
    const format = this.format()
    const signal = this.interruptSignal()
    // Items shown on the terminal are not mixed with a spinner (unless --progress asks for it).
    const live = f.progress || !(process.stdout.isTTY && process.stderr.isTTY && !f.output && !f.count)
    const progress = this.progress
    const started = performance.now()
    const onProgress = (p: ScanProgress & { estimatedItems?: number }) => {
      if (live) progress.update(scanProgressText(p, (performance.now() - started) / 1000, p.estimatedItems ?? 0))
    }

    if (f.count) {
      if (live) progress.stage('count', this.tableName)
      const result = await countItems(conn, { ...request, signal, onProgress })
      progress.stop()
      if (result.outcome === 'interrupted') this.logToStderr(`Interrupted; counted ${result.count} items so far. Run it again to count from the start.`)
      else if (!this.jsonEnabled()) {
        this.log(
          `${result.count} items${result.scannedCount !== result.count ? ` match (of ${result.scannedCount} scanned)` : ''} in ${this.tableName}${f.index ? ` index ${f.index}` : ''}`,
        )
        if (f.verbose) for (const s of result.segments) this.log(`  segment ${s.segment}: ${s.count} items (scanned ${s.scannedCount})`)
      }
      return result
    }

    if (live) progress.stage('scan', this.tableName)
    let result: ScanResult
    try {
      result = await scanToOutput(conn, {
        ...request,
        signal,
        format,
        raw: f.raw,
        output: f.output,
        limit: f.limit,
        checkpoint: f.checkpoint,
        onProgress,
        onStart: (s) => {
          if (!live) return
          // Without a terminal or --progress, a scan is silent unless it runs long (the heartbeat).
          if (f.checkpoint && progress.mode !== 'heartbeat')
            progress.info(`${s.resumed ? 'Resuming' : 'Checkpoint'}: ${f.checkpoint} (${s.segmentsToScan} of ${s.segments} segments to scan)`)
        },
      })
    } catch (err) {
      const partial = partialResultOf(err)
      if (partial && !this.jsonEnabled() && !this.endsQuietly(err)) process.stderr.write(`${renderScanStopped(partial)}\n`)
      throw err
    } finally {
      progress.stop()
    }
    if (result.outcome === 'interrupted') {
      // What to do next goes to stderr with the run's outcome; --json prints the result with outcome "interrupted".
      this.logToStderr(
        `Interrupted after ${result.items} items${f.output ? ` (kept in ${f.output}.partial)` : ''}. ${f.checkpoint ? `Progress is saved in ${f.checkpoint}; run the same command again to continue.` : 'Add --checkpoint FILE next time to be able to continue an interrupted scan.'}`,
      )
    } else if (!this.jsonEnabled() && (f.output || (live && progress.mode !== 'heartbeat'))) {
      const line = `${f.output ? `Wrote ${result.items} items to ${f.output}` : `${result.items} items`} (${result.format}${f.raw ? ', raw' : ''}, ${result.segments} segments, ${result.seconds.toFixed(1)} s${result.resumed ? ', resumed' : ''})`
      if (f.output) this.log(line)
      else process.stderr.write(`${line}\n`)
    }
    return result
  }

  private tableName = ''

  private request(): ScanRequest {
    const f = this.flags
    return {
      table: this.tableName,
      index: f.index,
      segments: f.segments,
      concurrency: f.concurrency,
      segmentRange: f['segment-range'] ? parseSegmentRange(f['segment-range']) : undefined,
      filter: f.filter,
      names: f.names ? parseExpressionNames(f.names) : undefined,
      values: f.values ? parseExpressionValues(f.values) : undefined,
      attributes: f.attributes?.split(','),
      consistentRead: f.consistent,
      pageLimit: f['page-size'],
      maxRcu: f['max-rcu'],
      rcuPercent: f['rcu-percent'],
    }
  }

  private format(): ScanFormat {
    const f = this.flags
    if (f.format) return f.format as ScanFormat
    if (f.output)
      return /\.csv$/i.test(f.output) ? 'csv' : /\.json$/i.test(f.output) ? 'json' : /\.jsonl$/i.test(f.output) ? 'jsonl' : (this.loadedConfig?.config.defaults?.output ?? 'jsonl')
    return this.loadedConfig?.config.defaults?.output ?? (process.stdout.isTTY && !f.raw ? 'table' : 'jsonl')
  }
}
