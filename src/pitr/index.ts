export * from './pitr.js'
