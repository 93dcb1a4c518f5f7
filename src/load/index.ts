export * from './formats.js'
export * from './load-table.js'
export * from './sources.js'
export * from './target.js'
