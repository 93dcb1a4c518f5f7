import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { DynxError, LocalStoreLockedError, UserInputError } from '../errors.js'

export interface LocalEngineOptions {
  /** Store folder; defaults to $DYNX_LOCAL_PATH or ~/.dynx/local. Ignored with inMemory. */
  path?: string
  /** Keep everything in memory (nothing persisted, no lock). */
  inMemory?: boolean
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number
  /** Address to bind; loopback by default so the engine is never exposed. */
  host?: string
  /** How long tables stay CREATING/UPDATING/DELETING, as on AWS (milliseconds). */
  transitionMs?: number
}

export interface LocalEngine {
  readonly endpoint: string
  readonly port: number
  /** Store folder, undefined when in memory. */
  readonly path: string | undefined
  close(): Promise<void>
}

export { LOCAL_CREDENTIALS } from '../connection/clients.js'
export const LOCAL_REGION = 'us-east-1'

/** What dynalite lacks or accepts and drops; `apply` does not count these as drift on --local. */
export const LOCAL_ENGINE_LACKS: readonly string[] = ['ttl', 'stream', 'deletionProtection', 'pitr', 'indexes.create', 'backups', 'cloudwatch', 'exports']

export function defaultLocalPath(): string {
  return resolve(process.env.DYNX_LOCAL_PATH || join(homedir(), '.dynx', 'local'))
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * LevelDB would refuse a second opener with an obscure I/O error mid-command; an exclusive
 * pid file refuses it up front with a clear one, and a crashed owner's file is taken over.
 */
function acquireLock(storePath: string): () => void {
  const lockFile = join(storePath, 'dynx.lock')
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      let released = false
      return () => {
        if (released) return
        released = true
        rmSync(lockFile, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UserInputError(`Cannot use the local store ${storePath}: ${(err as Error).message}`, 'Set DYNX_LOCAL_PATH to a folder you can write to.')
      }
      const owner = Number.parseInt(readFileSync(lockFile, 'utf8').trim(), 10)
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) throw new LocalStoreLockedError(storePath, owner)
      rmSync(lockFile, { force: true }) // stale: its owner is gone
    }
  }
  throw new DynxError(`Could not lock the local store ${storePath}.`, 'Try again.')
}

/** Starts dynalite, the embedded DynamoDB-compatible engine behind `--local` and `dynx local serve`. */
export async function startLocalEngine(options: LocalEngineOptions = {}): Promise<LocalEngine> {
  const storePath = options.inMemory ? undefined : resolve(options.path ?? defaultLocalPath())
  let release = () => {}
  if (storePath) {
    try {
      mkdirSync(storePath, { recursive: true })
    } catch (err) {
      throw new UserInputError(`Cannot create the local store folder ${storePath}: ${(err as Error).message}`, 'Set DYNX_LOCAL_PATH to a folder you can write to.')
    }
    release = acquireLock(storePath)
  }
  // The store outlives the command: a table must never be saved mid-transition (CREATING/UPDATING),
  // so --local transitions are instant and close() lets dynalite's pending timers fire first.
  const transitionMs = options.transitionMs ?? 0
  // Loaded here, not at the top: only --local and `dynx local serve` need the engine.
  let dynalite: typeof import('dynalite').default
  try {
    dynalite = (await import('dynalite')).default
  } catch (err) {
    release()
    throw err
  }
  const server = dynalite({
    ...(storePath ? { path: join(storePath, 'db') } : {}),
    createTableMs: transitionMs,
    deleteTableMs: transitionMs,
    updateTableMs: transitionMs,
  })
  const host = options.host ?? '127.0.0.1'
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail)
      server.listen(options.port ?? 0, host, () => {
        server.off('error', fail)
        ok()
      })
    })
  } catch (err) {
    release()
    const code = (err as NodeJS.ErrnoException).code
    throw new UserInputError(
      `The local engine cannot listen on ${host}:${options.port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (err as Error).message}.`,
      'Pick another --port, or 0 for any free port.',
    )
  }
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    path: storePath,
    close() {
      closing ??= sleep(transitionMs + 50)
        .then(
          () =>
            new Promise<void>((ok) => {
              server.closeAllConnections?.()
              // dynalite's close flushes and closes LevelDB before calling back.
              server.close(() => ok())
            }),
        )
        .finally(release)
      return closing
    },
  }
}
