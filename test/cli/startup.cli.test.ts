import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, inject, it } from 'vitest'

import { REPO, runCli, tempDir } from '../helpers.js'

/**
 * The modules in the files a process loaded: a file of the bundle that `npm run build` writes
 * (scripts/bundle.js) stands for the modules it holds, as dist/bundle.json lists them.
 */
function modulesIn(files: string[]): string[] {
  const holds = JSON.parse(readFileSync(join(REPO, 'dist', 'bundle.json'), 'utf8')) as Record<string, string[]>
  const base = `${pathToFileURL(REPO).href}/`
  return files.flatMap((url) => {
    const held = url.startsWith(base) ? holds[url.slice(base.length)] : undefined
    return held ? held.map((path) => base + path) : [url]
  })
}

/** A preload that appends every module URL the process loads (ESM and CommonJS) to a file; `files` as loaded, `loaded` with each bundle file's modules. */
function moduleTrace(): { env: Record<string, string>; files: () => string[]; loaded: () => string[] } {
  const dir = tempDir('dynx-startup-')
  const out = join(dir, 'loaded.txt')
  const hook = join(dir, 'trace.mjs')
  writeFileSync(out, '')
  writeFileSync(
    hook,
    `import { registerHooks } from 'node:module'
import { appendFileSync } from 'node:fs'
registerHooks({ load(url, context, next) { appendFileSync(${JSON.stringify(out)}, url + '\\n'); return next(url, context) } })
`,
  )
  const files = () => readFileSync(out, 'utf8').split('\n').filter(Boolean)
  return { env: { NODE_OPTIONS: `--import ${pathToFileURL(hook).href}` }, files, loaded: () => modulesIn(files()) }
}

const commandModules = (loaded: string[]) => loaded.filter((u) => u.includes('/dist/commands/')).map((u) => u.slice(u.indexOf('/dist/commands/') + '/dist/commands/'.length))
const packagesLoaded = (loaded: string[]) => new Set(loaded.filter((u) => u.includes('/node_modules/')).map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]))

// What only some commands use: never loaded by --version or tables list.
const NOT_AT_START_UP = [
  '@aws-sdk/client-s3',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-application-auto-scaling',
  'zod',
  'yaml',
  'ora',
  '@inquirer/search',
  '@inquirer/core',
  'dynalite',
]

describe('start-up: a command loads only what it uses', () => {
  it('the build writes oclif.manifest.json with every command', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
    const ids = files(join(REPO, 'commands')).map((f) =>
      relative(join(REPO, 'commands'), f)
        .replace(/\.ts$/, '')
        .replace(/\/index$/, '')
        .replaceAll('/', ':'),
    )
    const manifest = JSON.parse(readFileSync(join(REPO, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }
    expect(Object.keys(manifest.commands).sort()).toEqual(ids.sort())
  })

  it('dynx --version loads no command, no AWS SDK and none of the optional packages', async () => {
    const trace = moduleTrace()
    const r = await runCli(['--version'], { env: trace.env })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^dynx\/\d/)
    const loaded = trace.loaded()
    expect(loaded.length).toBeGreaterThan(0) // the trace works
    expect(commandModules(loaded)).toEqual([])
    const packages = packagesLoaded(loaded)
    expect([...packages].filter((p) => p?.startsWith('@aws-sdk/'))).toEqual([])
    expect(NOT_AT_START_UP.filter((p) => packages.has(p))).toEqual([])
  })

  it('dynx tables list loads its own command module and the DynamoDB client, nothing it does not use', async () => {
    const trace = moduleTrace()
    const r = await runCli(['tables', 'list', '--endpoint', inject('engines').dynalite], { env: trace.env })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // The bundle is what runs: the command's file and a few shared chunks, not oclif's or the SDK's own files.
    const files = trace.files()
    expect(files.some((u) => u.includes('/dist/chunks/'))).toBe(true)
    expect(files.filter((u) => u.includes('/node_modules/@oclif/') || u.includes('/node_modules/@aws-sdk/'))).toEqual([])
    const loaded = trace.loaded()
    expect(commandModules(loaded)).toEqual(['tables/list.js'])
    const packages = packagesLoaded(loaded)
    expect(packages.has('@aws-sdk/client-dynamodb')).toBe(true)
    expect(NOT_AT_START_UP.filter((p) => packages.has(p))).toEqual([])
  })

  it('a command runs without oclif main.js (the fast path); --version and help still go through it', async () => {
    const oclifMain = (loaded: string[]) => loaded.filter((u) => /@oclif\/core\/lib\/(main|execute)\.js$/.test(u)).map((u) => u.slice(u.lastIndexOf('/') + 1))
    const list = moduleTrace()
    const r = await runCli(['--json', 'tables', 'list', '--endpoint', inject('engines').dynalite], { env: list.env })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(expect.objectContaining({ tables: expect.any(Array) }))
    expect(oclifMain(list.loaded())).toEqual([])
    for (const args of [['--version'], ['tables', '--help'], ['tables']]) {
      const trace = moduleTrace()
      const other = await runCli(args, { env: trace.env })
      expect(other.code).toBe(0)
      expect(oclifMain(trace.loaded()).sort()).toEqual(['execute.js', 'main.js'])
    }
  })

  it('a parse error on the fast path: exit 2, the message and the usage on stderr, as oclif prints them', async () => {
    const r = await runCli(['tables', 'list', '--nosuch'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('Nonexistent flag: --nosuch')
    expect(r.stderr).toMatch(/USAGE\s+\$ dynx tables list/)
  })

  it('dynx copy with no --bump-* loads neither zod nor the Application Auto Scaling client', async () => {
    const trace = moduleTrace()
    const r = await runCli(['copy', 'nosuch_source', 'nosuch_target', '--endpoint', inject('engines').dynalite, '--yes'], { env: trace.env })
    expect(r.stderr).toContain('nosuch_source')
    expect(r.code).toBe(2)
    expect(commandModules(trace.loaded())).toEqual(['copy.js'])
    const packages = packagesLoaded(trace.loaded())
    expect(packages.has('@aws-sdk/client-dynamodb')).toBe(true)
    expect(['zod', '@aws-sdk/client-application-auto-scaling'].filter((p) => packages.has(p))).toEqual([])
  })

  it('a dynx.config.yaml is still read (yaml and zod are loaded for it)', async () => {
    const dir = tempDir('dynx-startup-config-')
    writeFileSync(join(dir, 'dynx.config.yaml'), 'defaults:\n  prefix: nosuchprefix_\n')
    const trace = moduleTrace()
    const r = await runCli(['tables', 'list', '--endpoint', inject('engines').dynalite, '--json'], { env: trace.env, cwd: dir })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(expect.objectContaining({ tables: [] }))
    const packages = packagesLoaded(trace.loaded())
    expect(packages.has('yaml') && packages.has('zod')).toBe(true)
  })
})
