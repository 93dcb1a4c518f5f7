#!/usr/bin/env node
// Bundles what bin/run.js loads (run by `npm run build`, after tsc, before the manifest): a command
// then reads a few files instead of several hundred small modules of oclif, the AWS SDK and dynx.
//
//  - Input is tsc's output (same code as dist/src). Entry points: every command, written back to
//    dist/commands (where oclif, the manifest and bin/dev.js's source mapping expect them), and
//    bin/run.js's three modules, written to dist/cli. Code shared between entry points goes to
//    dist/chunks; each dynamic import() gets its own chunk, so what a command loads lazily (ora,
//    yaml, zod, pick lists, the throughput plan...) is still loaded only when used.
//  - ESM packages (the AWS SDK's dist-es builds included) are tree-shaken; CommonJS ones (oclif)
//    are wrapped and run on first require. A dynamic import() of a CommonJS module then only has a
//    `default` export (module.exports): dynx's own code reads `.default` there, as Node gives it too.
//  - Left out, loaded from node_modules as before: dynalite (native leveldown), typescript (oclif
//    tries it for development only), and the CloudWatch and Auto Scaling clients (loaded on first
//    use through createRequire in src/connection/clients.ts, which a bundle cannot follow: bundled,
//    the Command classes would come from another copy than the client).
//  - dist/src stays tsc's unbundled output: `import { copyTable } from "dynx"` is unchanged.
//  - dist/bundle.json: for each output file, the modules it holds (test/cli/startup.cli.test.ts
//    reads it to tell which packages a command loaded).
import { build } from 'esbuild'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, URL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')

async function jsFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [])))
  return nested.flat()
}

const commands = await jsFiles(join(dist, 'commands'))
if (commands.length === 0) throw new Error(`no compiled commands under ${join(dist, 'commands')} (run tsc first)`)
const entryPoints = {
  ...Object.fromEntries(commands.map((file) => [relative(dist, file).replace(/\.js$/, ''), file])),
  ...Object.fromEntries(['argv', 'heap', 'fast-run'].map((name) => [`cli/${name}`, join(dist, 'src', 'cli', `${name}.js`)])),
}

// oclif sorts command ids with localeCompare when it loads a plugin: the first localeCompare of a
// process starts ICU's collator, about 5 ms of every start-up. Command ids are ASCII, for which a
// plain comparison gives the same order. Where the line is not there (another oclif), nothing is
// changed and the build says so.
const ASCII_SORT = {
  name: 'oclif-ascii-id-sort',
  setup(b) {
    b.onLoad({ filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8')
      const from = '.sort((a, b) => a.id.localeCompare(b.id))'
      if (!source.includes(from)) {
        process.stderr.write(`bundle: ${from} not found in ${path}; oclif's sort left as it is\n`)
        return undefined
      }
      return { contents: source.replace(from, '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))'), loader: 'js' }
    })
  },
}

const result = await build({
  plugins: [ASCII_SORT],
  absWorkingDir: root,
  entryPoints,
  outdir: dist,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // The SDK's ESM builds (tree-shaken) before its CommonJS ones.
  mainFields: ['module', 'main'],
  alias: {
    // Its ESM build loads node:http with import(), and an ESM import of node:http makes Node load
    // its bundled undici (http's WebSocket export), ~20 ms; the CommonJS build requires it.
    '@smithy/node-http-handler': './node_modules/@smithy/node-http-handler/dist-cjs/index.js',
  },
  external: ['dynalite', 'typescript', '@aws-sdk/client-cloudwatch', '@aws-sdk/client-application-auto-scaling'],
  // CommonJS modules in an ESM bundle call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __dynxCreateRequire } from 'node:module'; const require = __dynxCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  write: false,
  logLevel: 'warning',
})

// tsc's unbundled commands (and their .d.ts and maps) make way for the bundled ones; earlier chunks go.
await Promise.all(['commands', 'chunks', 'cli'].map((dir) => rm(join(dist, dir), { recursive: true, force: true })))
for (const file of result.outputFiles) {
  await mkdir(dirname(file.path), { recursive: true })
  await writeFile(file.path, file.contents)
}
const holds = Object.fromEntries(
  Object.entries(result.metafile.outputs)
    .filter(([out]) => out.endsWith('.js'))
    .map(([out, { inputs }]) => [out, Object.keys(inputs).sort()]),
)
await writeFile(join(dist, 'bundle.json'), `${JSON.stringify(holds, null, 1)}\n`)
process.stdout.write(`bundled ${commands.length} commands and bin/run.js's modules into ${relative(root, dist)} (${Object.keys(holds).length} files)\n`)
