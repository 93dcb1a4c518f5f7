/**
 * oclif finds the command in the first words of argv, but operators write global flags first:
 * `dynx --prefix staging_ tables describe users`. Leading global flags are moved after the
 * command (before any `--` pass-through), where oclif parses them as usual.
 */
const GLOBAL_WITH_VALUE = new Set(['--region', '--profile', '--endpoint', '--prefix', '--timeout', '--retry-for'])
const GLOBAL_BOOLEAN = new Set(['--local', '--json', '--yes', '-y', '--verbose'])

export function moveLeadingGlobalFlags(argv: string[]): string[] {
  const globals: string[] = []
  let i = 0
  while (i < argv.length) {
    const token = argv[i]
    const name = token.split('=')[0]
    if (GLOBAL_BOOLEAN.has(token)) {
      globals.push(token)
      i += 1
    } else if (GLOBAL_WITH_VALUE.has(name)) {
      if (token.includes('=')) {
        globals.push(token)
        i += 1
      } else {
        globals.push(token, ...argv.slice(i + 1, i + 2))
        i += 2
      }
    } else break
  }
  if (globals.length === 0) return argv
  const rest = argv.slice(i)
  const dashDash = rest.indexOf('--')
  return dashDash === -1 ? [...rest, ...globals] : [...rest.slice(0, dashDash), ...globals, ...rest.slice(dashDash)]
}
