#!/usr/bin/env node
// The Node check comes first and loads nothing: on an older Node, one line instead of the AWS SDK's
// deprecation warning and a TypeError. Everything else is imported after it.
const NODE_NEEDED = 22 // package.json "engines"
const found = process.versions.node
if (Number(found.split('.')[0]) < NODE_NEEDED) {
  process.stderr.write(
    `dynx needs Node.js ${NODE_NEEDED} or newer; this is Node.js ${found} (${process.execPath}). Install Node.js ${NODE_NEEDED}+ (in a clone of dynx, \`npm install\` fetches Node 24 for npx and npm scripts).\n`,
  )
  process.exit(1)
}

// V8's compile cache (as tsc and other Node CLIs use): from the second run on, the modules of oclif,
// the AWS SDK and dynx are read compiled from os.tmpdir()/node-compile-cache instead of being
// parsed and compiled again, a third of `dynx tables list`'s start-up. Only for this process (child
// processes are not told); NODE_DISABLE_COMPILE_CACHE=1 turns it off. Node 22.0 lacks it.
const { enableCompileCache } = await import('node:module')
enableCompileCache?.()

const { moveLeadingGlobalFlags } = await import('../dist/cli/argv.js')
const { keepHeapSmall } = await import('../dist/cli/heap.js')

keepHeapSmall()
// oclif's execute, or a command run straight from the manifest without oclif's main.js (fast-run.ts).
const { run } = await import('../dist/cli/fast-run.js')
await run(moveLeadingGlobalFlags(process.argv.slice(2)), { dir: import.meta.url })
