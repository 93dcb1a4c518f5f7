#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (needs `npx tsx`); bin/run.js runs the build.
import { execute } from '@oclif/core'

import { moveLeadingGlobalFlags } from '../src/cli/argv.ts'

await execute({ args: moveLeadingGlobalFlags(process.argv.slice(2)), development: true, dir: import.meta.url })
