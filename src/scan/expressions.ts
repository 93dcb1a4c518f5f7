import { UserInputError } from '../errors.js'

export interface Projection {
  expression: string
  names: Record<string, string>
  /** Top-level attribute names, in the order given (CSV columns). */
  columns: string[]
}

/**
 * `--attributes name,status,address.city,tags[0]` as a ProjectionExpression. Every name part
 * becomes a placeholder, so reserved words (name, status, size, ...) and names with dots or
 * dashes never need escaping by hand.
 */
export function buildProjection(attributes: string[]): Projection {
  const names: Record<string, string> = {}
  const byName = new Map<string, string>()
  const placeholder = (part: string) => {
    let p = byName.get(part)
    if (!p) {
      p = `#dynx${byName.size}`
      byName.set(part, p)
      names[p] = part
    }
    return p
  }
  const paths: string[] = []
  const columns: string[] = []
  for (const raw of attributes) {
    const attr = raw.trim()
    if (!attr) continue
    // A path: parts separated by dots, each part optionally followed by [n] list indexes.
    const parts = attr.split('.')
    const out: string[] = []
    for (const part of parts) {
      const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part)
      if (!m) {
        throw new UserInputError(
          `--attributes: "${attr}" is not an attribute path.`,
          'Use names separated by commas; nested paths like address.city and list elements like tags[0] are allowed.',
        )
      }
      out.push(placeholder(m[1]) + m[2])
    }
    paths.push(out.join('.'))
    const top = /^[^.[]+/.exec(attr)![0]
    if (!columns.includes(top)) columns.push(top)
  }
  if (paths.length === 0) throw new UserInputError('--attributes is empty.', 'Name at least one attribute, e.g. --attributes id,name.')
  return { expression: paths.join(', '), names, columns }
}
