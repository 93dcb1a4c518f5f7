import { UserInputError } from '../errors.js'

export const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/

/** `--prefix staging_` makes `users` mean `staging_users`. */
export function withPrefix(name: string, prefix = ''): string {
  return `${prefix}${name}`
}

/** The name relative to the prefix, or undefined when it does not carry it. */
export function withoutPrefix(name: string, prefix = ''): string | undefined {
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined
}

export function assertValidTableName(name: string, what = 'table name'): string {
  if (!TABLE_NAME_PATTERN.test(name)) {
    throw new UserInputError(`Invalid ${what} "${name}".`, 'DynamoDB table names are 3-255 characters of a-z, A-Z, 0-9, "_", "-" and ".".')
  }
  return name
}
