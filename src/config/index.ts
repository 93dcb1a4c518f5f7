export * from './config.js'
export * from './connections.js'
