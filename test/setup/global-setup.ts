/**
 * Vitest global setup for the 'int' and 'cli' projects: starts dynalite,
 * DynamoDB Local and moto once, provides their endpoints as `engines`, and
 * stops exactly those on teardown. Global setups have no timeout of their own,
 * so the first (slow) moto virtualenv install does not eat into test timeouts.
 */
import type { TestProject } from 'vitest/node'
import { startDynalite, startDynamoDbLocal, startMotoServer, type Engine, type EngineEndpoints } from './engines.js'

interface SharedEngines {
  users: number
  ready: Promise<{ endpoints: EngineEndpoints; engines: Engine[] }>
}

// Both projects run this file in the same process but through separate module
// runners, so the shared state lives on globalThis rather than in this module.
const SHARED = Symbol.for('dynx.test.engines')
type GlobalWithEngines = typeof globalThis & { [SHARED]?: SharedEngines }

async function startAll(): Promise<{ endpoints: EngineEndpoints; engines: Engine[] }> {
  const started = performance.now()
  const results = await Promise.allSettled([startDynalite(), startDynamoDbLocal(), startMotoServer()])
  const engines = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
  if (failures.length > 0) {
    // Do not leave the engines that did start running behind a failed setup.
    await Promise.allSettled(engines.map((engine) => engine.stop()))
    if (failures.length === 1) throw failures[0]
    throw new AggregateError(failures, failures.map((failure) => (failure instanceof Error ? failure.message : String(failure))).join('\n\n'))
  }
  const [dynalite, dynamodbLocal, moto] = engines as [Engine, Engine, Engine]
  if (process.env.DYNX_TEST_TIMING !== undefined) {
    console.log(`[engines] started in ${((performance.now() - started) / 1000).toFixed(1)}s`)
  }
  return {
    endpoints: { dynalite: dynalite.endpoint, dynamodbLocal: dynamodbLocal.endpoint, moto: moto.endpoint },
    engines,
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = globalThis as GlobalWithEngines
  let state = shared[SHARED]
  if (state === undefined) {
    state = { users: 0, ready: startAll() }
    shared[SHARED] = state
  }
  state.users++
  let endpoints: EngineEndpoints
  try {
    ;({ endpoints } = await state.ready)
  } catch (error) {
    state.users--
    if (shared[SHARED] === state) delete shared[SHARED]
    throw error
  }
  project.provide('engines', endpoints)

  const owned = state
  let tornDown = false
  return async () => {
    if (tornDown) return
    tornDown = true
    owned.users--
    if (owned.users > 0) return
    if (shared[SHARED] === owned) delete shared[SHARED]
    const { engines } = await owned.ready
    const results = await Promise.allSettled(engines.map((engine) => engine.stop()))
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
    if (failures.length > 0) throw new AggregateError(failures, 'stopping the local DynamoDB engines failed')
  }
}
