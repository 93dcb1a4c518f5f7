import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'

import { describeTable, findTable } from '../../src/tables/describe.js'
import { BIN, connect, runCli, tempDir, uniqueName } from '../helpers.js'

const SPEC = `tables:
  - name: users
    hashKey: { name: userId, type: S }
    indexes:
      - name: email-index
        hashKey: { name: email, type: S }
    tags: { team: core }
  - name: orders
    hashKey: { name: customerId, type: S }
    rangeKey: { name: orderId, type: S }
    localIndexes:
      - name: by-date
        rangeKey: { name: createdAt, type: S }
  - name: events
    hashKey: { name: pk, type: S }
    rangeKey: { name: at, type: N }
    billing: PROVISIONED
    read: 2
    write: 2
  - name: carts
    hashKey: { name: cartId, type: S }
  - name: sessions
    hashKey: { name: sessionId, type: S }
    ttl: expiresAt
`

describe('dynx help', () => {
  it('lists the topics and commands', async () => {
    const { code, stdout } = await runCli(['--help'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/TOPICS[\s\S]*local[\s\S]*tables/)
    expect(stdout).toMatch(/COMMANDS[\s\S]*apply[\s\S]*bootstrap[\s\S]*create/)
  })

  it.each([['tables', 'list'], ['tables', 'describe'], ['create'], ['apply'], ['bootstrap'], ['local', 'serve']])(
    '%s %s has a summary, description and examples',
    async (...id) => {
      const { code, stdout } = await runCli([...id.filter(Boolean), '--help'])
      expect(code).toBe(0)
      expect(stdout).toMatch(/DESCRIPTION\n {2}\S/)
      expect(stdout).toMatch(/EXAMPLES\n {2}\$ dynx /)
      expect(stdout).toContain('--json')
    },
  )
})

describe('--local: the embedded engine', () => {
  let store: string
  beforeAll(() => {
    store = tempDir('dynx-local-')
  })

  it('keeps its store between two commands', async () => {
    const env = { DYNX_LOCAL_PATH: store }
    const boot = await runCli(['bootstrap', '--local', '--prefix', 'staging_', '--items', '30'], { env })
    expect(boot.stderr).toBe('') // progress lines only on a TTY or with --verbose
    expect(boot.code).toBe(0)
    expect(boot.stdout).toContain('Created staging_users: 30 items')
    const list = await runCli(['tables', 'list', '--local', '--json'], { env })
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).tables.map((t: { name: string }) => t.name)).toEqual(['staging_orders', 'staging_users'])
    const described = await runCli(['--prefix', 'staging_', 'tables', 'describe', 'users', '--local'], { env })
    expect(described.code).toBe(0)
    expect(described.stdout).toMatch(/Partition key +userId \(S\)/)
    expect(described.stdout).toMatch(/email-index/)
  })

  it('never stores a table mid-transition: created without --wait, it is ACTIVE in the next command', async () => {
    const env = { DYNX_LOCAL_PATH: store }
    const dir = tempDir()
    writeFileSync(join(dir, 't.yaml'), 'hashKey: { name: id, type: S }\n')
    expect((await runCli(['create', 'nowait_table', '--spec', join(dir, 't.yaml'), '--local'], { env })).code).toBe(0)
    const described = await runCli(['tables', 'describe', 'nowait_table', '--local', '--json'], { env })
    expect(JSON.parse(described.stdout).status).toBe('ACTIVE')
  })

  it('apply with stream, TTL and a new GSI settles: the engine lacks them, so they are not drift', async () => {
    const env = { DYNX_LOCAL_PATH: store }
    const dir = tempDir()
    const spec = 'tables:\n  - name: settle\n    hashKey: { name: id, type: S }\n    stream: NEW_IMAGE\n    ttl: expiresAt\n'
    writeFileSync(join(dir, 'a.yaml'), spec)
    writeFileSync(join(dir, 'b.yaml'), `${spec}    indexes:\n      - name: by-x\n        hashKey: { name: x, type: S }\n`)
    const first = await runCli(['apply', join(dir, 'a.yaml'), '--local'], { env })
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('stream NEW_IMAGE: not kept by the engine')
    for (const file of ['a.yaml', 'b.yaml']) {
      const again = await runCli(['apply', join(dir, file), '--local', '--check'], { env })
      expect(again.code).toBe(0)
      expect(again.stdout).toMatch(/^no changes \(1 table match the spec\)/)
      expect(again.stdout).toContain('? settle: stream: the engine does not keep streams')
    }
  })

  it('refuses a second process on the same store with a clear error, and works again after', async () => {
    const env = { ...process.env, DYNX_LOCAL_PATH: store }
    const server = spawn(process.execPath, [BIN, 'local', 'serve', '--port', '0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const ready = await new Promise<{ endpoint: string }>((ok, fail) => {
      let out = ''
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('\n')) ok(JSON.parse(out.split('\n')[0]))
      })
      server.once('exit', (code) => fail(new Error(`serve exited ${code}`)))
    })
    try {
      const second = await runCli(['tables', 'list', '--local'], { env: { DYNX_LOCAL_PATH: store } })
      expect(second.code).toBe(1)
      expect(second.stderr).toContain(`The local store ${store} is in use by another dynx process (pid ${server.pid})`)
      // The served engine is the same store, reachable by endpoint.
      const viaEndpoint = await runCli(['tables', 'list', '--endpoint', ready.endpoint, '--json'])
      expect(JSON.parse(viaEndpoint.stdout).tables.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['staging_orders', 'staging_users']))
    } finally {
      server.kill('SIGINT')
      await new Promise((ok) => server.once('exit', ok))
    }
    const after = await runCli(['tables', 'list', '--local', '--json'], { env: { DYNX_LOCAL_PATH: store } })
    expect(after.code).toBe(0)
  })

  it('Ctrl-C during a --local command closes and unlocks the store, exit 130', async () => {
    const env = { ...process.env, DYNX_LOCAL_PATH: store }
    const child = spawn(process.execPath, [BIN, 'bootstrap', '--local', '--prefix', 'big_', '--items', '200000'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    // Interrupt once the store is locked, i.e. the command is under way.
    for (let i = 0; i < 100 && !existsSync(join(store, 'dynx.lock')); i++) await new Promise((ok) => setTimeout(ok, 50))
    await new Promise((ok) => setTimeout(ok, 300))
    child.kill('SIGINT')
    const code = await new Promise<number | null>((ok) => child.once('exit', ok))
    expect(code).toBe(130)
    expect(stderr).toContain('Interrupted; closing the local store.')
    expect(existsSync(join(store, 'dynx.lock'))).toBe(false)
    expect((await runCli(['tables', 'list', '--local', '--json'], { env: { DYNX_LOCAL_PATH: store } })).code).toBe(0)
  })
})

describe.each([['dynamodb-local'], ['moto']] as const)('apply and create through the CLI on %s', (engine) => {
  let endpoint: string
  let dir: string
  beforeAll(() => {
    const engines = inject('engines')
    endpoint = engine === 'moto' ? engines.moto : engines.dynamodbLocal
    dir = tempDir()
    writeFileSync(join(dir, 'tables.yaml'), SPEC)
  })

  it('creates 5 tables, then prints "no changes"; --check exits 3 on drift and changes nothing', async () => {
    const prefix = `${uniqueName('cli')}_`
    const args = ['--endpoint', endpoint, '--prefix', prefix]
    const first = await runCli(['apply', join(dir, 'tables.yaml'), ...args])
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('5 created, 0 updated, 0 unchanged.')
    const second = await runCli(['apply', join(dir, 'tables.yaml'), ...args])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^no changes \(5 tables match the spec\)/)

    writeFileSync(join(dir, 'drift.yaml'), SPEC.replace('ttl: expiresAt', 'ttl: expiresAt\n    stream: NEW_IMAGE'))
    const check = await runCli(['apply', join(dir, 'drift.yaml'), ...args, '--check', '--json'])
    expect(check.code).toBe(3)
    expect(JSON.parse(check.stdout).outcome).toBe('drift')
    const plan = JSON.parse(check.stdout).plan
    expect(plan.drift).toBe(true)
    expect(plan.tables.find((t: { table: string }) => t.table === `${prefix}sessions`).changes[0]).toMatchObject({ kind: 'update', setting: 'stream' })
    const conn = connect(endpoint)
    expect((await describeTable(conn, `${prefix}sessions`)).spec.stream).toBe(false)

    // Without --yes and no terminal, in-place updates stay pending: exit 3, still nothing changed.
    const unconfirmed = await runCli(['apply', join(dir, 'drift.yaml'), ...args])
    expect(unconfirmed.code).toBe(3)
    expect(unconfirmed.stdout).toContain('pending (needs --yes)')
    expect((await describeTable(conn, `${prefix}sessions`)).spec.stream).toBe(false)
    const confirmed = await runCli(['apply', join(dir, 'drift.yaml'), ...args, '--yes'])
    expect(confirmed.code).toBe(0)
    expect((await describeTable(conn, `${prefix}sessions`)).spec.stream).toBe('NEW_IMAGE')
    conn.destroy()
  })

  it('create --spec and --from, with --json results', async () => {
    const base = uniqueName('cr')
    const made = await runCli(['create', 'users', '--spec', join(dir, 'tables.yaml'), '--prefix', `${base}_`, '--endpoint', endpoint, '--wait', '--json'])
    expect(made.code).toBe(0)
    expect(JSON.parse(made.stdout)).toMatchObject({ table: `${base}_users`, created: true, status: 'ACTIVE' })
    const cloned = await runCli(['create', `${base}_copy`, '--from', `${base}_users`, '--endpoint', endpoint, '--wait'])
    expect(cloned.code).toBe(0)
    expect(cloned.stdout).toContain(`Created ${base}_copy from ${base}_users (ACTIVE).`)
    const again = await runCli(['create', `${base}_copy`, '--from', `${base}_users`, '--endpoint', endpoint, '--if-not-exists'])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('already exists; left unchanged')
  })
})

describe('bad input: a clear message, a documented exit code, nothing changed', () => {
  let endpoint: string
  let dir: string
  beforeAll(() => {
    endpoint = inject('engines').dynalite
    dir = tempDir()
  })

  it('unknown table: exit 2', async () => {
    const r = await runCli(['tables', 'describe', 'no_such_table', '--endpoint', endpoint])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`Table "no_such_table" does not exist on ${endpoint}.`)
  })

  it('malformed spec: exit 2, the path is named, no table created', async () => {
    const name = uniqueName('bad')
    writeFileSync(
      join(dir, 'bad.yaml'),
      `tables:\n  - name: ${name}\n    hashKey: { name: id, type: S }\n    indexes:\n      - name: broken\n        rangeKey: { name: x, type: S }\n`,
    )
    const r = await runCli(['apply', join(dir, 'bad.yaml'), '--endpoint', endpoint])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('tables[0].indexes[0].hashKey: required')
    expect(await findTable(connect(endpoint), name)).toBeUndefined()
  })

  it('key type other than S/N/B: exit 2', async () => {
    const name = uniqueName('badtype')
    writeFileSync(join(dir, 'type.yaml'), `hashKey: { name: id, type: BOOL }\n`)
    const r = await runCli(['create', name, '--spec', join(dir, 'type.yaml'), '--endpoint', endpoint, '--json'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error).toMatchObject({ name: 'SpecValidationError', exitCode: 2 })
    expect(JSON.parse(r.stdout).error.message).toContain('hashKey.type: must be one of "S", "N", "B" (got "BOOL")')
    expect(await findTable(connect(endpoint), name)).toBeUndefined()
  })

  it('--from a table that does not exist: exit 2, target not created', async () => {
    const target = uniqueName('target')
    const r = await runCli(['create', target, '--from', 'no_such_source', '--endpoint', endpoint])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Table "no_such_source" does not exist')
    expect(await findTable(connect(endpoint), target)).toBeUndefined()
  })

  it('create of a table that exists without --if-not-exists: exit 2', async () => {
    const name = uniqueName('twice')
    writeFileSync(join(dir, 'one.yaml'), 'hashKey: { name: id, type: S }\n')
    expect((await runCli(['create', name, '--spec', join(dir, 'one.yaml'), '--endpoint', endpoint])).code).toBe(0)
    const r = await runCli(['create', name, '--spec', join(dir, 'one.yaml'), '--endpoint', endpoint])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`Table "${name}" already exists.`)
    expect(r.stderr).toContain('--if-not-exists')
  })

  it('unknown flag or missing argument: exit 2', async () => {
    expect((await runCli(['tables', 'describe', '--endpoint', endpoint])).code).toBe(2)
    expect((await runCli(['tables', 'list', '--no-such-flag'])).code).toBe(2)
  })

  describe('unreachable endpoints fail fast, naming the endpoint', () => {
    let silent: Server
    let silentPort: number
    const sockets: Socket[] = []
    beforeAll(async () => {
      // Accepts connections and never answers: the request timeout must end the wait.
      silent = createServer((socket) => sockets.push(socket))
      await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok))
      silentPort = (silent.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((ok) => silent.close(() => ok()))
    })

    it('connection refused: exit 1', async () => {
      const closed = createServer()
      await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok))
      const port = (closed.address() as { port: number }).port
      await new Promise<void>((ok) => closed.close(() => ok()))
      const r = await runCli(['tables', 'list', '--endpoint', `http://127.0.0.1:${port}`])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`Cannot reach DynamoDB at http://127.0.0.1:${port}: connection refused, after 3 attempts.`)
    })

    it('no answer: exit 1 after the timeout instead of hanging', async () => {
      const r = await runCli(['tables', 'list', '--endpoint', `http://127.0.0.1:${silentPort}`, '--timeout', '1'], { timeoutMs: 30_000 })
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`Cannot reach DynamoDB at http://127.0.0.1:${silentPort}: no answer before the timeout, after 3 attempts.`)
    })
  })
})

describe('credentials never appear in output', () => {
  it('not with --verbose, not in errors, not in --json', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIADYNXTESTKEY12345', AWS_SECRET_ACCESS_KEY: 'dynx-super-secret-value-0123456789', AWS_SESSION_TOKEN: 'dynx-session-token-abcdef' }
    const endpoint = inject('engines').moto
    const runs = await Promise.all([
      runCli(['tables', 'list', '--endpoint', endpoint, '--verbose'], { env }),
      runCli(['tables', 'describe', 'no_such_table', '--endpoint', endpoint, '--verbose'], { env }),
      runCli(['tables', 'list', '--endpoint', endpoint, '--verbose', '--json'], { env }),
    ])
    expect(runs[0].stderr).toMatch(/connection: endpoint=http:\/\/127\.0\.0\.1:\d+ region=us-east-1 credentials=AWS SDK credential chain/)
    for (const r of runs) {
      for (const secret of Object.values(env)) {
        expect(r.stdout).not.toContain(secret)
        expect(r.stderr).not.toContain(secret)
      }
    }
  })
})
