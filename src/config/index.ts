export * from './config.js'
export * from './connections.js'
export { parseConfig } from './schema.js'
