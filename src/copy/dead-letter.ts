import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

import type { WireItem } from '../data/values.js'

export interface DeadLetter {
  /** The table the item was meant for. */
  table: string
  /** The source it was read from: a table, or a file (then with the line). */
  source: string
  /** The line of the source file where the record starts. */
  line?: number
  reason: string
  /** The item as DynamoDB JSON (binary as base64), ready to be written again. */
  item?: WireItem
  /** A record that is not an item: its text as read. */
  text?: string
}

/**
 * Items that could not be written, one JSON object per line. The file is created with the first
 * record, and each record is appended synchronously, so what was reported is on disk even if the
 * process is killed a moment later.
 */
export class DeadLetterFile {
  count = 0
  private created = false

  constructor(readonly path: string) {}

  /** The file's length now (0 before the first record). */
  size(): number {
    return existsSync(this.path) ? statSync(this.path).size : 0
  }

  add(records: DeadLetter[]): void {
    if (!records.length) return
    if (!this.created) {
      mkdirSync(dirname(this.path), { recursive: true })
      this.created = true
    }
    appendFileSync(this.path, records.map((r) => `${JSON.stringify({ at: new Date().toISOString(), ...r })}\n`).join(''))
    this.count += records.length
  }
}
