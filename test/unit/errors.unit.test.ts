import { describe, expect, it } from 'vitest'

import { DynxError, EndpointUnreachableError, TableNotFoundError, UnsupportedByEngineError, UserInputError, toDynxError } from '../../src/errors.js'

/** An error shaped as the AWS SDK throws a service exception of that name. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } })
}

describe('toDynxError: every failure gets a message, a hint and a documented exit code', () => {
  it("keeps dynx's own errors as they are", () => {
    const own = new TableNotFoundError('users')
    expect(toDynxError(own, 'DynamoDB')).toBe(own)
  })

  it('AWS rejecting the request itself (ValidationException, TableAlreadyExistsException...) is bad input, exit 2', () => {
    for (const name of ['ValidationException', 'LimitExceededException', 'TableAlreadyExistsException', 'BackupInUseException']) {
      const e = toDynxError(awsError(name, 'One or more parameter values were invalid'), 'DynamoDB')
      expect(e, name).toBeInstanceOf(UserInputError)
      expect(e.exitCode).toBe(2)
      expect(e.message).toBe('DynamoDB rejected the request: One or more parameter values were invalid')
    }
  })

  it('refused credentials are a failure (exit 1) with what to do about them', () => {
    const e = toDynxError(awsError('ExpiredTokenException', 'The security token included in the request is expired'), 'DynamoDB')
    expect(e).not.toBeInstanceOf(UserInputError)
    expect(e.exitCode).toBe(1)
    expect(e.message).toBe('AWS refused the credentials (ExpiredTokenException): The security token included in the request is expired')
    expect(e.hint).toContain('aws sso login')
  })

  it('a refused connection names the endpoint; an unknown operation is the engine lacking it (exit 2)', () => {
    const refused = toDynxError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'http://127.0.0.1:9')
    expect(refused).toBeInstanceOf(EndpointUnreachableError)
    expect(refused.message).toBe('Cannot reach DynamoDB at http://127.0.0.1:9: connection refused.')
    const unknown = toDynxError(awsError('UnknownOperationException', ''), 'http://127.0.0.1:9')
    expect(unknown).toBeInstanceOf(UnsupportedByEngineError)
    expect(unknown.exitCode).toBe(2)
  })

  it('anything else is a failure (exit 1) keeping its name and cause', () => {
    const cause = awsError('InternalServerError', 'boom')
    const e = toDynxError(cause, 'DynamoDB')
    expect(e).toBeInstanceOf(DynxError)
    expect([e.exitCode, e.message, e.cause]).toEqual([1, 'InternalServerError: boom', cause])
    expect(toDynxError(new Error('plain'), 'DynamoDB').message).toBe('plain')
  })
})
