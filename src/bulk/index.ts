export * from './delete.js'
export * from './select.js'
export * from './update.js'
export * from './conditions.js'
