import { execFile, execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

import { BIN, REPO, tempDir } from '../helpers.js'

// The machine's own Node (the one on PATH before npm's node_modules/.bin): what a user gets with `node`.
const SYSTEM_NODE = '/usr/bin/node'
const systemMajor = existsSync(SYSTEM_NODE) ? Number(execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim()) : undefined
const oldNode = systemMajor !== undefined && systemMajor < 22
const skipReason =
  systemMajor === undefined ? `there is no ${SYSTEM_NODE}` : `${SYSTEM_NODE} is Node ${systemMajor}, which dynx supports: there is no older Node here to run it with`
const needed = Number(/>=\s*(\d+)/.exec((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node)?.[1])

function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(file, args, { cwd: options.cwd ?? REPO, env: options.env ?? { PATH: '/usr/bin:/bin', HOME: process.env.HOME }, timeout: 60_000 }, (err, stdout, stderr) => {
      ok({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

describe.skipIf(!oldNode)(`an unsupported Node (${oldNode ? `${SYSTEM_NODE}, Node ${systemMajor}` : `skipped: ${skipReason}`})`, () => {
  it(`dynx prints one line naming Node ${needed} (package.json engines) and the version found, and exits 1`, async () => {
    const found = execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
    for (const args of [['scan', 'users', '--local'], ['--version'], ['bootstrap', '--local', '--prefix', 'x_']]) {
      const r = await run(SYSTEM_NODE, [BIN, ...args])
      expect(r.code, args.join(' ')).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr.trimEnd().split('\n'), 'one line, no SDK warning or stack').toHaveLength(1)
      expect(r.stderr).toContain(`dynx needs Node.js ${needed} or newer; this is Node.js ${found}`)
    }
  })

  it('checks before loading any module: a bin/run.js with no build next to it still prints the one line', async () => {
    const dir = tempDir('dynx-node-check-')
    mkdirSync(join(dir, 'bin'))
    copyFileSync(BIN, join(dir, 'bin', 'run.js'))
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
    const r = await run(SYSTEM_NODE, [join(dir, 'bin', 'run.js'), 'tables', 'list'], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).not.toContain('ERR_MODULE_NOT_FOUND')
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
  })

  const script = readFileSync(join(REPO, 'scripts', 'supported-node.mjs'), 'utf8')
  const platform = `${process.platform}-${process.arch}`
  const version = new RegExp(`'${platform}': '([0-9.]+)'`).exec(script)?.[1]

  it.skipIf(!version)(`prepare (scripts/supported-node.mjs) links node_modules/.bin/node to the Node 24 in .node/, once, and says so in one line`, async () => {
    // A root with a Node 24 already fetched (a stand-in answering its version), so no registry is needed.
    const root = tempDir('dynx-prepare-')
    mkdirSync(join(root, 'scripts'))
    copyFileSync(join(REPO, 'scripts', 'supported-node.mjs'), join(root, 'scripts', 'supported-node.mjs'))
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true })
    const bin = join(root, '.node', `node-${platform}-${version}`, 'bin')
    mkdirSync(bin, { recursive: true })
    writeFileSync(join(bin, 'node'), `#!/bin/sh\necho ${version}\n`)
    chmodSync(join(bin, 'node'), 0o755)
    for (let i = 0; i < 2; i++) {
      const r = await run(SYSTEM_NODE, [join(root, 'scripts', 'supported-node.mjs')], { cwd: root })
      expect(r.code).toBe(0)
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining(`npx dynx and npm scripts here run on Node.js ${version}`)])
      expect(readlinkSync(join(root, 'node_modules', '.bin', 'node'))).toBe(join('..', '..', '.node', `node-${platform}-${version}`, 'bin', 'node'))
    }
  })
})

describe('a supported Node', () => {
  it(`prepare does nothing on Node ${process.versions.node}: no .node folder, no link, no output`, async () => {
    const root = tempDir('dynx-prepare-')
    mkdirSync(join(root, 'scripts'))
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true })
    copyFileSync(join(REPO, 'scripts', 'supported-node.mjs'), join(root, 'scripts', 'supported-node.mjs'))
    const r = await run(process.execPath, [join(root, 'scripts', 'supported-node.mjs')], { cwd: root })
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(existsSync(join(root, '.node'))).toBe(false)
    expect(existsSync(join(root, 'node_modules', '.bin', 'node'))).toBe(false)
  })
})
