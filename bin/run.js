#!/usr/bin/env node
import { fileURLToPath } from 'node:url'

import { moveLeadingGlobalFlags } from '../dist/src/cli/argv.js'
import { followLauncher, relaunchWithTightHeap, shouldRelaunch } from '../dist/src/cli/relaunch.js'

const args = moveLeadingGlobalFlags(process.argv.slice(2))
if (shouldRelaunch(args)) {
  relaunchWithTightHeap(fileURLToPath(import.meta.url), process.argv.slice(2))
} else {
  followLauncher()
  const { execute } = await import('@oclif/core')
  await execute({ args, dir: import.meta.url })
}
