import * as z from 'zod/mini';
import { ServiceSpec } from './service.js';

/** Lifecycle states. CREATING → VALIDATING → READY → DELETING → DELETED; any failure ends in FAILED. */
export const ENVIRONMENT_STATUSES = ['CREATING', 'VALIDATING', 'READY', 'DELETING', 'DELETED', 'FAILED'] as const;
export const EnvironmentStatus = z.enum(ENVIRONMENT_STATUSES);
export type EnvironmentStatus = z.infer<typeof EnvironmentStatus>;

/** States in which an environment holds (or may hold) cloud resources. */
export const ACTIVE_STATUSES: readonly EnvironmentStatus[] = ['CREATING', 'VALIDATING', 'READY', 'DELETING'];
export const FINAL_STATUSES: readonly EnvironmentStatus[] = ['DELETED', 'FAILED'];

export const CHECK_NAMES = [
  'dns-a',
  'dns-aaaa',
  'http-ipv4',
  'http-ipv6',
  'probe-list-buckets',
  'probe-list-ec2',
  'vpc-ipv6-cidr',
  'egress-only-route',
  'alb-dualstack',
  'tasks-no-public-ip',
  // Only for an environment with a service (the team's own container behind the load balancer).
  'service-http-ipv4',
  'service-http-ipv6',
] as const;
export const CheckName = z.enum(CHECK_NAMES);
export type CheckName = z.infer<typeof CheckName>;

export const Check = z.object({
  name: CheckName,
  status: z.enum(['passed', 'failed', 'skipped']),
  detail: z.string(),
});
export type Check = z.infer<typeof Check>;

export const Validation = z.object({
  passed: z.boolean(),
  checkedAt: z.iso.datetime(),
  checks: z.array(Check),
});
export type Validation = z.infer<typeof Validation>;

/** What the blueprint's stack outputs become on the environment (plus local-mode URLs). */
export const EnvironmentOutputs = z.object({
  publicUri: z.optional(z.string()),
  vpcId: z.optional(z.string()),
  publicSubnetIds: z.optional(z.array(z.string())),
  privateSubnetIds: z.optional(z.array(z.string())),
  loadBalancerArn: z.optional(z.string()),
  clusterName: z.optional(z.string()),
  serviceName: z.optional(z.string()),
  /** Local mode only: URLs on the host at which the probe answers over IPv4 and IPv6. */
  localUrls: z.optional(z.array(z.string())),
});
export type EnvironmentOutputs = z.infer<typeof EnvironmentOutputs>;

/** Evidence that teardown really removed everything. */
export const TeardownReceipt = z.object({
  stackStatus: z.string(),
  deletedAt: z.optional(z.iso.datetime()),
  checkedAt: z.iso.datetime(),
  /** ARNs still tagged with the environment id when last checked (empty when clean). */
  remaining: z.array(z.string()),
  attempts: z.number().check(z.int(), z.nonnegative()),
});
export type TeardownReceipt = z.infer<typeof TeardownReceipt>;

/**
 * The stack operation an execution is waiting on (a `.waitForTaskToken` task): the task token to resume it with,
 * and the ClientRequestToken of the operation's attempt, so that events of an older attempt are told apart.
 */
export const StackWait = z.object({
  operation: z.enum(['create', 'delete']),
  /** Step Functions task tokens are up to 2,048 characters. */
  taskToken: z.string().check(z.minLength(1), z.maxLength(2048)),
  requestToken: z.string().check(z.minLength(1)),
});
export type StackWait = z.infer<typeof StackWait>;
/** One billable item of an environment and its price per hour. */
export const CostLine = z.object({
  item: z.string(),
  quantity: z.number(),
  unit: z.string(),
  unitUsd: z.number(),
  usdPerHour: z.number(),
});
export type CostLine = z.infer<typeof CostLine>;

/** The estimate an environment carries: per hour, for its whole lifetime, line by line. */
export const EnvironmentCost = z.object({
  currency: z.literal('USD'),
  hourlyUsd: z.number().check(z.nonnegative()),
  /** For the lifetime from creation to the current expiry. */
  totalUsd: z.number().check(z.nonnegative()),
  hours: z.number().check(z.nonnegative()),
  region: z.string(),
  priceDate: z.string(),
  breakdown: z.array(CostLine),
});
export type EnvironmentCost = z.infer<typeof EnvironmentCost>;

export const ENVIRONMENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,30}$/;

/** The record stored in the registry and (minus internal fields) returned by the API. */
export const Environment = z.object({
  id: z.string(),
  name: z.string().check(z.regex(ENVIRONMENT_NAME_PATTERN)),
  owner: z.string(),
  status: EnvironmentStatus,
  source: z.enum(['api', 'service-catalog']),
  provisionedProductId: z.optional(z.string()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  stackName: z.string(),
  stackId: z.optional(z.string()),
  imageUri: z.string(),
  /** The team's own container, when the environment runs one (the probe is then its sidecar). */
  service: z.optional(ServiceSpec),
  blueprint: z.object({ name: z.string(), version: z.string() }),
  outputs: EnvironmentOutputs,
  validation: z.optional(Validation),
  failureReason: z.optional(z.string()),
  teardown: z.optional(TeardownReceipt),
  /** The root stack's settled create status as the stack wait saw it, with the failed resources' reasons. */
  stack: z.optional(z.object({ status: z.string(), reason: z.optional(z.string()) })),
  /** The cost estimate (functions/domain/cost.ts), kept in step with expiresAt. */
  cost: z.optional(EnvironmentCost),
  /** ARN of the execution currently driving this environment (provision or teardown). Internal. */
  executionArn: z.optional(z.string()),
  /** The stack operation the current execution waits on. Internal. */
  wait: z.optional(StackWait),
  /** Optimistic-lock counter; every write is conditional on it. Internal. */
  version: z.number().check(z.int(), z.nonnegative()),
});
export type Environment = z.infer<typeof Environment>;

/** The API's view of an environment: everything but internal bookkeeping. */
export type EnvironmentView = Omit<Environment, 'version' | 'executionArn' | 'wait'>;
