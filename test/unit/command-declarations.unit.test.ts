import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

import { DynxCommand, SIDE_FLAGS } from '../../src/cli/base.js'
import { REPO } from '../helpers.js'

// What a command writes or guards is declared on its class (writes, dryRunFlag, sides,
// sideEnvironments), and the base command reads its flags by the names declared there. These
// tests hold every declaration to the command's real flags, so renaming a flag (say `dry-run`)
// cannot silently switch off the protected-environment check or a side's overrides.

type Cmd = typeof DynxCommand & { flags?: Record<string, { type: string }> }

function commandFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? commandFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

const commands: Array<[string, Cmd]> = await Promise.all(
  commandFiles(join(REPO, 'commands')).map(async (file) => [relative(REPO, file), (await import(file)).default as Cmd] as [string, Cmd]),
)
const flagsOf = (c: Cmd) => ({ ...(c.flags ?? {}) }) as Record<string, { type: string }>

describe('static declarations of every command', () => {
  it('finds the commands', () => {
    expect(commands.length).toBeGreaterThan(20)
    for (const [file, c] of commands) expect(c.prototype instanceof DynxCommand, file).toBe(true)
  })

  it("a dryRunFlag names one of the command's boolean flags, and only a command that writes has one", () => {
    for (const [file, c] of commands) {
      if (c.dryRunFlag === undefined) continue
      expect(flagsOf(c)[c.dryRunFlag]?.type, `${file}: static dryRunFlag = '${c.dryRunFlag}'`).toBe('boolean')
      expect(c.writes, `${file} declares a dryRunFlag but writes nothing`).toBeDefined()
    }
  })

  it("a command that writes and has a dry-run (or apply's --check) declares it, so a dry run is never asked to confirm", () => {
    for (const [file, c] of commands) {
      if (!c.writes) continue
      const candidates = Object.keys(flagsOf(c)).filter((n) => n === 'dry-run' || n === 'check')
      expect(
        candidates.map(() => c.dryRunFlag),
        file,
      ).toEqual(candidates)
    }
    // The commands known to have one (a rename of their flag fails the test above).
    const declared = Object.fromEntries(commands.filter(([, c]) => c.dryRunFlag).map(([f, c]) => [f, c.dryRunFlag]))
    expect(declared).toEqual({
      'commands/apply.ts': 'check',
      'commands/backup/delete.ts': 'dry-run',
      'commands/backup/prune.ts': 'dry-run',
      'commands/copy.ts': 'dry-run',
      'commands/delete.ts': 'dry-run',
      'commands/load.ts': 'dry-run',
      'commands/pitr/disable.ts': 'dry-run',
      'commands/put.ts': 'dry-run',
      'commands/throughput/bump.ts': 'dry-run',
      'commands/truncate.ts': 'dry-run',
      'commands/update.ts': 'dry-run',
    })
  })

  it('the side flags a command has are exactly those of the sides it declares (static sides, sideEnvironments)', () => {
    for (const [file, c] of commands) {
      const flags = flagsOf(c)
      for (const side of ['source', 'target'] as const) {
        const { env, ...connection } = SIDE_FLAGS[side]
        for (const name of Object.values(connection)) expect(name in flags, `${file}: --${name} with static sides ${JSON.stringify(c.sides)}`).toBe(c.sides.includes(side))
        expect(env in flags, `${file}: --${env} with static sideEnvironments = ${c.sideEnvironments}`).toBe(c.sideEnvironments)
      }
    }
  })
})
