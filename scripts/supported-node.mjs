// `prepare` step, run by `npm install` under whatever `node` is on PATH (plain JS for Node 18+).
//
// dynx needs Node.js 22+. When the running Node is older, this fetches Node 24 from the npm
// registry package node-<platform>-<arch> (`npm pack` + `tar`, no install scripts: npm here does
// not run dependencies' scripts, but runs the root package's own) into .node/, and links
// node_modules/.bin/node to it. npm puts node_modules/.bin first on PATH for `npx dynx` and for
// npm scripts, so bin/run.js (`#!/usr/bin/env node`), tsc and vitest then run on Node 24.
// On Node 22+ it does nothing. Re-runs with the binary in place only check the link.
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const NEEDED = 22
// A Node 24 release that exists for each platform package (they are not published in step).
const NODE_24 = {
  'linux-x64': '24.21.0',
  'linux-arm64': '24.22.1',
  'darwin-x64': '24.18.1',
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const found = process.versions.node
const requirement = `dynx needs Node.js ${NEEDED} or newer; this is Node.js ${found} (${process.execPath}).`

if (Number(found.split('.')[0]) >= NEEDED) process.exit(0)

const platform = `${process.platform}-${process.arch}`
const version = NODE_24[platform]
if (!version) {
  console.error(`${requirement} There is no Node 24 package for ${platform} on the npm registry to fetch: install Node.js ${NEEDED}+.`)
  process.exit(0)
}

const pkg = `node-${platform}`
const folder = join(root, '.node', `${pkg}-${version}`)
const binary = join(folder, 'bin', 'node')
const link = join(root, 'node_modules', '.bin', 'node')

try {
  if (!runs(binary, version)) fetchNode()
  linkNode()
  console.error(
    `Node.js ${found} is older than dynx needs (${NEEDED}+): npx dynx and npm scripts here run on Node.js ${version} (.node/${pkg}-${version}, linked from node_modules/.bin/node).`,
  )
} catch (err) {
  // Installing goes on (the library builds on older Node); dynx itself then says what it needs.
  console.error(`${requirement} Fetching ${pkg}@${version} failed (${err instanceof Error ? err.message.split('\n')[0] : err}): install Node.js ${NEEDED}+.`)
}

/** Whether `path` is a Node binary of that version. */
function runs(path, expected) {
  if (!existsSync(path)) return false
  try {
    return execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim() === expected
  } catch {
    return false
  }
}

function fetchNode() {
  const downloads = join(root, '.node')
  mkdirSync(downloads, { recursive: true })
  const tarball = npm(['pack', `${pkg}@${version}`, '--pack-destination', downloads, '--silent'])
    .trim()
    .split('\n')
    .pop()
  const file = join(downloads, tarball)
  rmSync(folder, { recursive: true, force: true })
  mkdirSync(folder, { recursive: true })
  execFileSync('tar', ['-xzf', file, '-C', folder, '--strip-components=1'], { stdio: 'inherit' })
  rmSync(file, { force: true })
  if (!runs(binary, version)) throw new Error(`${binary} does not run`)
}

/** npm itself: the one running this script when there is one (npm_execpath), else `npm` on PATH. */
function npm(args) {
  const execpath = process.env.npm_execpath
  const [command, pre] = execpath && /\.c?js$/.test(execpath) ? [process.execPath, [execpath]] : ['npm', []]
  return execFileSync(command, [...pre, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
}

function linkNode() {
  const target = relative(dirname(link), binary)
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return
    rmSync(link, { force: true })
  } catch {
    // No link yet.
  }
  mkdirSync(dirname(link), { recursive: true })
  symlinkSync(target, link)
}
