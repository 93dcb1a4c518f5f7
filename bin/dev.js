#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (needs `npx tsx`); bin/run.js runs the build.
import { moveLeadingGlobalFlags } from '../src/cli/argv.ts'
import { keepHeapSmall } from '../src/cli/heap.ts'

keepHeapSmall()
const { execute } = await import('@oclif/core/execute')
await execute({ args: moveLeadingGlobalFlags(process.argv.slice(2)), development: true, dir: import.meta.url })
