/**
 * oclif finds the command in the first words of argv, but operators write global flags first:
 * `dynx --prefix staging_ tables describe users`. Leading global flags are moved after the
 * command (before any `--` pass-through), where oclif parses them as usual.
 * Imports only the plain flag declarations: bin/run.js reads this before anything else.
 */
import { ALL_GLOBAL_FLAGS, type GlobalFlagSpec } from './global-flags.js'

/** The spellings of the global flags: `--name` for each, and `-c` for those with a char. */
function spellings(wantsValue: (spec: GlobalFlagSpec) => boolean): Set<string> {
  const names = new Set<string>()
  for (const [name, spec] of Object.entries(ALL_GLOBAL_FLAGS)) {
    if (!wantsValue(spec)) continue
    names.add(`--${name}`)
    if (spec.char) names.add(`-${spec.char}`)
  }
  return names
}

/** Global flags followed by a value (`--env staging` or `--env=staging`). */
export const GLOBAL_WITH_VALUE = spellings((spec) => spec.kind !== 'boolean')
/** Global flags that stand alone (`--local`, `-y`). */
export const GLOBAL_BOOLEAN = spellings((spec) => spec.kind === 'boolean')

export function moveLeadingGlobalFlags(argv: string[]): string[] {
  const globals: string[] = []
  let i = 0
  while (i < argv.length) {
    const token = argv[i]
    const eq = token.indexOf('=')
    const name = token.startsWith('--') && eq > 2 ? token.slice(0, eq) : token
    if (GLOBAL_BOOLEAN.has(token)) {
      globals.push(token)
      i += 1
    } else if (GLOBAL_WITH_VALUE.has(name) && name !== token) {
      globals.push(token)
      i += 1
    } else if (GLOBAL_WITH_VALUE.has(token) && i + 1 < argv.length) {
      globals.push(token, argv[i + 1])
      i += 2
    } else break
  }
  // Nothing moved, or nothing left to be the command: oclif says what is wrong.
  if (globals.length === 0 || i === argv.length) return argv
  const rest = argv.slice(i)
  const dashDash = rest.indexOf('--')
  return dashDash === -1 ? [...rest, ...globals] : [...rest.slice(0, dashDash), ...globals, ...rest.slice(dashDash)]
}
