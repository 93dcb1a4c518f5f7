import { readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Command } from '@oclif/core'
import { describe, expect, it } from 'vitest'

import { REPO } from '../helpers.js'

/**
 * The command surface — every command, its flags and its arguments — as users and scripts depend
 * on it, built from the command classes themselves (no build needed) and compared with
 * test/snapshots/command-surface.json. A flag renamed, a default changed or a command removed
 * fails this test until the snapshot is updated on purpose: `npm run surface:update`.
 */

type FlagDef = {
  type: 'boolean' | 'option'
  char?: string
  default?: unknown
  required?: boolean
  multiple?: boolean
  options?: readonly string[]
  allowNo?: boolean
  env?: string
}
type ArgDef = { required?: boolean; default?: unknown; options?: readonly string[] }

function commandFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? commandFiles(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []))
    .sort()
}

/** A default as the help shows it: a value, or "(computed)" when a function supplies it at run time. */
const defaultOf = (d: unknown) => (typeof d === 'function' ? '(computed)' : d)

/** Only what a caller can see and rely on; undefined and false fields are left out. */
function flagSurface(f: FlagDef) {
  return Object.fromEntries(
    Object.entries({
      type: f.type,
      char: f.char,
      default: defaultOf(f.default),
      required: f.required,
      multiple: f.multiple,
      options: f.options ? [...f.options] : undefined,
      allowNo: f.allowNo,
      env: f.env,
    }).filter(([, v]) => v !== undefined && v !== false),
  )
}

function argSurface(a: ArgDef) {
  return Object.fromEntries(
    Object.entries({ required: a.required, default: defaultOf(a.default), options: a.options ? [...a.options] : undefined }).filter(([, v]) => v !== undefined && v !== false),
  )
}

const sortedEntries = <T>(o: Record<string, T>) => Object.entries(o).sort(([a], [b]) => a.localeCompare(b))

async function commandSurface() {
  const root = join(REPO, 'commands')
  const commands: Record<string, unknown> = {}
  for (const file of commandFiles(root)) {
    const id = relative(root, file).replace(/\.ts$/, '').split(sep).join(' ')
    const C = (await import(pathToFileURL(file).href)).default as Command.Class & {
      baseFlags?: Record<string, FlagDef>
      flags?: Record<string, FlagDef>
      args?: Record<string, ArgDef>
      enableJsonFlag?: boolean
      strict?: boolean
    }
    const flags: Record<string, FlagDef> = { ...(C.baseFlags ?? {}), ...(C.flags ?? {}), ...(C.enableJsonFlag ? { json: { type: 'boolean' } } : {}) }
    commands[id] = {
      args: Object.fromEntries(Object.entries(C.args ?? {}).map(([name, a]) => [name, argSurface(a)])),
      ...(C.strict === false ? { variadic: true } : {}),
      flags: Object.fromEntries(sortedEntries(flags).map(([name, f]) => [name, flagSurface(f)])),
    }
  }
  return commands
}

describe('command surface', () => {
  it('matches test/snapshots/command-surface.json (update on purpose: npm run surface:update)', async () => {
    const surface = await commandSurface()
    expect(Object.keys(surface).length).toBeGreaterThan(20)
    await expect(`${JSON.stringify(surface, null, 2)}\n`).toMatchFileSnapshot('../snapshots/command-surface.json')
  })
})
