// oclif's entry points one by one: its index loads help, ux and more that a command never uses.
import { Command } from '@oclif/core/command'
import * as Errors from '@oclif/core/errors'
import * as Flags from '@oclif/core/flags'
import type * as Interfaces from '@oclif/core/interfaces'

import { createConnection, redactEndpoint, type Connection, type ConnectionOptions } from '../connection/clients.js'
import { withPrefix } from '../connection/names.js'
import { listTableNames } from '../tables/describe.js'
import type { LedgerConnection } from '../throughput/types.js'
import { DynxError, ExitCode, UserInputError, explainAwsError } from '../errors.js'
import { defaultFlagValues, loadConfig, resolveConnection, type GivenConnection, type LoadedConfig, type ResolvedConnection } from '../config/config.js'
import { LOCAL_CREDENTIALS, LOCAL_ENGINE_LACKS, LOCAL_REGION, defaultLocalPath, startLocalEngine, type LocalEngine } from '../local/engine.js'
import { confirmAction } from './confirm.js'
import type { PickIo } from './pick-table.js'
import { createProgress, type Progress } from './progress.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof DynxCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const CONNECTION = 'Connection'

/** Flags for a second connection (the source of a clone or copy), e.g. --source-region. */
export function sourceConnectionFlags() {
  return sideConnectionFlags('source')
}

/** --from-env and --to-env: the environments of dynx.config the two sides of a copy or verify live in. */
export function environmentSideFlags() {
  return {
    'from-env': Flags.string({ summary: 'Source environment of dynx.config: bare table names take its prefix, region, profile and endpoint.', helpGroup: 'ENVIRONMENTS' }),
    'to-env': Flags.string({ summary: 'Target environment of dynx.config (writing into a protected one needs confirmation).', helpGroup: 'ENVIRONMENTS' }),
  }
}

/** Flags for the target side of a copy or verify, e.g. --target-endpoint. */
export function targetConnectionFlags() {
  return sideConnectionFlags('target')
}

function sideConnectionFlags<S extends 'source' | 'target'>(side: S) {
  const group = side.toUpperCase()
  return {
    [`${side}-region`]: Flags.string({ summary: `Region of the ${side} table (default: --region).`, helpGroup: group }),
    [`${side}-profile`]: Flags.string({ summary: `AWS profile for the ${side} (default: --profile).`, helpGroup: group }),
    [`${side}-endpoint`]: Flags.string({ summary: `Endpoint of the ${side} (default: --endpoint).`, helpGroup: group }),
  } as Record<`${S}-region` | `${S}-profile` | `${S}-endpoint`, Interfaces.OptionFlag<string | undefined>>
}

/** Where the main connection goes: what --local/--endpoint/--region/--profile say, or a record of them (a throughput ledger's). */
export type ConnectionChoice = LedgerConnection

const CONNECTION_FLAGS = ['endpoint', 'region', 'profile', 'local', 'env']

/**
 * Whether two connection choices point at the same place (key order and unset keys aside): for
 * recorded connections, the same account and region (same endpoint, region and profile).
 */
export function sameAccountAndRegion(a: ConnectionChoice, b: ConnectionChoice): boolean {
  return Boolean(a.local) === Boolean(b.local) && a.endpoint === b.endpoint && a.region === b.region && a.profile === b.profile && a.localPath === b.localPath
}

function choiceOf(r: ResolvedConnection): ConnectionChoice {
  return r.local.value ? { local: true } : { endpoint: r.endpoint.value, region: r.region.value, profile: r.profile.value }
}
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** What --source-* or --target-* flags override of the main connection. */
export interface SideConnection {
  region?: string
  profile?: string
  endpoint?: string
}

// AWS errors whose cause is the request the user made, not the tool.
const BAD_INPUT_ERRORS = new Set(['ValidationException', 'LimitExceededException', 'InvalidRestoreTimeException', 'PointInTimeRecoveryUnavailableException', 'TableAlreadyExistsException', 'BackupInUseException'])
const CREDENTIAL_ERRORS = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'AccessDeniedException', 'CredentialsProviderError'])

/**
 * Owns the global flags, builds clients once (starting the embedded engine for --local), maps
 * every error to a message and a documented exit code, and cleans up in finally.
 */
export abstract class DynxCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    region: Flags.string({ summary: 'AWS region (default: AWS_REGION or the profile\'s region).', helpGroup: CONNECTION }),
    profile: Flags.string({ summary: 'AWS profile from ~/.aws/config (SSO included).', env: 'AWS_PROFILE', helpGroup: CONNECTION }),
    endpoint: Flags.string({ summary: 'DynamoDB endpoint URL (default: AWS_ENDPOINT_URL_DYNAMODB).', helpGroup: CONNECTION }),
    local: Flags.boolean({ summary: 'Use the embedded engine stored in $DYNX_LOCAL_PATH (default ~/.dynx/local).', helpGroup: CONNECTION, exclusive: ['endpoint'] }),
    prefix: Flags.string({ summary: 'Table name prefix: with --prefix staging_, "users" means "staging_users".', default: '', helpGroup: CONNECTION }),
    timeout: Flags.integer({ summary: 'Seconds to wait for each DynamoDB response.', default: 15, min: 1, helpGroup: CONNECTION }),
    env: Flags.string({ summary: 'Apply this environment of dynx.config (prefix, region, profile, endpoint or local).', helpGroup: CONNECTION }),
    config: Flags.string({ summary: 'Config file (default: dynx.config.json or .yaml here or in a parent folder; also DYNX_CONFIG).', helpGroup: CONNECTION }),
    yes: Flags.boolean({ char: 'y', summary: 'Confirm destructive or production-facing changes without asking.' }),
    'confirm-env': Flags.string({ summary: 'Name the protected environment this writes into (with --yes, for CI).' }),
    verbose: Flags.boolean({ summary: 'More detail on stderr (never credentials).' }),
  }

  /**
   * Which connection this command writes through, for the protected-environment check: the main
   * one, the target side (copy), or none (read-only commands, and backups, which change no table).
   */
  static writes: 'main' | 'target' | undefined = undefined

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
    this.progress = createProgress({ quiet: this.jsonEnabled(), verbose: this.flags.verbose })
    this.loadedConfig = await loadConfig({ file: this.flags.config })
    this.resolved = resolveConnection(this.givenConnection(), this.loadedConfig, this.flags.env)
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

  /** The environment each side resolves from: --from-env / --to-env (copy, verify), else --env. */
  protected sideEnvironment(side: 'source' | 'target'): string | undefined {
    const flags = this.flags as unknown as Record<string, string | undefined>
    return flags[side === 'source' ? 'from-env' : 'to-env'] ?? this.flags.env
  }

  /** A side's settings: the main ones, or those of its own environment. */
  protected resolvedSide(side: 'source' | 'target'): ResolvedConnection {
    const envName = this.sideEnvironment(side)
    return envName === this.flags.env ? this.resolved : resolveConnection(this.givenConnection(), this.loadedConfig, envName, side === 'source' ? '--from-env' : '--to-env')
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
    const writes = (this.ctor as unknown as typeof DynxCommand).writes
    return writes ? [writes] : []
  }

  private environmentOf(side: 'main' | 'source' | 'target'): string | undefined {
    return side === 'main' ? this.flags.env : this.sideEnvironment(side)
  }

  /**
   * Writing into a protected environment needs its name typed on a terminal, or --yes with
   * --confirm-env NAME; a dry run or check writes nothing and is let through. Asked once per side.
   */
  private async guardProtected(side: 'main' | 'source' | 'target'): Promise<void> {
    if (this.guarded.has(side) || !this.writtenSides().includes(side)) return
    this.guarded.add(side)
    const flags = this.flags as unknown as Record<string, unknown>
    if (flags['dry-run'] || flags.check) return
    const resolved = side === 'main' ? this.resolved : this.resolvedSide(side)
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
    if (names.length === 0 && !options.all) throw new UserInputError(`No table name starts with "${prefix}" on ${conn.label}.`, 'Check --prefix and the connection flags; `dynx tables list` shows what exists.')
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
    if (names.length === 0) throw new UserInputError(`There are no tables${prefix ? ` starting with "${prefix}"` : ''} on ${c.label} to pick from.`, 'Create one, or check --env/--prefix and the connection flags.')
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
    return choiceOf(this.resolved)
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
  protected recordedConnection(side?: 'source' | 'target'): LedgerConnection {
    const choice = side ? this.sideChoice(side) : this.connectionFlags()
    if (choice.local) return { local: true, localPath: defaultLocalPath() }
    const endpoint = choice.endpoint ?? (process.env.AWS_ENDPOINT_URL_DYNAMODB || undefined)
    const region = choice.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined)
    const profile = choice.profile ?? this.flags.profile
    return { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(profile ? { profile } : {}) }
  }

  /** A side's connection choice: its environment's settings with --source-* / --target-* on top. */
  private sideChoice(side: 'source' | 'target'): ConnectionChoice {
    const flags = this.flags as unknown as Record<string, string | undefined>
    const over: SideConnection = { region: flags[`${side}-region`], profile: flags[`${side}-profile`], endpoint: flags[`${side}-endpoint`] }
    const base = choiceOf(this.resolvedSide(side))
    if (!over.region && !over.profile && !over.endpoint) return base
    // With --local, --source-region alone means that region of AWS, not the embedded engine.
    return {
      region: over.region ?? base.region,
      profile: over.profile ?? base.profile,
      endpoint: over.endpoint ?? (base.local ? undefined : base.endpoint),
    }
  }

  /** The main connection, from --region/--profile/--endpoint/--local/--env (or `choice`); built once. */
  protected async connect(choice: ConnectionChoice = this.connectionFlags()): Promise<Connection> {
    if (this.connections[0]) return this.connections[0]
    await this.guardProtected('main')
    const conn = await this.openConnection(choice)
    this.connections.unshift(conn)
    if (this.flags.verbose && !this.jsonEnabled()) {
      const d = await conn.describe()
      this.logToStderr(`connection: endpoint=${d.endpoint} region=${d.region}${d.profile ? ` profile=${d.profile}` : ''} credentials=${d.credentialSource}${this.resolved.environment ? ` env=${this.resolved.environment}` : ''}`)
    }
    return conn
  }

  private async openConnection(choice: ConnectionChoice): Promise<Connection> {
    let options: ConnectionOptions
    if (choice.local) {
      this.engine ??= await startLocalEngine(choice.localPath ? { path: choice.localPath } : {})
      this.installSignalHandlers()
      options = { endpoint: this.engine.endpoint, credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, label: `the embedded --local engine (${this.engine.path})`, lacks: LOCAL_ENGINE_LACKS }
    } else {
      options = { region: choice.region, profile: choice.profile, endpoint: choice.endpoint }
    }
    return createConnection({ ...options, requestTimeoutMs: this.flags.timeout * 1000 })
  }

  /**
   * The connection of one side of a copy, verify or clone: its environment (--from-env/--to-env)
   * with --source-* or --target-* flags on top; the main connection itself when it is the same.
   */
  protected async connectSide(side: 'source' | 'target'): Promise<Connection> {
    await this.guardProtected(side)
    const main = await this.connect()
    const choice = this.sideChoice(side)
    if (sameAccountAndRegion(choice, this.connectionFlags())) return main
    const conn = await this.openConnection(choice)
    this.connections.push(conn)
    return conn
  }

  /** The table-name prefix of a side: its environment's (or --prefix). */
  protected sidePrefix(side: 'source' | 'target'): string {
    return this.givenFlags.has('prefix') ? this.flags.prefix : (this.resolvedSide(side).prefix.value ?? '')
  }

  /**
   * An AbortSignal for Ctrl-C/SIGTERM/SIGHUP (its reason is the signal's name): the first signal
   * asks the command to stop cleanly (flush, save a checkpoint, restore capacity), a second one
   * exits at once. Without it a signal exits right away.
   */
  protected interruptSignal(): AbortSignal {
    this.interrupt ??= new AbortController()
    this.installSignalHandlers()
    return this.interrupt.signal
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

  private interrupt?: AbortController
  private signalsInstalled = false

  /** Ctrl-C or a kill still flushes and unlocks the --local store, then exits 130. */
  private installSignalHandlers(): void {
    if (this.signalsInstalled) return
    this.signalsInstalled = true
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.interrupt && !this.interrupt.signal.aborted) {
        this.progress.stop()
        process.stderr.write(`${this.interruptMessage(signal)}\n`)
        this.interrupt.abort(signal)
        this.passOnSignal(signal, true)
        return
      }
      if (this.interrupt && this.passOnSignal(signal, false)) return
      this.progress.stop()
      try {
        this.beforeForcedExit()
      } catch {
        // Exiting anyway.
      }
      process.stderr.write(this.engine ? 'Interrupted; closing the local store.\n' : 'Interrupted.\n')
      const exit = () => process.exit(ExitCode.interrupted)
      void (this.engine?.close() ?? Promise.resolve()).then(exit, exit)
    }
    for (const signal of SIGNALS) process.on(signal, onSignal)
    this.removeSignalHandlers = () => {
      for (const signal of SIGNALS) process.off(signal, onSignal)
    }
  }

  private removeSignalHandlers = () => {}

  protected async confirm(question: string, expected?: string): Promise<void> {
    this.progress.stop()
    await confirmAction(question, { yes: this.flags.yes, expected })
  }

  /** Maps any failure to "message + what to do" and a stable exit code. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    this.progress?.fail()
    if (err instanceof Errors.CLIError || (err as { oclif?: unknown }).oclif) {
      // oclif's own parse errors (unknown flag, missing argument) are bad usage.
      if ((err as { oclif?: { exit?: number } }).oclif?.exit === undefined || (err as { oclif?: { exit?: number } }).oclif?.exit === 1) {
        ;(err as { oclif?: { exit?: number } }).oclif = { exit: ExitCode.badInput }
      }
      return super.catch(err)
    }
    const mapped = this.toDynxError(err)
    process.exitCode = mapped.exitCode
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(mapped))
      return
    }
    if (this.flags?.verbose && mapped.cause) this.logToStderr(String((mapped.cause as Error).stack ?? mapped.cause))
    // Written as is: oclif would wrap long lines at 80 columns, splitting names and paths.
    process.stderr.write(`Error: ${mapped.message}\n${mapped.hint ? `${mapped.hint}\n` : ''}`)
  }

  private toDynxError(err: unknown): DynxError {
    const label = this.connections[0]?.label ?? (this.flags?.endpoint ? redactEndpoint(this.flags.endpoint) : 'DynamoDB')
    const explained = explainAwsError(err, label)
    if (explained instanceof DynxError) return explained
    const e = explained as Error & { name: string }
    if (BAD_INPUT_ERRORS.has(e.name)) return new UserInputError(`DynamoDB rejected the request: ${e.message}`, 'Fix the input named in the message; nothing was changed by the rejected call.', { cause: err })
    if (CREDENTIAL_ERRORS.has(e.name)) {
      return new DynxError(`AWS refused the credentials (${e.name}): ${e.message}`, 'Check --profile/AWS_PROFILE, refresh an SSO session with `aws sso login`, or use --local.', { cause: err })
    }
    return new DynxError(`${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}`, undefined, { cause: err })
  }

  protected override toErrorJson(err: unknown): unknown {
    const e = err as DynxError
    return { error: { name: e.name, message: e.message, ...(e.hint ? { hint: e.hint } : {}), exitCode: e.exitCode ?? ExitCode.failure } }
  }

  public override async finally(err: Error | undefined): Promise<void> {
    this.progress?.stop()
    for (const c of this.connections) c.destroy()
    this.connections = []
    await this.engine?.close()
    this.removeSignalHandlers()
    return super.finally(err)
  }
}
