#!/usr/bin/env node
import { execute } from '@oclif/core'

import { moveLeadingGlobalFlags } from '../dist/src/cli/argv.js'

await execute({ args: moveLeadingGlobalFlags(process.argv.slice(2)), dir: import.meta.url })
