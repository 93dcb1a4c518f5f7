export * from './backups.js'
export * from './prune.js'
export * from './reconcile.js'
export * from './restore.js'
