import search from '@inquirer/search'

import { InterruptedError } from '../errors.js'
import { isPromptInterrupt } from './interrupts.js'

export interface PickIo {
  input?: NodeJS.ReadableStream
  output?: NodeJS.WritableStream
}

/**
 * A searchable list of table names on the terminal: typing filters (case-insensitive, anywhere
 * in the name), arrows move, Enter picks. Ctrl-C is an interruption (exit 130).
 */
export async function pickTable(names: string[], io: PickIo = {}): Promise<string> {
  try {
    return await search(
      {
        message: 'Which table? (type to filter)',
        source: (term) => {
          const t = (term ?? '').toLowerCase()
          return names.filter((n) => n.toLowerCase().includes(t)).map((n) => ({ value: n }))
        },
        pageSize: 15,
      },
      { input: io.input ?? process.stdin, output: io.output ?? process.stderr, clearPromptOnDone: false },
    )
  } catch (err) {
    if (isPromptInterrupt(err)) throw new InterruptedError('No table picked.')
    throw err
  }
}
