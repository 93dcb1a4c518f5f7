export * from './canonical.js'
export * from './verify.js'
export * from './files.js'
