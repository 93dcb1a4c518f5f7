/**
 * dynx as a library: `import { createConnection, createTable, listTables } from 'dynx'`.
 * Nothing here prints; progress comes through onProgress callbacks and results are typed.
 */
export * from './backup/index.js'
export * from './config/index.js'
export * from './connection/index.js'
export * from './copy/index.js'
export * from './data/batch-write.js'
export * from './errors.js'
export * from './exports/index.js'
export * from './load/index.js'
export * from './local/engine.js'
export * from './metrics/index.js'
export * from './outcome.js'
export * from './pitr/index.js'
export * from './tables/index.js'
export * from './data/rate-limit.js'
export * from './data/values.js'
export * from './scan/index.js'
export * from './verify/index.js'
export * from './throughput/index.js'
export * from './time.js'
