// oclif's entry points one by one: its index loads help, ux and more that a command never uses.
import { Command } from '@oclif/core/command'
import * as Errors from '@oclif/core/errors'

import type * as Interfaces from '@oclif/core/interfaces'

import { createConnection, redactEndpoint, type Connection, type ConnectionOptions } from '../connection/clients.js'
import { withPrefix } from '../connection/names.js'
import { listTableNames } from '../tables/describe.js'
import { DynxError, ExitCode, UserInputError, partialResultOf, toDynxError } from '../errors.js'
import { defaultFlagValues, loadConfig, type GivenConnection, type LoadedConfig, type ResolvedConnection } from '../config/config.js'
import {
  recordedConnection,
  resolveCommandConnections,
  sameAccountAndRegion,
  type CommandConnections,
  type ConnectionChoice,
  type Side,
  type SideOverrides,
} from '../config/connections.js'
import { LOCAL_CREDENTIALS, LOCAL_ENGINE_LACKS, LOCAL_REGION, defaultLocalPath, startLocalEngine, type LocalEngine } from '../local/engine.js'
import { OUTCOME_EXIT_CODES, type Outcome } from '../outcome.js'
import { confirmAction } from './confirm.js'
import { Interrupts } from './interrupts.js'
import type { PickIo } from './pick-table.js'
import { createProgress, type Progress } from './progress.js'
import { GLOBAL_FLAGS, type GlobalFlagName } from './global-flags.js'
import { SIDE_FLAGS, oclifFlags } from './command-flags.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof DynxCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

export { SIDE_FLAGS, environmentSideFlags, sourceConnectionFlags, targetConnectionFlags } from './command-flags.js'
export { sameAccountAndRegion }
export type { ConnectionChoice, SideOverrides as SideConnection }

/** The global flags that choose the main connection (typed against the declaration, so a rename is a compile error). */
const CONNECTION_FLAGS: readonly GlobalFlagName[] = ['endpoint', 'region', 'profile', 'local', 'env']

/**
 * Owns the global flags, builds clients once (starting the embedded engine for --local), maps
 * every error to a message and a documented exit code, and cleans up in finally.
 */
export abstract class DynxCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = oclifFlags(GLOBAL_FLAGS)

  /**
   * Which connection this command writes through, for the protected-environment check: the main
   * one, the target side (copy), or none (read-only commands, and backups, which change no table).
   */
  static writes: 'main' | 'target' | undefined = undefined

  /**
   * The boolean flag that makes a run write nothing (`dry-run`, apply's `check`): set, the
   * protected-environment check lets the run through. Must name one of the command's flags (a
   * unit test checks every command), so renaming the flag cannot switch the check off unnoticed.
   */
  static dryRunFlag: string | undefined = undefined

  /** The sides whose --source-* / --target-* flags (sourceConnectionFlags(), targetConnectionFlags()) the command has. */
  static sides: readonly Side[] = []

  /** Whether the command has --from-env / --to-env (environmentSideFlags()). */
  static sideEnvironments = false

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  protected progress!: Progress
  /** Positional arguments in command-line order, those after a literal `--` included (for strict: false commands). */
  protected positionals: string[] = []
  /** Flags given on the command line (not from an environment variable or a default). */
  private givenFlags = new Set<string>()
  private connections: Connection[] = []
  private engine?: LocalEngine
  /** dynx.config, when there is one. */
  protected loadedConfig?: LoadedConfig
  /** The main connection's settings after precedence (flag > --env > defaults > AWS). */
  protected resolved!: ResolvedConnection
  /** The main connection and both sides, resolved once in init(). */
  private resolvedConnections!: CommandConnections
  private guarded = new Set<string>()

  public override async init(): Promise<void> {
    await super.init()
    const { args, flags, raw } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof DynxCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    for (const token of raw) {
      if (token.type === 'arg') this.positionals.push(token.input)
      else this.givenFlags.add(token.flag)
    }
    process.stdout.on('error', this.noteStdoutClosed)
    this.progress = createProgress({ quiet: this.jsonEnabled(), forced: (this.flags as { progress?: boolean }).progress, verbose: this.flags.verbose })
    this.loadedConfig = await loadConfig({ file: this.flags.config })
    this.resolvedConnections = resolveCommandConnections(this.connectionInput(), this.loadedConfig)
    this.resolved = this.resolvedConnections.main.resolved
    // The rest of the command reads the resolved prefix, and defaults.segments/output, through its flags.
    const mutable = this.flags as Record<string, unknown>
    if (!this.givenFlags.has('prefix')) mutable.prefix = this.resolved.prefix.value ?? ''
    for (const [name, value] of Object.entries(defaultFlagValues(this.loadedConfig))) {
      if (name in (this.ctor.flags ?? {}) && !this.givenFlags.has(name)) mutable[name] = value
    }
    this.checkConfirmEnv()
  }

  /** The connection flags as typed on the command line (AWS_PROFILE and flag defaults do not count). */
  private givenConnection(): GivenConnection {
    const f = this.flags
    const given = (name: string) => this.givenFlags.has(name)
    return {
      ...(given('region') ? { region: f.region } : {}),
      ...(given('profile') ? { profile: f.profile } : {}),
      ...(given('endpoint') ? { endpoint: f.endpoint } : {}),
      ...(given('local') && f.local ? { local: true } : {}),
      ...(given('prefix') ? { prefix: f.prefix } : {}),
    }
  }

  private get ctorStatics(): typeof DynxCommand {
    return this.ctor as unknown as typeof DynxCommand
  }

  /** A flag of this command by a name its class declares (the names are checked against the flags by a unit test). */
  private declaredFlag(name: string): unknown {
    return (this.flags as Record<string, unknown>)[name]
  }

  /** What the command line says of every connection, as the pure resolver takes it. */
  private connectionInput() {
    const ctor = this.ctorStatics
    const sideEnv: Partial<Record<Side, string>> = {}
    const overrides: Partial<Record<Side, SideOverrides>> = {}
    for (const side of ['source', 'target'] as const) {
      const names = SIDE_FLAGS[side]
      if (ctor.sideEnvironments) {
        const env = this.declaredFlag(names.env) as string | undefined
        if (env !== undefined) sideEnv[side] = env
      }
      if (ctor.sides.includes(side)) {
        overrides[side] = {
          region: this.declaredFlag(names.region) as string | undefined,
          profile: this.declaredFlag(names.profile) as string | undefined,
          endpoint: this.declaredFlag(names.endpoint) as string | undefined,
        }
      }
    }
    return { given: this.givenConnection(), env: this.flags.env, sideEnv, overrides }
  }

  /** --confirm-env must name an environment this command writes into. */
  private checkConfirmEnv(): void {
    const named = this.flags['confirm-env']
    if (named === undefined) return
    const written = this.writtenSides().map((side) => this.environmentOf(side))
    if (!written.includes(named)) {
      const names = written.filter((n): n is string => n !== undefined)
      throw new UserInputError(
        `--confirm-env ${named} does not match the environment this writes into (${names.length ? names.join(', ') : 'none: no --env or --to-env given'}).`,
        names.length ? `Pass --confirm-env ${names[0]}, or check --env/--to-env.` : 'Drop --confirm-env, or name the environment with --env/--to-env.',
      )
    }
  }

  /**
   * The connections this run writes data or capacity through: the class's `writes`, plus what a
   * command adds for its flags (copy --bump-read raises the source's capacity).
   */
  protected writtenSides(): Array<'main' | 'source' | 'target'> {
    const writes = this.ctorStatics.writes
    return writes ? [writes] : []
  }

  private environmentOf(side: 'main' | 'source' | 'target'): string | undefined {
    return this.resolvedConnections[side === 'main' ? 'main' : side].environment
  }

  /** Whether this run writes nothing: the class's dryRunFlag is set. */
  protected dryRun(): boolean {
    const name = this.ctorStatics.dryRunFlag
    return name !== undefined && this.declaredFlag(name) === true
  }

  /**
   * Writing into a protected environment needs its name typed on a terminal, or --yes with
   * --confirm-env NAME; a dry run or check writes nothing and is let through. Asked once per side.
   */
  private async guardProtected(side: 'main' | 'source' | 'target'): Promise<void> {
    if (this.guarded.has(side) || !this.writtenSides().includes(side)) return
    this.guarded.add(side)
    if (this.dryRun()) return
    const resolved = this.resolvedConnections[side === 'main' ? 'main' : side].resolved
    if (!resolved.protected || !resolved.environment) return
    const name = resolved.environment
    if (this.flags.yes && this.flags['confirm-env'] === name) return
    this.progress.stop()
    await confirmAction(`"${name}" is a protected environment and this command writes into it${side === 'source' ? ' (capacity of the source)' : ''}.`, {
      yes: false,
      expected: name,
      flag: `--yes --confirm-env ${name}`,
    })
  }

  /** The table name with the global --prefix applied. */
  protected table(name: string): string {
    return withPrefix(name, this.flags.prefix)
  }

  /**
   * The tables a command works on: the TABLE arguments with --prefix prepended, or else every
   * table whose name starts with --prefix. For commands that change things (`all` false) a bare
   * command is bad input and a prefix must match something; `wholeEnvironment` lets --env alone
   * stand for all its tables; a status command (`all`) shows every table and accepts none.
   */
  protected async selectTables(conn: Connection, options: { all?: boolean; wholeEnvironment?: boolean; example?: string } = {}): Promise<string[]> {
    if (this.positionals.length) return this.positionals.map((t) => this.table(t))
    const prefix = this.flags.prefix
    // Only a typed --prefix (or, where harmless, --env: every table of that environment) stands for "all of these";
    // a prefix from the config's defaults never does.
    if (!this.givenFlags.has('prefix') && !options.all && !(options.wholeEnvironment && this.flags.env)) {
      throw new UserInputError('Name the tables, or give --prefix to take every table whose name starts with it.', `Example: ${options.example ?? `dynx ${this.id} users orders`}`)
    }
    const names = await listTableNames(conn, prefix)
    if (names.length === 0 && !options.all)
      throw new UserInputError(`No table name starts with "${prefix}" on ${conn.label}.`, 'Check --prefix and the connection flags; `dynx tables list` shows what exists.')
    return names
  }

  /**
   * The table a single-table command works on when TABLE may be left out: the argument (with the
   * prefix), else the config's defaults.table, else a searchable pick list of the tables with the
   * prefix when stdin and stderr are a terminal, else bad input saying a table is needed.
   */
  protected async requireTable(given: string | undefined, conn: () => Promise<Connection>, prefix: string = this.flags.prefix, io: PickIo = {}): Promise<string> {
    if (given) return withPrefix(given, prefix)
    const fallback = this.loadedConfig?.config.defaults?.table
    if (fallback) return withPrefix(fallback, prefix)
    const input = (io.input ?? process.stdin) as NodeJS.ReadStream
    if (!input.isTTY || !process.stderr.isTTY) {
      throw new UserInputError(
        `\`dynx ${this.id?.replaceAll(':', ' ')}\` needs a TABLE, and there is no terminal to pick one on.`,
        'Name the table, or set `defaults.table` in dynx.config (run on a terminal to pick from a list).',
      )
    }
    const c = await conn()
    const names = await listTableNames(c, prefix)
    if (names.length === 0)
      throw new UserInputError(
        `There are no tables${prefix ? ` starting with "${prefix}"` : ''} on ${c.label} to pick from.`,
        'Create one, or check --env/--prefix and the connection flags.',
      )
    this.progress.stop()
    const { pickTable } = await import('./pick-table.js')
    return pickTable(names, io)
  }

  /**
   * With --local, the environment for a child process that should reach the embedded engine this
   * command holds open (its store is locked): AWS_ENDPOINT_URL_DYNAMODB and dummy credentials.
   */
  protected localEngineEnv(): NodeJS.ProcessEnv | undefined {
    if (!this.engine) return undefined
    return {
      ...process.env,
      AWS_ENDPOINT_URL_DYNAMODB: this.engine.endpoint,
      AWS_REGION: process.env.AWS_REGION ?? LOCAL_REGION,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? LOCAL_CREDENTIALS.secretAccessKey,
    }
  }

  /** The connection the flags (and --env, and the config's defaults) choose. */
  protected connectionFlags(): ConnectionChoice {
    return this.resolvedConnections.main.choice
  }

  /** Whether --endpoint, --region, --profile, --local or --env is on the command line (AWS_PROFILE alone does not count). */
  protected connectionFlagsGiven(): boolean {
    return CONNECTION_FLAGS.some((name) => this.givenFlags.has(name))
  }

  /**
   * Where a side's tables live, as a throughput ledger records it so that `dynx throughput
   * restore --ledger FILE` reaches them again with no flags: the resolved settings, --source-* /
   * --target-* overrides on top, and what AWS's environment variables add.
   */
  protected recordedConnection(side?: Side): ConnectionChoice {
    return recordedConnection(this.resolvedConnections[side ?? 'main'].choice, process.env, defaultLocalPath())
  }

  /** The main connection, from --region/--profile/--endpoint/--local/--env (or `choice`); built once. */
  protected async connect(choice: ConnectionChoice = this.connectionFlags()): Promise<Connection> {
    if (this.connections[0]) return this.connections[0]
    await this.guardProtected('main')
    const conn = await this.openConnection(choice)
    this.connections.unshift(conn)
    if (this.flags.verbose && !this.jsonEnabled()) {
      const d = await conn.describe()
      this.logToStderr(
        `connection: endpoint=${d.endpoint} region=${d.region}${d.profile ? ` profile=${d.profile}` : ''} credentials=${d.credentialSource}${this.resolved.environment ? ` env=${this.resolved.environment}` : ''}`,
      )
    }
    return conn
  }

  private async openConnection(choice: ConnectionChoice): Promise<Connection> {
    let options: ConnectionOptions
    if (choice.local) {
      this.engine ??= await startLocalEngine(choice.localPath ? { path: choice.localPath } : {})
      this.interrupts.install()
      options = {
        endpoint: this.engine.endpoint,
        credentials: LOCAL_CREDENTIALS,
        region: LOCAL_REGION,
        label: `the embedded --local engine (${this.engine.path})`,
        lacks: LOCAL_ENGINE_LACKS,
        identity: `local|${this.engine.path}`,
      }
    } else {
      options = { region: choice.region, profile: choice.profile, endpoint: choice.endpoint }
    }
    return createConnection({ ...options, requestTimeoutMs: this.flags.timeout * 1000, retryWindowMs: this.flags['retry-for'] * 1000 })
  }

  /**
   * The connection of one side of a copy, verify or clone: its environment (--from-env/--to-env)
   * with --source-* or --target-* flags on top; the main connection itself when it is the same.
   */
  protected async connectSide(side: 'source' | 'target'): Promise<Connection> {
    await this.guardProtected(side)
    const main = await this.connect()
    const choice = this.resolvedConnections[side].choice
    if (sameAccountAndRegion(choice, this.connectionFlags())) return main
    const conn = await this.openConnection(choice)
    this.connections.push(conn)
    return conn
  }

  /** The table-name prefix of a side: its environment's (or --prefix). */
  protected sidePrefix(side: Side): string {
    return this.resolvedConnections[side].prefix
  }

  /**
   * An AbortSignal for Ctrl-C/SIGTERM/SIGHUP (its reason is the signal's name): the first signal
   * asks the command to stop cleanly (flush, save a checkpoint, restore capacity), a second one
   * exits at once. Without it a signal exits right away.
   */
  protected interruptSignal(): AbortSignal {
    return this.interrupts.signal()
  }

  /** What the first signal prints once interruptSignal() was requested. */
  protected interruptMessage(_signal: NodeJS.Signals): string {
    return 'Interrupted; finishing the page in hand and saving progress (press Ctrl-C again to quit at once).'
  }

  /**
   * Called for every signal once interruptSignal() was requested, e.g. to pass it on to a child
   * process. Return true to keep a repeated signal from exiting at once.
   */
  protected passOnSignal(_signal: NodeJS.Signals, _first: boolean): boolean {
    return false
  }

  /** Last words before a repeated signal exits at once, e.g. how to finish by hand. */
  protected beforeForcedExit(): void {}

  /** Ctrl-C or a kill still flushes and unlocks the --local store, then exits 130 (see interrupts.ts). */
  private interrupts = new Interrupts({
    stopProgress: () => this.progress?.stop(),
    message: (signal) => this.interruptMessage(signal),
    passOn: (signal, first) => this.passOnSignal(signal, first),
    beforeForcedExit: () => this.beforeForcedExit(),
    openStore: () => this.engine,
  })

  protected async confirm(question: string, expected?: string): Promise<void> {
    this.progress.stop()
    await confirmAction(question, { yes: this.flags.yes, expected })
  }

  /**
   * The reader of stdout went away (`dynx scan users | head`): the write that failed stops the
   * command, which then ends quietly with exit 0 instead of reporting the closed pipe as an error.
   * Only that very error ends quietly, and not after a Ctrl-C: anything else is reported as usual.
   */
  private readonly stdoutErrors = new WeakSet<object>()
  private readonly noteStdoutClosed = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') this.stdoutErrors.add(err)
  }
  protected endsQuietly(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.stdoutErrors.has(err) && !this.interrupts.interrupted
  }

  /** Maps any failure to "message + what to do" and a stable exit code. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (this.endsQuietly(err)) {
      this.progress?.stop()
      return
    }
    this.progress?.fail()
    if (err instanceof Errors.CLIError || (err as { oclif?: unknown }).oclif) {
      // oclif's own parse errors (unknown flag, missing argument) are bad usage.
      if ((err as { oclif?: { exit?: number } }).oclif?.exit === undefined || (err as { oclif?: { exit?: number } }).oclif?.exit === 1) {
        ;(err as { oclif?: { exit?: number } }).oclif = { exit: ExitCode.badInput }
      }
      return super.catch(err)
    }
    const mapped = toDynxError(err, this.connections[0]?.label ?? (this.flags?.endpoint ? redactEndpoint(this.flags.endpoint) : 'DynamoDB'))
    process.exitCode = mapped.exitCode
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(mapped))
      return
    }
    if (this.flags?.verbose && mapped.cause) this.logToStderr(String((mapped.cause as Error).stack ?? mapped.cause))
    // Written as is: oclif would wrap long lines at 80 columns, splitting names and paths.
    process.stderr.write(`Error: ${mapped.message}\n${mapped.hint ? `${mapped.hint}\n` : ''}`)
  }

  protected override toErrorJson(err: unknown): unknown {
    const e = err as DynxError
    const partial = partialResultOf(err)
    return { error: { name: e.name, message: e.message, ...(e.hint ? { hint: e.hint } : {}), exitCode: e.exitCode ?? ExitCode.failure }, ...(partial ? { partial } : {}) }
  }

  /**
   * The one place a finished run's typed result becomes the exit code: its `outcome` (ok 0,
   * partial 1, drift 3, interrupted 130), or the `exitCode` of a command it ran and passes on
   * (`throughput bump -- COMMAND`). Errors get theirs in catch().
   */
  protected override async _run<R>(): Promise<R> {
    const result = await super._run<R>()
    const { outcome, exitCode } = (result ?? {}) as { outcome?: Outcome; exitCode?: number }
    if (outcome) process.exitCode = outcome === 'ok' && typeof exitCode === 'number' ? exitCode : OUTCOME_EXIT_CODES[outcome]
    return result
  }

  public override async finally(err: Error | undefined): Promise<void> {
    this.progress?.stop()
    for (const c of this.connections) c.destroy()
    this.connections = []
    await this.engine?.close()
    this.interrupts.uninstall()
    process.stdout.off('error', this.noteStdoutClosed)
    return super.finally(err)
  }
}
