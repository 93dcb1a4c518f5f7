import { Command, Errors, Flags, type Interfaces } from '@oclif/core'

import { createConnection, redactEndpoint, type Connection, type ConnectionOptions } from '../connection/clients.js'
import { withPrefix } from '../connection/names.js'
import { listTableNames } from '../tables/describe.js'
import type { LedgerConnection } from '../throughput/types.js'
import { DynxError, ExitCode, UserInputError, explainAwsError } from '../errors.js'
import { LOCAL_CREDENTIALS, LOCAL_ENGINE_LACKS, LOCAL_REGION, startLocalEngine, type LocalEngine } from '../local/engine.js'
import { confirmAction } from './confirm.js'
import { acknowledgeSignal } from './relaunch.js'
import { createProgress, type Progress } from './progress.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof DynxCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const CONNECTION = 'Connection'

/** Flags for a second connection (the source of a clone or copy), e.g. --source-region. */
export function sourceConnectionFlags() {
  return sideConnectionFlags('source')
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

const CONNECTION_FLAGS = ['endpoint', 'region', 'profile', 'local']
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
    yes: Flags.boolean({ char: 'y', summary: 'Confirm destructive or production-facing changes without asking.' }),
    verbose: Flags.boolean({ summary: 'More detail on stderr (never credentials).' }),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  protected progress!: Progress
  /** Positional arguments in command-line order, those after a literal `--` included (for strict: false commands). */
  protected positionals: string[] = []
  /** Flags given on the command line (not from an environment variable or a default). */
  private givenFlags = new Set<string>()
  private connections: Connection[] = []
  private engine?: LocalEngine

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
  }

  /** The table name with the global --prefix applied. */
  protected table(name: string): string {
    return withPrefix(name, this.flags.prefix)
  }

  /**
   * The tables a command works on: the TABLE arguments with --prefix prepended, or else every
   * table whose name starts with --prefix. For commands that change things (`all` false) a bare
   * command is bad input and a prefix must match something; a status command (`all`) shows every
   * table and accepts none.
   */
  protected async selectTables(conn: Connection, options: { all?: boolean; example?: string } = {}): Promise<string[]> {
    if (this.positionals.length) return this.positionals.map((t) => this.table(t))
    const prefix = this.flags.prefix
    if (!prefix && !options.all) {
      throw new UserInputError('Name the tables, or give --prefix to take every table whose name starts with it.', `Example: ${options.example ?? `dynx ${this.id} users orders`}`)
    }
    const names = await listTableNames(conn, prefix)
    if (names.length === 0 && !options.all) throw new UserInputError(`No table name starts with "${prefix}" on ${conn.label}.`, 'Check --prefix and the connection flags; `dynx tables list` shows what exists.')
    return names
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

  /** The connection the flags choose. */
  protected connectionFlags(): ConnectionChoice {
    const f = this.flags
    return f.local ? { local: true } : { endpoint: f.endpoint, region: f.region, profile: f.profile }
  }

  /** Whether --endpoint, --region, --profile or --local is on the command line (AWS_PROFILE alone does not count). */
  protected connectionFlagsGiven(): boolean {
    return CONNECTION_FLAGS.some((name) => this.givenFlags.has(name))
  }

  /** The main connection, from --region/--profile/--endpoint/--local (or `choice`); built once. */
  protected async connect(choice: ConnectionChoice = this.connectionFlags()): Promise<Connection> {
    if (this.connections[0]) return this.connections[0]
    const f = this.flags
    let options: ConnectionOptions
    if (choice.local) {
      this.engine = await startLocalEngine(choice.localPath ? { path: choice.localPath } : {})
      this.installSignalHandlers()
      options = { endpoint: this.engine.endpoint, credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION, label: `the embedded --local engine (${this.engine.path})`, lacks: LOCAL_ENGINE_LACKS }
    } else {
      options = { region: choice.region, profile: choice.profile, endpoint: choice.endpoint }
    }
    const conn = createConnection({ ...options, requestTimeoutMs: f.timeout * 1000 })
    this.connections.unshift(conn)
    if (f.verbose && !this.jsonEnabled()) {
      const d = await conn.describe()
      this.logToStderr(`connection: endpoint=${d.endpoint} region=${d.region}${d.profile ? ` profile=${d.profile}` : ''} credentials=${d.credentialSource}`)
    }
    return conn
  }

  /**
   * The connection of one side of a copy or clone: --source-* or --target-* flags, with unset
   * parts taken from the main connection (the main one itself when none is given).
   */
  protected async connectSide(side: 'source' | 'target'): Promise<Connection> {
    const main = await this.connect()
    const flags = this.flags as unknown as Record<string, string | undefined>
    const over: SideConnection = { region: flags[`${side}-region`], profile: flags[`${side}-profile`], endpoint: flags[`${side}-endpoint`] }
    if (!over.region && !over.profile && !over.endpoint) return main
    const f = this.flags
    const conn = createConnection({
      region: over.region ?? f.region,
      profile: over.profile ?? f.profile,
      // With --local, --source-region alone means that region of AWS, not the embedded engine.
      endpoint: over.endpoint ?? (f.local ? undefined : f.endpoint),
      requestTimeoutMs: f.timeout * 1000,
    })
    this.connections.push(conn)
    return conn
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
    let firstAt = 0
    const onSignal = (signal: NodeJS.Signals) => {
      acknowledgeSignal(signal)
      // A copy of the same signal right after the first (a launcher passing it on late) is not a second Ctrl-C.
      if (this.interrupt?.signal.aborted && performance.now() - firstAt < 500) return
      firstAt = performance.now()
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
