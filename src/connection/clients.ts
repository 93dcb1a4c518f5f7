import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling'
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import type { S3Client } from '@aws-sdk/client-s3'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { fromNodeProviderChain } from '@aws-sdk/credential-providers'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types'
import { createRequire } from 'node:module'

import { UserInputError } from '../errors.js'
import { DEFAULT_RETRY_WINDOW_MS, TimeBoundRetryStrategy, type RetryEvent, type RetryPolicyOptions } from './retry.js'

export interface ConnectionOptions {
  /** AWS region; falls back to the SDK's own resolution (AWS_REGION, profile config). */
  region?: string
  /** Named profile from ~/.aws/config and ~/.aws/credentials (SSO profiles included). */
  profile?: string
  /** Custom endpoint; falls back to AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint?: string
  /** Fixed credentials (the embedded engine's dummy ones); otherwise the SDK provider chain. */
  credentials?: AwsCredentialIdentity
  /** Per-request socket timeout. */
  requestTimeoutMs?: number
  /** Time allowed to open a connection. */
  connectTimeoutMs?: number
  /**
   * How long one call keeps retrying throttling, 5xx and network errors (resets, timeouts) before
   * it fails (default DEFAULT_RETRY_WINDOW_MS, 5 minutes); see TimeBoundRetryStrategy.
   */
  retryWindowMs?: number
  /** Backoff steps of the retry policy (tests shorten them). */
  retry?: Omit<RetryPolicyOptions, 'windowMs'>
  /** Human label of where this connection points, e.g. "embedded --local engine". */
  label?: string
  /** Settings the engine behind the endpoint is known to lack (the embedded engine's LOCAL_ENGINE_LACKS). */
  lacks?: readonly string[]
  /**
   * What names this engine from one run to the next when its endpoint does not: the embedded
   * engine listens on a new port each run, so its store folder names it (for checkpoints).
   */
  identity?: string
}

/** Everything a dynx operation needs to talk to one DynamoDB endpoint. */
export interface Connection {
  readonly dynamodb: DynamoDBClient
  readonly cloudwatch: CloudWatchClient
  readonly autoscaling: ApplicationAutoScalingClient
  /** S3, for DynamoDB's export to S3 and import from S3 and `load s3://` (path-style on a local emulator). */
  readonly s3: S3Client
  /** The endpoint URL, or undefined for the AWS regional default. */
  readonly endpoint: string | undefined
  /** Where requests go, for messages: the endpoint URL or "AWS DynamoDB (region)". */
  readonly label: string
  /** Settings the engine is known to lack; apply reports them as unsupported rather than drift. */
  readonly lacks: readonly string[]
  /** See ConnectionOptions.identity. */
  readonly identity?: string
  /** How long one call keeps retrying before it fails (the retry policy's window). */
  readonly retryWindowMs: number
  /** Hear every retry of any call made through this connection; returns a function that stops listening. */
  onRetry(listener: (event: RetryEvent) => void): () => void
  /** Region in use (resolved). */
  region(): Promise<string>
  /** Safe-to-print description: never contains credentials. */
  describe(): Promise<ConnectionDescription>
  destroy(): void
}

export interface ConnectionDescription {
  endpoint: string
  region: string
  profile?: string
  credentialSource: string
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000

/** Dummy credentials for local engines, which check none; never real ones. */
export const LOCAL_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'dynxlocal', secretAccessKey: 'dynxlocal' }

export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false
  try {
    const host = new URL(endpoint).hostname
    return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host)
  } catch {
    return false
  }
}

function validateEndpoint(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new UserInputError(`--endpoint "${endpoint}" is not a URL.`, 'Give a full URL such as http://localhost:8000 or https://dynamodb.eu-west-1.amazonaws.com.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserInputError(`--endpoint "${endpoint}" must use http or https.`, 'Example: http://localhost:8000')
  }
  return endpoint.replace(/\/+$/, '')
}

/** The endpoint without user:password, for messages and logs. */
export function redactEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint)
    if (!url.username && !url.password) return endpoint
    url.username = ''
    url.password = ''
    return url.toString().replace(/\/+$/, '')
  } catch {
    return endpoint
  }
}

/**
 * The CloudWatch, Auto Scaling and S3 clients are loaded on first use: most commands never need them,
 * and their packages cost every command start-up time. The SDK's packages have no "exports" map, so
 * `import` and `require` both load their CommonJS build: this is the same module (and class) that
 * a static import elsewhere gets.
 */
const load = createRequire(import.meta.url)

export function createConnection(options: ConnectionOptions = {}): Connection {
  const rawEndpoint = options.endpoint ?? (process.env.AWS_ENDPOINT_URL_DYNAMODB || undefined)
  const endpoint = rawEndpoint ? validateEndpoint(rawEndpoint) : undefined
  let credentialSource = 'AWS SDK credential chain'
  let credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider
  if (options.credentials) {
    credentials = options.credentials
    credentialSource = 'static (embedded engine)'
  } else {
    const chain = fromNodeProviderChain(options.profile ? { profile: options.profile } : {})
    const loopback = isLoopbackEndpoint(endpoint)
    credentials = async () => {
      try {
        return await chain()
      } catch (err) {
        if (loopback) {
          credentialSource = 'dummy (loopback endpoint, no AWS credentials found)'
          return LOCAL_CREDENTIALS
        }
        throw new UserInputError(
          `No AWS credentials found${options.profile ? ` for profile "${options.profile}"` : ''}: ${(err as Error).message}`,
          'Set AWS_PROFILE or --profile (run `aws sso login --profile NAME` for SSO), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; use --local for the embedded engine.',
          { cause: err },
        )
      }
    }
  }

  // Local engines ignore the region, so one is never required when an endpoint is given.
  const region = options.region ?? (endpoint && !process.env.AWS_REGION && !process.env.AWS_DEFAULT_REGION && !options.profile ? 'us-east-1' : undefined)
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // Without this the handler only logs a warning and the request hangs on a silent endpoint.
    throwOnRequestTimeout: true,
  })
  // One policy for every call of this connection (DynamoDB, CloudWatch, Auto Scaling): one strategy shared by its clients.
  const retryStrategy = new TimeBoundRetryStrategy({ ...options.retry, windowMs: options.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS })
  const common = {
    ...(region ? { region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    credentials,
    requestHandler,
    retryStrategy,
  }
  const dynamodb = new DynamoDBClient({ ...common, ...(endpoint ? { endpoint } : {}) })
  let cloudwatch: CloudWatchClient | undefined
  let autoscaling: ApplicationAutoScalingClient | undefined
  let s3: S3Client | undefined
  // CloudWatch, Auto Scaling and S3 share the endpoint only when it is a local emulator (moto serves them all).
  const sideEndpoint = endpoint && isLoopbackEndpoint(endpoint) ? { endpoint } : {}

  async function resolvedRegion(): Promise<string> {
    try {
      return await dynamodb.config.region()
    } catch (err) {
      throw new UserInputError('No AWS region is set.', 'Pass --region, set AWS_REGION, or add `region` to your profile in ~/.aws/config.', { cause: err })
    }
  }

  return {
    dynamodb,
    get cloudwatch() {
      cloudwatch ??= new (load('@aws-sdk/client-cloudwatch') as typeof import('@aws-sdk/client-cloudwatch')).CloudWatchClient({ ...common, ...sideEndpoint })
      return cloudwatch
    },
    get autoscaling() {
      autoscaling ??= new (load('@aws-sdk/client-application-auto-scaling') as typeof import('@aws-sdk/client-application-auto-scaling')).ApplicationAutoScalingClient({
        ...common,
        ...sideEndpoint,
      })
      return autoscaling
    },
    get s3() {
      // An emulator on one port cannot tell buckets apart by host name: path-style addressing there.
      s3 ??= new (load('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3')).S3Client({
        ...common,
        ...sideEndpoint,
        ...(sideEndpoint.endpoint ? { forcePathStyle: true } : {}),
      })
      return s3
    },
    endpoint,
    label: options.label ?? (endpoint ? redactEndpoint(endpoint) : `AWS DynamoDB${options.region ? ` (${options.region})` : ''}`),
    lacks: options.lacks ?? [],
    ...(options.identity ? { identity: options.identity } : {}),
    retryWindowMs: retryStrategy.windowMs,
    onRetry: (listener) => retryStrategy.onRetry(listener),
    region: resolvedRegion,
    async describe() {
      return {
        endpoint: endpoint ? redactEndpoint(endpoint) : 'AWS regional endpoint',
        region: await resolvedRegion(),
        ...(options.profile ? { profile: options.profile } : {}),
        credentialSource,
      }
    },
    destroy() {
      dynamodb.destroy()
      cloudwatch?.destroy()
      autoscaling?.destroy()
      s3?.destroy()
    },
  }
}

/** Where a connection points (endpoint, region, profile), for telling two connections apart; no secrets. */
export async function connectionIdentity(conn: Connection): Promise<string> {
  if (conn.identity) return conn.identity
  const d = await conn.describe()
  return `${d.endpoint}|${d.region}|${d.profile ?? ''}`
}

/**
 * Whether two tables are the same one: the same ARN (account, region, name) behind the same
 * endpoint. Two connections built from different flags can still reach one table.
 */
export function isSameTable(a: Connection, aArn: string | undefined, b: Connection, bArn: string | undefined): boolean {
  return Boolean(aArn) && aArn === bArn && a.endpoint === b.endpoint
}
