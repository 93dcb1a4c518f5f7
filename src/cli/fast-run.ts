/**
 * What bin/run.js and bin/dev.js run: oclif's `execute`, with a shorter way in for a command.
 * When argv names a command of the manifest and asks for no help, the command is run here as
 * oclif's main.js runs it (init hook, runCommand, finally hook, then flush, and oclif's own error
 * handler on failure, loaded only then), without main.js and execute, and with the command's
 * module imported while oclif loads its config. (oclif's help renderer still loads: its errors
 * module, which its config needs, imports it.) Everything else (help, --version, topics, unknown
 * commands, `dynx` alone, DEBUG output) goes through `execute` unchanged.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Config } from '@oclif/core/config'

import { commonJs } from '../commonjs.js'

export interface RunOptions {
  /** `import.meta.url` of the bin script. */
  dir: string
  /** bin/dev.js: TypeScript sources, as oclif's `execute({ development: true })`. */
  development?: boolean
}

/** The command id and its argv, found in argv as oclif's normalizeArgv finds it (topicSeparator ' '). */
export function findCommandId(
  argv: string[],
  config: Pick<Config, 'commandIDs' | 'topicSeparator'> & { findCommand(id: string): { strict?: boolean; args?: object } | undefined },
): { id: string; argv: string[] } | undefined {
  if (argv.length === 0) return undefined
  if (config.topicSeparator !== ' ' || argv[0].includes(':') || argv.length === 1) return { id: argv[0], argv: argv.slice(1) }
  // oclif's collateSpacedCmdIDFromArgs (help/util.js), which is not among its package's exports.
  const usable = new Set(config.commandIDs.flatMap((id) => id.split(':').map((_, i, parts) => parts.slice(0, i + 1).join(':'))))
  const words: string[] = []
  const idWith = (word?: string) => (word ? [...words, word] : words).filter(Boolean).join(':')
  const takesArgs = () => {
    const id = idWith()
    const cmd = id ? config.findCommand(id) : undefined
    return Boolean(cmd && (cmd.strict === false || Object.keys(cmd.args ?? {}).length > 0))
  }
  for (const arg of argv) {
    if (usable.has(idWith(arg))) words.push(arg)
    else if (arg.includes('=') || arg.startsWith('-') || takesArgs()) break
    else words.push(arg)
  }
  const id = idWith()
  return id ? { id, argv: argv.slice(id.split(':').length) } : { id: argv[0], argv: argv.slice(1) }
}

/** oclif's helpAddition and versionAddition (main.js), for argv that starts with a word. */
function asksForHelpOrVersion(argv: string[], config: Config): boolean {
  const oclif = config.pjson.oclif
  if (new Set(['--version', ...(oclif.additionalVersionFlags ?? [])]).has(argv[0])) return true
  const help = new Set(['--help', ...(oclif.additionalHelpFlags ?? [])])
  for (const arg of argv) {
    if (help.has(arg)) return true
    if (arg === '--') return false
  }
  return false
}

async function oclifExecute(args: string[], options: RunOptions, loaded?: Config): Promise<unknown> {
  const { execute } = commonJs(await import('@oclif/core/execute'))
  return execute({ args, development: options.development, ...(loaded ? { loadOptions: loaded } : { dir: options.dir }) })
}

async function handle(error: Error): Promise<void> {
  const { handle } = commonJs(await import('@oclif/core/handle'))
  return handle(error)
}

/**
 * Starts importing the command's module (and with it the AWS SDK) from the manifest next to bin/,
 * while oclif loads its config: each waits on files while the other compiles. Only a head start:
 * oclif imports the same module (same URL, loaded once) and reports its errors as usual.
 */
function preloadCommand(args: string[], dir: string): void {
  try {
    const root = dirname(dirname(fileURLToPath(dir)))
    const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, { strict?: boolean; args?: object; isESM?: boolean; relativePath?: string[] }>
    }
    const { commands } = manifest
    const found = findCommandId(args, { commandIDs: Object.keys(commands), topicSeparator: ' ', findCommand: (id) => commands[id] })
    const cmd = found && Object.hasOwn(commands, found.id) ? commands[found.id] : undefined
    if (cmd?.isESM && cmd.relativePath) import(pathToFileURL(join(root, ...cmd.relativePath)).href).catch(() => undefined)
  } catch {
    // No manifest (or not one to read): oclif finds and loads the command itself.
  }
}

export async function run(args: string[], options: RunOptions): Promise<unknown> {
  // Only a word can name a command; DEBUG asks for main.js's own debug and timing output.
  if (args.length === 0 || args[0].startsWith('-') || process.env.DEBUG) return oclifExecute(args, options)
  // Not for help, which needs no command module (a help flag after `--` only costs the head start).
  if (!options.development && !args.includes('--help')) preloadCommand(args, options.dir)
  if (options.development) {
    // What execute does for development before it loads the config.
    process.env.NODE_ENV = 'development'
    const { settings } = commonJs(await import('@oclif/core/settings'))
    settings.debug = true
  }
  let config: Config
  try {
    const { Config } = commonJs(await import('@oclif/core/config'))
    config = await Config.load(fileURLToPath(options.dir))
  } catch (error) {
    return handle(error as Error)
  }
  const found = config.isSingleCommandCLI || asksForHelpOrVersion(args, config) ? undefined : findCommandId(args, config)
  const cmd = found && config.findCommand(found.id)
  // Help, a topic, a command not found: oclif's own path, with the config already loaded.
  if (!found || !cmd) return oclifExecute(args, options, config)

  const { id, argv } = found
  try {
    await config.runHook('init', { argv, id })
    let err: Error | undefined
    let result: unknown
    try {
      // oclif's Command.run puts the config in oclif's cache before it parses, as main.js does:
      // oclif's error handler finds it there to print the usage after a parse error.
      result = await config.runCommand(id, argv, cmd)
    } catch (error) {
      err = error as Error
      throw error
    } finally {
      await config.runHook('finally', { argv, Command: cmd, error: err, id })
    }
    const { flush } = commonJs(await import('@oclif/core/flush'))
    // Not awaited, as in execute.
    void flush()
    return result
  } catch (error) {
    return handle(error as Error)
  }
}
