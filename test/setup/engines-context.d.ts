// Types `inject('engines')` in tests and `project.provide('engines', …)` in the global setup.
import type { EngineEndpoints } from './engines.js'

declare module 'vitest' {
  export interface ProvidedContext {
    engines: EngineEndpoints
  }
}
