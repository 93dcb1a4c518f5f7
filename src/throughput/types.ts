/**
 * Shapes shared by throughput status, bump, restore and the ledger. "Unit" is what DynamoDB
 * keeps capacity and a decrease quota for: a table, or one of its global secondary indexes.
 */

export type Dimension = 'read' | 'write'

/** How a unit's capacity is raised: UpdateTable provisioned values, on-demand maximums, or the auto-scaling minimum. */
export type Mechanism = 'provisioned' | 'on-demand' | 'auto-scaling'

/** What to raise for one table or index; a value left out is not touched. */
export interface CapacityRequest {
  read?: number
  write?: number
}

/** What to raise for one table: the table itself, named GSIs, and/or every GSI. */
export interface TableRequest {
  table: string
  capacity?: CapacityRequest
  indexes?: Record<string, CapacityRequest>
  /** Applied to every GSI; a value named for an index in `indexes` wins over it. */
  allIndexes?: CapacityRequest
}

export type ThroughputPlan = TableRequest[]

/** DynamoDB's decrease quota for one unit, worked out from DescribeTable at `now`. */
export interface DecreaseQuota {
  /** Decreases counted for the current UTC day (0 when the last one was on an earlier day). */
  decreasesToday: number
  lastDecreaseAt?: string
  lastIncreaseAt?: string
  /** Decreases still allowed today regardless of the hour rule (4 per UTC day). */
  anytimeLeft: number
  /** Whether DynamoDB would accept a decrease right now. */
  allowedNow: boolean
  /** When a decrease is not allowed now: the earliest time it will be (ISO 8601, UTC). */
  nextAllowedAt?: string
}

/** An Application Auto Scaling scalable target of a table or index dimension. */
export interface ScalingTarget {
  resourceId: string
  scalableDimension: string
  min: number
  max: number
  /** Target utilisation (percent) of its target-tracking policy, if any. */
  targetUtilization?: number
}

/** Capacity of one table or GSI as DynamoDB and Application Auto Scaling report it. */
export interface UnitThroughput {
  /** GSI name; absent for the table itself. */
  index?: string
  status: string
  /** Provisioned capacity (0 for on-demand). */
  read: number
  write: number
  /** On-demand maximums (OnDemandThroughput), absent when unset. */
  onDemandMaxRead?: number
  onDemandMaxWrite?: number
  decreases: DecreaseQuota
  autoScaling: { read?: ScalingTarget; write?: ScalingTarget }
}

export interface TableThroughput extends UnitThroughput {
  table: string
  /** DynamoDB's id of this table; a restore refuses a table of the same name with another id. */
  tableId?: string
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST'
  indexes: Array<UnitThroughput & { index: string }>
  /** False when the endpoint has no Application Auto Scaling (dynalite, DynamoDB Local). */
  autoScalingAvailable: boolean
}

/** One capacity change dynx makes (bump) and undoes (restore). */
export interface ThroughputChange {
  table: string
  index?: string
  dimension: Dimension
  mechanism: Mechanism
  /** Original value: provisioned units, on-demand maximum, or auto-scaling MinCapacity. */
  from: number
  /** Raised value. */
  to: number
  /** Auto scaling only: the original and raised MaxCapacity (raised when it was below `to`). */
  fromMax?: number
  toMax?: number
}

/** Something in the plan that needs no change, and why. */
export interface ThroughputSkip {
  table: string
  index?: string
  dimension: Dimension
  reason: string
}

/** Where the ledger's tables live, so `dynx throughput restore --ledger FILE` can reach them without flags. */
export interface LedgerConnection {
  endpoint?: string
  region?: string
  profile?: string
  /** The embedded --local engine (its port changes between runs). */
  local?: boolean
  /** The --local engine's store (DYNX_LOCAL_PATH at the time), so a restore opens the same one. */
  localPath?: string
}

export interface ThroughputProgress {
  stage: 'raising' | 'restoring' | 'waiting' | 'retrying'
  table: string
  /** stage 'retrying': what failed, and when the step is tried again. */
  retry?: { during: 'raising' | 'restoring' | 'checking'; error: string; attempt: number; delayMs: number; failingForMs: number; windowMs: number }
  status?: string
  pendingIndexes?: string[]
  elapsedMs?: number
}
