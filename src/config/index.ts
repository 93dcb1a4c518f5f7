export * from './config.js'
export { parseConfig } from './schema.js'
