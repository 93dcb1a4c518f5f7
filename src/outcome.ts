import { ExitCode } from './errors.js'

/**
 * How a long job ended, as its typed result says (the CLI turns it into the exit code):
 * - `ok`: everything done;
 * - `partial`: done, but some items were dead-lettered or some tables (backups, settings) failed;
 * - `drift`: done, and it found differences (verify, apply --check, report --fail-on-throttle);
 * - `interrupted`: stopped by Ctrl-C/SIGTERM after cleaning up (progress saved where it can be).
 */
export type Outcome = 'ok' | 'partial' | 'drift' | 'interrupted'

export interface WithOutcome {
  outcome: Outcome
}

/** The documented exit code of each outcome (README, "Exit codes"). */
export const OUTCOME_EXIT_CODES: Readonly<Record<Outcome, number>> = {
  ok: ExitCode.ok,
  partial: ExitCode.failure,
  drift: ExitCode.drift,
  interrupted: ExitCode.interrupted,
}

// An interruption outranks failures (a re-run continues the job), and failures outrank differences.
const RANK: Outcome[] = ['interrupted', 'partial', 'drift', 'ok']

/** The outcome of a job made of parts: the worst of theirs (`ok` for none). */
export function worstOutcome(...outcomes: Array<Outcome | undefined>): Outcome {
  return RANK.find((o) => outcomes.includes(o)) ?? 'ok'
}
