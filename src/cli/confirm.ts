import { createInterface } from 'node:readline/promises'

import { NotConfirmedError } from '../errors.js'
import { interruptedAtPrompt, isPromptInterrupt } from './interrupts.js'

export interface ConfirmOptions {
  /** --yes was given. */
  yes: boolean
  /** What the user must type on a terminal (e.g. the table name); "yes" by default. */
  expected?: string
  /** The flag that skips the question, for the non-interactive message. */
  flag?: string
  input?: NodeJS.ReadStream
  output?: NodeJS.WriteStream
}

/**
 * Asks before a destructive or production-facing action. With --yes it passes; on a terminal it
 * wants the expected answer typed; with no terminal it never blocks and refuses instead.
 */
export async function confirmAction(question: string, options: ConfirmOptions): Promise<void> {
  if (options.yes) return
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stderr
  const expected = options.expected ?? 'yes'
  if (!input.isTTY) {
    throw new NotConfirmedError(`${question} Not confirmed: stdin is not a terminal.`, `Re-run with ${options.flag ?? '--yes'} to confirm.`)
  }
  const rl = createInterface({ input, output })
  // Ctrl-C at the prompt is a byte readline reads (the terminal is in raw mode), not a signal.
  const ctrlC = new Promise<never>((_, reject) =>
    rl.once('SIGINT', () => {
      output.write('\n')
      reject(interruptedAtPrompt())
    }),
  )
  try {
    const answer = (await Promise.race([rl.question(`${question} Type "${expected}" to continue: `), ctrlC])).trim()
    if (answer !== expected) throw new NotConfirmedError('Not confirmed; nothing was changed.')
  } catch (err) {
    // Ctrl-D (end of input) closes readline: no answer, so not confirmed.
    if (isPromptInterrupt(err)) {
      output.write('\n')
      throw new NotConfirmedError('Not confirmed (no answer); nothing was changed.')
    }
    throw err
  } finally {
    rl.close()
  }
}
