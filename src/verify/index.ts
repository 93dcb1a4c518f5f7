export * from './canonical.js'
export * from './verify.js'
