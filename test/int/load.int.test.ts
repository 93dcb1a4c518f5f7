import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

import { createTable } from '../../src/tables/create.js'
import { loadTable, type LoadProgress } from '../../src/load/load-table.js'
import { resolveSources } from '../../src/load/sources.js'
import { engineList } from '../setup/engines.js'
import { connect, tempDir, uniqueName } from '../helpers.js'
import { allItems } from '../scan-fixtures.js'

// loadTable (the library under `dynx load`) against real engines: byte ranges of one file loaded in
// parallel, stopped half way and resumed, with line numbers that match the file.

const ENGINES = engineList().filter(([name]) => name === 'dynalite' || name === 'dynamodb-local')
const LINES = 6000
const BAD = [777, 3001, 5999]

describe.each(ENGINES)('loadTable on %s', (engine, endpoint) => {
  const conn = connect(endpoint)
  const dir = tempDir('dynx-load-int-')
  afterAll(() => conn.destroy())

  const file = join(dir, 'ranges.jsonl')
  const lines = Array.from({ length: LINES }, (_, i) => (BAD.includes(i + 1) ? `{"broken line ${i + 1}` : JSON.stringify({ id: `k${i}`, n: i, pad: 'p'.repeat(i % 200) })))
  writeFileSync(file, `${lines.join('\n')}\n`)

  it('a file read as 4 byte ranges, stopped by the signal half way, then resumed: every good line once, bad ones dead-lettered with their own line numbers', async () => {
    const table = uniqueName('loadranges')
    await createTable(conn, { name: table, hashKey: { name: 'id', type: 'S' } }, { wait: true })
    const sources = await resolveSources([file])
    const checkpoint = join(dir, `${table}.ckpt.json`)
    const deadLetter = join(dir, `${table}.dead.jsonl`)
    const options = { parallel: 4, rangeBytes: 1000, writeConcurrency: 2, checkpoint, deadLetter }
    const stop = new AbortController()
    const first = await loadTable(conn, table, sources, {
      ...options,
      // A write budget of some seconds for the whole file, so the stop lands in the middle.
      maxWcu: 1500,
      signal: stop.signal,
      onProgress: (p: LoadProgress) => {
        if (p.loaded >= LINES / 3) stop.abort()
      },
    })
    expect(first).toMatchObject({ complete: false, outcome: 'interrupted', checkpoint })
    const parts = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { parts: { start: number; startLine: number }[] }).parts
    expect(parts.map((p) => p.startLine)).toHaveLength(4)
    expect(parts[0].start).toBe(0)
    // Each range starts just after a newline, with the count of lines before it.
    const text = readFileSync(file, 'utf8')
    for (const p of parts) expect(text.slice(0, p.start).split('\n').length - 1).toBe(p.startLine)

    const second = await loadTable(conn, table, sources, options)
    expect(second).toMatchObject({ complete: true, resumed: true, loaded: LINES - BAD.length, deadLettered: BAD.length, outcome: 'partial' })
    const ids = (await allItems(conn, table)).map((i) => i.id.S).sort()
    expect(ids).toEqual(
      lines
        .map((_, i) => (BAD.includes(i + 1) ? undefined : `k${i}`))
        .filter(Boolean)
        .sort(),
    )
    const dead = readFileSync(deadLetter, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; text: string })
    expect(dead.map((d) => d.line).sort((a, b) => a - b)).toEqual(BAD)
    for (const d of dead) expect(d.text).toBe(`{"broken line ${d.line}`)
  })
})
