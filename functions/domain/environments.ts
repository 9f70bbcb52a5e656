import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { CreateEnvironmentBody } from '../schemas/api.js';
import type { Environment, EnvironmentCost, EnvironmentStatus, EnvironmentView } from '../schemas/environment.js';
import type { ServiceSpec } from '../schemas/service.js';
import type { TimelineEvent } from '../schemas/timeline.js';
import { ConflictError, CostLimitExceededError, InputValidationError, NotFoundError } from '../shared/errors.js';
import { environmentCost, relifeCost, sizedInventory } from './cost.js';
import { startWorkflow } from './executions.js';
import {
  createExpirySchedule,
  deleteExpirySchedule,
  type ExpiryTimerDeps,
  type ScheduleAddress,
  updateExpirySchedule,
} from './expiry-timer.js';
import { cancelWarnings, scheduleWarnings, type WarningDeps } from './expiry-warnings.js';
import { newEnvironmentId, stackNameFor } from './ids.js';
import type { Clock, EnvironmentsConfig } from './ports.js';
import { assertCanCreate } from './quotas.js';
import type { Registry } from './registry.js';
import { assertProbeImageRunsLocally, assertServiceAllowed } from './service-rules.js';

/** What the API's lifecycle operations need; each client is typed down to `send`. */
export interface EnvironmentsDeps {
  registry: Pick<
    Registry,
    'put' | 'get' | 'listByOwner' | 'update' | 'remove' | 'countActiveByOwner' | 'countActive' | 'listEvents'
  >;
  sfn: Pick<SFNClient, 'send'>;
  scheduler: Pick<SchedulerClient, 'send'>;
  ec2: Pick<EC2Client, 'send'>;
  clock: Clock;
  config: EnvironmentsConfig;
  logger: {
    info(message: string, ...extra: unknown[]): void;
    warn(message: string, ...extra: unknown[]): void;
    error(message: string, ...extra: unknown[]): void;
  };
}

/** Statuses from which an environment can still be deleted or extended. */
const LIVE_STATUSES: readonly EnvironmentStatus[] = ['CREATING', 'VALIDATING', 'READY'];
const MINUTE_MS = 60_000;
const CONFLICT_RETRIES = 3;

/** The API's view: everything but internal bookkeeping. */
export function toView(env: Environment): EnvironmentView {
  const { version: _version, executionArn: _executionArn, wait: _wait, ...view } = env;
  return view;
}

function timerDeps(deps: Pick<EnvironmentsDeps, 'scheduler' | 'config'>): ExpiryTimerDeps {
  return {
    scheduler: deps.scheduler,
    scheduleGroup: deps.config.scheduleGroup,
    stateMachineArn: deps.config.stateMachineArn,
    schedulerRoleArn: deps.config.schedulerRoleArn,
  };
}

/** Deleting a schedule needs only its address: a function that never creates one is not given the target. */
function scheduleAddress(deps: Pick<EnvironmentsDeps, 'scheduler' | 'config'>): ScheduleAddress {
  return { scheduler: deps.scheduler, scheduleGroup: deps.config.scheduleGroup };
}

function warningDeps(deps: Pick<EnvironmentsDeps, 'scheduler' | 'config'>): WarningDeps {
  return {
    ...timerDeps(deps),
    leadsMinutes: deps.config.expiryWarningMinutes,
    warningFunctionArn: deps.config.warningFunctionArn,
  };
}

/**
 * Sets or cancels the `Expiring Soon` warnings. Not fatal: the expiry itself is what must not be lost, and a
 * warning that fires for an old expiry finds the environment changed and says nothing.
 */
async function setWarnings(
  deps: Pick<EnvironmentsDeps, 'scheduler' | 'config' | 'clock' | 'logger'>,
  id: string,
  expiresAt: string | undefined,
): Promise<void> {
  try {
    if (expiresAt === undefined) {
      await cancelWarnings({ ...scheduleAddress(deps), leadsMinutes: deps.config.expiryWarningMinutes }, id);
    } else {
      await scheduleWarnings(warningDeps(deps), id, expiresAt, deps.clock.now());
    }
  } catch (error) {
    deps.logger.info('could not set the expiry warnings', { environmentId: id, error: (error as Error).message });
  }
}

function workflowDeps(deps: Pick<EnvironmentsDeps, 'sfn' | 'config' | 'clock'>) {
  return { sfn: deps.sfn, stateMachineArn: deps.config.stateMachineArn, clock: deps.clock };
}

function assertTtlInRange(deps: Pick<EnvironmentsDeps, 'config'>, ttlMinutes: number): void {
  const { minTtlMinutes, maxTtlMinutes } = deps.config;
  if (ttlMinutes < minTtlMinutes || ttlMinutes > maxTtlMinutes) {
    throw new InputValidationError(`ttlMinutes must be between ${minTtlMinutes} and ${maxTtlMinutes}`);
  }
}

/** The estimate, unless it is over the platform's limit (nothing is changed then). */
function withinCostLimit(deps: Pick<EnvironmentsDeps, 'config'>, cost: EnvironmentCost): EnvironmentCost {
  const limit = deps.config.maxEstimatedCostUsd;
  if (cost.totalUsd > limit) {
    throw new CostLimitExceededError(
      `the estimated cost of $${cost.totalUsd.toFixed(2)} ($${cost.hourlyUsd.toFixed(4)}/h for ` +
        `${cost.hours.toFixed(1)} h) exceeds the limit of $${limit.toFixed(2)} per environment; choose a shorter ttl`,
    );
  }
  return cost;
}

/** An environment the caller owns; a missing one and someone else's look the same (no existence leak). */
export async function getEnvironment(
  deps: Pick<EnvironmentsDeps, 'registry'>,
  owner: string,
  id: string,
): Promise<Environment> {
  const env = await deps.registry.get(id);
  if (env === undefined || env.owner !== owner) throw new NotFoundError(`environment ${id} not found`);
  return env;
}

export async function listEnvironments(
  deps: Pick<EnvironmentsDeps, 'registry'>,
  owner: string,
  page: { limit?: number; nextToken?: string },
): Promise<{ items: EnvironmentView[]; nextToken?: string }> {
  const { items, nextToken } = await deps.registry.listByOwner(owner, page);
  return nextToken === undefined ? { items: items.map(toView) } : { items: items.map(toView), nextToken };
}

/** The timeline of an environment the caller owns, oldest first (404 like GET for anyone else's). */
export async function listEnvironmentEvents(
  deps: Pick<EnvironmentsDeps, 'registry'>,
  owner: string,
  id: string,
  page: { limit?: number; nextToken?: string },
): Promise<{ items: TimelineEvent[]; nextToken?: string }> {
  await getEnvironment(deps, owner, id);
  return deps.registry.listEvents(id, page);
}

/** Runs `undo` steps after a failure without hiding the original error. */
async function undo(
  deps: Pick<EnvironmentsDeps, 'logger'>,
  id: string,
  steps: Array<[string, () => Promise<void>]>,
): Promise<void> {
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      deps.logger.error(`could not undo ${what} after a failed creation`, { environmentId: id, error });
    }
  }
}

/** A lost conditional write, retried on fresh state: expected under concurrency, so one INFO line. */
function logConflictRetry(
  deps: Pick<EnvironmentsDeps, 'logger'>,
  environmentId: string,
  attempt: number,
  error: ConflictError,
): void {
  deps.logger.info('conflicting write; retrying on fresh state', {
    environmentId,
    attempt,
    maxAttempts: CONFLICT_RETRIES,
    reason: error.message,
  });
}

/**
 * Stores the execution that now drives the environment. The execution may already have written to the record
 * (its first task is quick), so on a version conflict re-read and retry while the status still allows it.
 */
async function recordExecution(
  deps: Pick<EnvironmentsDeps, 'registry' | 'logger'>,
  env: Environment,
  executionArn: string,
  allowedFrom: readonly EnvironmentStatus[],
): Promise<Environment> {
  let current = env;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deps.registry.update(current, { executionArn }, allowedFrom);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw error;
      logConflictRetry(deps, env.id, attempt, error);
      const fresh = await deps.registry.get(env.id);
      if (fresh === undefined || !allowedFrom.includes(fresh.status)) throw error;
      current = fresh;
    }
  }
}

/** A new environment, whichever door it came through (the API, a Service Catalog launch). */
export interface NewEnvironment {
  id: string;
  name: string;
  owner: string;
  /** Already checked against the TTL bounds by the caller (each door words its own message). */
  ttlMinutes: number;
  imageUri: string;
  /** The team's own container, already checked against the platform's rules by the caller. */
  service?: ServiceSpec;
  source: Environment['source'];
  /** The Service Catalog provisioned product it was launched as (source `service-catalog`). */
  provisionedProductId?: string;
}

/**
 * The one way an environment is registered: quota checks first (nothing is written when they fail), then the
 * record, the expiry schedule and the provision execution. A failed step undoes the earlier ones, so no record or
 * schedule is orphaned. Answers with the stored record (with its execution ARN when that could be stored).
 */
export async function registerEnvironment(deps: EnvironmentsDeps, request: NewEnvironment): Promise<Environment> {
  const { config } = deps;
  const { id, owner } = request;
  const now = deps.clock.now();
  const createdAt = now.toISOString();
  const expiresAt = new Date(now.getTime() + request.ttlMinutes * MINUTE_MS).toISOString();
  // The service's size where the request sets it; the blueprint's defaults otherwise.
  const inventory = sizedInventory(deps.config.costInventory, request.service);
  const cost = withinCostLimit(deps, environmentCost(inventory, createdAt, expiresAt));
  await assertCanCreate(deps, owner);

  const env: Environment = {
    id,
    name: request.name,
    owner,
    status: 'CREATING',
    source: request.source,
    ...(request.provisionedProductId === undefined ? {} : { provisionedProductId: request.provisionedProductId }),
    createdAt,
    updatedAt: createdAt,
    expiresAt,
    stackName: stackNameFor(id),
    imageUri: request.imageUri,
    ...(request.service === undefined ? {} : { service: request.service }),
    blueprint: { name: config.blueprintName, version: config.blueprintVersion },
    outputs: {},
    cost,
    version: 0,
  };
  await deps.registry.put(env);
  try {
    await createExpirySchedule(timerDeps(deps), id, env.expiresAt);
  } catch (error) {
    await undo(deps, id, [['the registry record', () => deps.registry.remove(env)]]);
    throw error;
  }
  let executionArn: string;
  try {
    executionArn = await startWorkflow(workflowDeps(deps), { action: 'provision', environmentId: id });
  } catch (error) {
    await undo(deps, id, [
      ['the expiry schedule', () => deleteExpirySchedule(scheduleAddress(deps), id)],
      ['the registry record', () => deps.registry.remove(env)],
    ]);
    throw error;
  }
  await setWarnings(deps, id, env.expiresAt);
  deps.logger.info('environment creation started', {
    environmentId: id,
    owner,
    source: env.source,
    provisionedProductId: env.provisionedProductId,
    executionArn,
  });
  try {
    return await recordExecution(deps, env, executionArn, LIVE_STATUSES);
  } catch (error) {
    // The execution runs and drives the environment; only the bookkeeping of its ARN is missing.
    deps.logger.error('could not store the provision execution ARN', { environmentId: id, executionArn, error });
    return env;
  }
}

/**
 * POST /environments: the body's name, TTL (or the default), probe image (or the default) and service, as the
 * caller's. A service whose image or secrets the platform does not allow is refused before anything is written.
 */
export async function createEnvironment(
  deps: EnvironmentsDeps,
  request: { owner: string; body: CreateEnvironmentBody },
): Promise<EnvironmentView> {
  const ttlMinutes = request.body.ttlMinutes ?? deps.config.defaultTtlMinutes;
  assertTtlInRange(deps, ttlMinutes);
  const { service } = request.body;
  const imageUri = request.body.imageUri ?? deps.config.defaultImageUri;
  assertProbeImageRunsLocally(deps.config.serviceRules, imageUri, deps.config.defaultImageUri);
  if (service !== undefined) assertServiceAllowed(deps.config.serviceRules, service);
  const env = await registerEnvironment(deps, {
    id: newEnvironmentId(),
    name: request.body.name,
    owner: request.owner,
    ttlMinutes,
    imageUri,
    ...(service === undefined ? {} : { service }),
    source: 'api',
  });
  return toView(env);
}

/**
 * Starts tearing an environment down (DELETING + teardown execution + no more expiry schedule). Deleting an
 * environment that is already DELETING, DELETED or FAILED changes nothing and answers with its current state.
 * `reason` is the teardown execution's (`deleted` for the API, `catalog-terminated` for a catalog termination).
 */
export async function deleteEnvironment(
  deps: Omit<EnvironmentsDeps, 'ec2'>,
  owner: string,
  id: string,
  reason = 'deleted',
): Promise<EnvironmentView> {
  let current = await getEnvironment(deps, owner, id);
  let deleting: Environment | undefined;
  for (let attempt = 1; deleting === undefined; attempt += 1) {
    if (!LIVE_STATUSES.includes(current.status)) return toView(current);
    try {
      deleting = await deps.registry.update(current, { status: 'DELETING' }, LIVE_STATUSES);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw error;
      logConflictRetry(deps, id, attempt, error);
      current = await getEnvironment(deps, owner, id);
    }
  }
  const executionArn = await startWorkflow(workflowDeps(deps), {
    action: 'teardown',
    environmentId: id,
    reason,
  });
  deps.logger.info('environment teardown started', { environmentId: id, reason, executionArn });
  try {
    await deleteExpirySchedule(scheduleAddress(deps), id);
    await setWarnings(deps, id, undefined);
  } catch (error) {
    // Not fatal: the teardown's StartTeardown deletes it too, and a stray expiry teardown finds nothing to do.
    deps.logger.error('could not delete the expiry schedule', { environmentId: id, error });
  }
  try {
    return toView(await recordExecution(deps, deleting, executionArn, ['DELETING']));
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // The teardown has moved on already (it writes the record itself): answer with what is stored now.
    return toView(await getEnvironment(deps, owner, id));
  }
}

/**
 * Sets a new time to live counted from now, capped at createdAt + MAX_LIFETIME_MINUTES, and moves the expiry
 * schedule. Only environments that are still live can be extended (ConflictError otherwise).
 */
export async function extendEnvironment(
  deps: Omit<EnvironmentsDeps, 'ec2' | 'sfn'>,
  owner: string,
  id: string,
  ttlMinutes: number,
): Promise<EnvironmentView> {
  assertTtlInRange(deps, ttlMinutes);
  let current = await getEnvironment(deps, owner, id);
  for (let attempt = 1; ; attempt += 1) {
    if (!LIVE_STATUSES.includes(current.status)) {
      throw new ConflictError(`environment ${id} is ${current.status} and can no longer be extended`);
    }
    const now = deps.clock.now().getTime();
    const lifetimeEnd = Date.parse(current.createdAt) + deps.config.maxLifetimeMinutes * MINUTE_MS;
    const expiresAtMs = Math.min(now + ttlMinutes * MINUTE_MS, lifetimeEnd);
    if (expiresAtMs <= now) throw new ConflictError(`environment ${id} has reached its maximum lifetime`);
    const expiresAt = new Date(expiresAtMs).toISOString();
    const cost = withinCostLimit(
      deps,
      current.cost === undefined
        ? environmentCost(deps.config.costInventory, current.createdAt, expiresAt)
        : relifeCost(current.cost, current.createdAt, expiresAt),
    );
    let updated: Environment;
    try {
      updated = await deps.registry.update(current, { expiresAt, cost }, LIVE_STATUSES);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= CONFLICT_RETRIES) throw error;
      logConflictRetry(deps, id, attempt, error);
      current = await getEnvironment(deps, owner, id);
      continue;
    }
    try {
      await updateExpirySchedule(timerDeps(deps), id, expiresAt);
      await setWarnings(deps, id, expiresAt);
    } catch (error) {
      try {
        await deps.registry.update(updated, { expiresAt: current.expiresAt, cost: current.cost }, LIVE_STATUSES);
      } catch (revertError) {
        deps.logger.error('could not restore expiresAt after the schedule update failed', {
          environmentId: id,
          revertError,
        });
      }
      throw error;
    }
    return toView(updated);
  }
}
