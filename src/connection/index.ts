export * from './clients.js'
export * from './names.js'
export * from './call.js'
export * from './retry.js'
