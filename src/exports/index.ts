export * from './export.js'
export * from './import.js'
export * from './s3.js'
export * from './s3-url.js'
