import { homedir } from 'node:os'
import { join } from 'node:path'

/** Where dynx keeps its state (checkpoints, dead letters, ledgers): $DYNX_HOME, default ~/.dynx. */
export function dynxHome(): string {
  return process.env.DYNX_HOME || join(homedir(), '.dynx')
}
