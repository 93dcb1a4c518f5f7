import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

import type { WireItem } from '../data/values.js'

export interface DeadLetter {
  /** The table the item was meant for. */
  table: string
  /** The source table it was read from. */
  source: string
  reason: string
  /** The item as DynamoDB JSON (binary as base64), ready to be written again. */
  item: WireItem
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
