#!/usr/bin/env node
// Writes oclif.manifest.json (run by `npm run build`, after tsc): the commands' ids, flags and
// args, so oclif finds a command and prints help without importing every command module. This is
// what the `oclif manifest` command of the oclif CLI does, without that package's dependencies.
import { Plugin } from '@oclif/core'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, URL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const file = join(root, 'oclif.manifest.json')
await rm(file, { force: true })
const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true })
await plugin.load()
const count = Object.keys(plugin.manifest.commands).length
if (count === 0) throw new Error(`no commands found under ${root} (run tsc first)`)
await writeFile(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`)
process.stdout.write(`wrote ${file} (${count} commands)\n`)
