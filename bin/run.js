#!/usr/bin/env node
import { moveLeadingGlobalFlags } from '../dist/src/cli/argv.js'
import { keepHeapSmall } from '../dist/src/cli/heap.js'

keepHeapSmall()
const { execute } = await import('@oclif/core/execute')
await execute({ args: moveLeadingGlobalFlags(process.argv.slice(2)), dir: import.meta.url })
