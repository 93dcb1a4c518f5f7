/**
 * What an `import()` of a CommonJS package (oclif, yaml) exports, whoever loaded it: Node gives
 * module.exports as `default` and the named exports beside it; the bundle of `npm run build`
 * (scripts/bundle.js) only as `default`; tsx (bin/dev.js) only the named exports.
 */
export function commonJs<T extends object>(imported: T): T {
  const exports = (imported as { default?: unknown }).default
  return (exports !== null && typeof exports === 'object' ? exports : imported) as T
}
