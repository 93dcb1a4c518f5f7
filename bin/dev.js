#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (needs `npx tsx`); bin/run.js runs the build.
const NODE_NEEDED = 22 // package.json "engines"
if (Number(process.versions.node.split('.')[0]) < NODE_NEEDED) {
  process.stderr.write(`dynx needs Node.js ${NODE_NEEDED} or newer, and this is Node.js ${process.versions.node} (${process.execPath}).\n`)
  process.exit(1)
}

const { moveLeadingGlobalFlags } = await import('../src/cli/argv.ts')
const { keepHeapSmall } = await import('../src/cli/heap.ts')

keepHeapSmall()
const { run } = await import('../src/cli/fast-run.ts')
await run(moveLeadingGlobalFlags(process.argv.slice(2)), { development: true, dir: import.meta.url })
