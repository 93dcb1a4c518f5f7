import { afterEach, describe, expect, it } from 'vitest'

import { createConnection, isLoopbackEndpoint } from '../../src/connection/clients.js'
import { EndpointUnreachableError, UnsupportedByEngineError, UserInputError, explainAwsError } from '../../src/errors.js'

const saved = { ...process.env }
afterEach(() => {
  process.env = { ...saved }
})

describe('connections', () => {
  it('takes the endpoint from AWS_ENDPOINT_URL_DYNAMODB when --endpoint is not given', () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:8123/'
    const conn = createConnection({ region: 'eu-west-1' })
    expect(conn.endpoint).toBe('http://127.0.0.1:8123')
    expect(createConnection({ endpoint: 'http://localhost:9000', region: 'eu-west-1' }).endpoint).toBe('http://localhost:9000')
  })

  it('rejects an endpoint that is not an http(s) URL as bad input', () => {
    expect(() => createConnection({ endpoint: 'localhost:8000' })).toThrow(UserInputError)
    expect(() => createConnection({ endpoint: 'ftp://x' })).toThrow(/must use http or https/)
  })

  it('describes itself without credentials', async () => {
    const conn = createConnection({ endpoint: 'http://127.0.0.1:1', region: 'us-west-2', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret' } })
    const text = JSON.stringify(await conn.describe())
    expect(text).toContain('us-west-2')
    expect(text).not.toContain('very-secret')
    expect(text).not.toContain('AKIAEXAMPLE')
  })

  it('never shows a password given in the endpoint URL', async () => {
    const conn = createConnection({ endpoint: 'http://admin:s3cretpw@127.0.0.1:1', region: 'us-east-1' })
    expect(conn.label).toBe('http://127.0.0.1:1')
    expect(JSON.stringify(await conn.describe())).not.toContain('s3cretpw')
  })

  it('knows loopback endpoints', () => {
    expect(isLoopbackEndpoint('http://127.0.0.1:8000')).toBe(true)
    expect(isLoopbackEndpoint('http://localhost:8000')).toBe(true)
    expect(isLoopbackEndpoint('https://dynamodb.us-east-1.amazonaws.com')).toBe(false)
  })
})

describe('AWS errors become typed dynx errors naming the endpoint', () => {
  it('maps refused connections and timeouts', () => {
    const refused = explainAwsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'http://x:1')
    expect(refused).toBeInstanceOf(EndpointUnreachableError)
    expect((refused as Error).message).toBe('Cannot reach DynamoDB at http://x:1: connection refused.')
    const timeout = explainAwsError(Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'http://x:1')
    expect((timeout as Error).message).toContain('no answer before the timeout')
  })

  it('a reset is not called a timeout, though NodeHttpHandler names it TimeoutError; the attempts made are told', () => {
    const reset = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: { attempts: 12 } })
    expect((explainAwsError(reset, 'http://x:1') as Error).message).toBe('Cannot reach DynamoDB at http://x:1: connection reset (ECONNRESET), after 12 attempts.')
  })

  it('maps an unknown operation (what dynalite answers for PITR) to UnsupportedByEngineError', () => {
    const err = explainAwsError(Object.assign(new Error(''), { name: 'UnknownOperationException' }), 'http://x:1', 'UpdateContinuousBackups')
    expect(err).toBeInstanceOf(UnsupportedByEngineError)
    expect((err as Error).message).toContain('does not support UpdateContinuousBackups')
  })

  it('leaves other errors alone', () => {
    const other = Object.assign(new Error('bad'), { name: 'ValidationException' })
    expect(explainAwsError(other, 'x')).toBe(other)
  })
})
