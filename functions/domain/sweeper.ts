import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteStackCommand,
  ListStacksCommand,
  type StackStatus,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ACTIVE_STATUSES, type Environment, FINAL_STATUSES } from '../schemas/environment.js';
import type { WorkflowInput } from '../schemas/workflow.js';
import { environmentIdOfStackName } from './naming.js';
import type { Clock } from './ports.js';
import type { Registry } from './registry.js';
import {
  type CatalogProductsPort,
  catalogEnvironmentId,
  REGISTRATION_LOGICAL_ID,
  sweepTerminateToken,
} from './service-catalog.js';
import { type CloudFormationPort, describeStack } from './stacks.js';

export type SweeperLogger = Pick<Logger, 'info' | 'warn'>;

export interface SweeperDeps {
  registry: Pick<Registry, 'get' | 'update' | 'listByStatus'>;
  sfn: Pick<SFNClient, 'send'>;
  cfn: CloudFormationPort;
  /** Starts a lifecycle execution and returns its ARN (executions.startWorkflow). */
  startWorkflow(input: WorkflowInput): Promise<string>;
  /** The environment's expiry schedule (expiry-timer). */
  expiry: {
    exists(environmentId: string): Promise<boolean>;
    create(environmentId: string, expiresAt: string): Promise<void>;
  };
  clock: Clock;
  logger: SweeperLogger;
  /** Service Catalog: the account's provisioned products. Absent: no catalog, nothing to terminate. */
  catalog?: CatalogProductsPort;
  config: {
    /** CFN_ROLE_ARN; without it CloudFormation uses the role the stack was created with. */
    cfnRoleArn?: string;
    /** STUCK_AFTER_MINUTES */
    stuckAfterMinutes: number;
    /**
     * How long a record may have no execution before it counts as lost: the API writes the record just before it
     * starts the execution.
     * @default 2
     */
    graceMinutes?: number;
  };
}

export interface SweepSummary {
  scanned: number;
  expired: number;
  restarted: number;
  schedulesRecreated: number;
  stuck: number;
  /** Active environments whose stack was deleted or lost outside the control plane: torn down, ending FAILED. */
  stacksVanished: number;
  orphanStacksDeleted: number;
  /** Provisioned products left behind by a catalog environment that is already DELETED or FAILED: terminated. */
  leftoverProductsTerminated: number;
  errors: number;
}

/** Stack statuses of stacks that still exist (everything but DELETE_COMPLETE). */
const LIVE_STACK_STATUSES: StackStatus[] = [
  'CREATE_IN_PROGRESS',
  'CREATE_FAILED',
  'CREATE_COMPLETE',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'UPDATE_IN_PROGRESS',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_COMPLETE',
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'REVIEW_IN_PROGRESS',
  'IMPORT_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED',
  'IMPORT_ROLLBACK_COMPLETE',
];

type ExecutionState = 'RUNNING' | 'ENDED' | 'LOST';

async function executionState(sfn: SweeperDeps['sfn'], executionArn: string | undefined): Promise<ExecutionState> {
  if (executionArn === undefined) return 'LOST';
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'RUNNING' : 'ENDED';
  } catch (error) {
    if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return 'LOST';
    throw error;
  }
}

const minutes = (n: number) => n * 60_000;

/**
 * Repairs what events alone cannot guarantee. For every environment in a non-final status:
 * - expired and not DELETING → DELETING and a teardown execution (reason `expired`);
 * - its execution gone or ended while the status is not settled → the right action restarted
 *   (CREATING/VALIDATING → provision, DELETING → teardown);
 * - READY without its expiry schedule → the schedule recreated;
 * - READY, or CREATING/VALIDATING without a running execution, while its stack no longer exists (deleted by hand,
 *   or lost) → DELETING with a failure reason and a teardown execution (reason `stack-vanished`), so the teardown
 *   verifies nothing tagged remains and the environment ends FAILED, saying what happened;
 * - in a non-final status longer than STUCK_AFTER_MINUTES with a running execution → reported only.
 * Then every `dsenv-env-*` stack without a record, or whose record is DELETED/FAILED, is deleted.
 * The stacks are listed once per sweep (after the records, so a record's stack is older than the listing) and the
 * listing serves both the vanished-stack and the orphan-stack repairs. One environment's failure is logged and
 * counted; the sweep goes on.
 */
export async function sweep(deps: SweeperDeps): Promise<SweepSummary> {
  const summary: SweepSummary = {
    scanned: 0,
    expired: 0,
    restarted: 0,
    schedulesRecreated: 0,
    stuck: 0,
    stacksVanished: 0,
    orphanStacksDeleted: 0,
    leftoverProductsTerminated: 0,
    errors: 0,
  };
  const lists = await Promise.all(ACTIVE_STATUSES.map((status) => deps.registry.listByStatus(status)));
  let stacks: EnvironmentStack[] | undefined;
  try {
    stacks = await listEnvironmentStacks(deps.cfn);
  } catch (error) {
    // Without a listing nothing can be said about vanished or orphan stacks; the other repairs go on.
    summary.errors++;
    deps.logger.warn('sweeper could not list the stacks', { error: (error as Error).message });
  }
  const liveStacks = stacks === undefined ? undefined : new Map(stacks.map((s) => [s.environmentId, s.stack]));
  for (const environment of lists.flat()) {
    summary.scanned++;
    try {
      const action = await repairEnvironment(deps, environment, liveStacks);
      if (action !== undefined) summary[action]++;
    } catch (error) {
      summary.errors++;
      deps.logger.warn('sweeper could not repair an environment', {
        environmentId: environment.id,
        error: (error as Error).message,
      });
    }
  }
  try {
    if (stacks !== undefined) summary.orphanStacksDeleted = await deleteOrphanStacks(deps, stacks);
  } catch (error) {
    summary.errors++;
    deps.logger.warn('sweeper could not delete orphan stacks', { error: (error as Error).message });
  }
  try {
    if (deps.catalog !== undefined)
      summary.leftoverProductsTerminated = await terminateLeftoverProducts(deps, deps.catalog);
  } catch (error) {
    summary.errors++;
    deps.logger.warn('sweeper could not terminate leftover provisioned products', { error: (error as Error).message });
  }
  deps.logger.info('sweep finished', { ...summary });
  return summary;
}

type RepairAction = 'expired' | 'restarted' | 'schedulesRecreated' | 'stacksVanished' | 'stuck';

/** Live environment stacks by environment id (the sweep's one listing); undefined when it could not be listed. */
type LiveStacks = ReadonlyMap<string, StackSummary> | undefined;

async function repairEnvironment(
  deps: SweeperDeps,
  environment: Environment,
  liveStacks: LiveStacks,
): Promise<RepairAction | undefined> {
  const now = deps.clock.now();
  const { id, status } = environment;
  // The expiry schedule fires at expiresAt; the sweeper only takes over once it is clearly overdue, so the two do
  // not start competing teardowns.
  const overdue = now.getTime() - Date.parse(environment.expiresAt) > minutes(deps.config.graceMinutes ?? 2);
  if (overdue && status !== 'DELETING') {
    const deleting = await deps.registry.update(environment, { status: 'DELETING' }, [status]);
    const executionArn = await deps.startWorkflow({ action: 'teardown', environmentId: id, reason: 'expired' });
    await deps.registry.update(deleting, { executionArn }, ['DELETING']);
    deps.logger.info('expired environment: teardown started', { environmentId: id, executionArn });
    return 'expired';
  }
  if (status === 'READY') {
    if (await stackVanished(deps, environment, liveStacks)) return tearDownVanished(deps, environment);
    if (await deps.expiry.exists(id)) return undefined;
    await deps.expiry.create(id, environment.expiresAt);
    deps.logger.info('expiry schedule recreated', { environmentId: id, expiresAt: environment.expiresAt });
    return 'schedulesRecreated';
  }
  const state = await executionState(deps.sfn, environment.executionArn);
  const quietFor = now.getTime() - Date.parse(environment.updatedAt);
  if (state === 'RUNNING') {
    if (quietFor <= minutes(deps.config.stuckAfterMinutes)) return undefined;
    deps.logger.warn('environment stuck with a running execution', {
      environmentId: id,
      status,
      executionArn: environment.executionArn,
      minutesSinceUpdate: Math.floor(quietFor / 60_000),
    });
    return 'stuck';
  }
  // No execution recorded, or the recorded one ended, while the record was written moments ago: a new execution is
  // at work whose ARN is not stored yet (a DELETE's teardown that wrote first); a second one would compete with it.
  const unrecorded = environment.executionArn === undefined || state === 'ENDED';
  if (unrecorded && quietFor < minutes(deps.config.graceMinutes ?? 2)) return undefined;
  // Restarting the provisioning of a stack that no longer exists would wait on nothing: the lost execution's
  // environment is torn down instead.
  if (status !== 'DELETING' && (await stackVanished(deps, environment, liveStacks))) {
    return tearDownVanished(deps, environment);
  }
  const action = status === 'DELETING' ? 'teardown' : 'provision';
  const executionArn = await deps.startWorkflow({ action, environmentId: id, reason: 'sweeper' });
  await deps.registry.update(environment, { executionArn }, [status]);
  deps.logger.info('lost execution: restarted', { environmentId: id, status, action, executionArn });
  return 'restarted';
}

/**
 * Whether the environment's stack is gone: it has a stack id, the sweep's listing has no live stack of that id, and
 * CloudFormation confirms it (DELETE_COMPLETE, or unknown). The confirmation, one call for a suspect only, keeps a
 * listing that lags behind from tearing down a live environment.
 */
async function stackVanished(deps: SweeperDeps, environment: Environment, liveStacks: LiveStacks): Promise<boolean> {
  const { stackId } = environment;
  if (stackId === undefined || liveStacks === undefined) return false;
  const listed = liveStacks.get(environment.id);
  if (listed !== undefined && (listed.StackId === undefined || listed.StackId === stackId)) return false;
  const stack = await describeStack(deps.cfn, stackId);
  return stack === undefined || stack.StackStatus === 'DELETE_COMPLETE';
}

/**
 * DELETING with a failure reason (kept by the teardown, which then ends FAILED instead of DELETED), and a teardown
 * execution that verifies nothing tagged with the environment remains.
 */
async function tearDownVanished(deps: SweeperDeps, environment: Environment): Promise<RepairAction> {
  const { id, status } = environment;
  const what = `stack ${environment.stackName} disappeared outside the control plane while the environment was ${status}`;
  const failureReason = environment.failureReason ? `${environment.failureReason}; then ${what}` : what;
  const deleting = await deps.registry.update(environment, { status: 'DELETING', failureReason }, [status]);
  const executionArn = await deps.startWorkflow({ action: 'teardown', environmentId: id, reason: 'stack-vanished' });
  await deps.registry.update(deleting, { executionArn }, ['DELETING']);
  deps.logger.warn('stack vanished: teardown started', {
    environmentId: id,
    status,
    stackId: environment.stackId,
    executionArn,
  });
  return 'stacksVanished';
}

interface EnvironmentStack {
  stack: StackSummary;
  environmentId: string;
}

async function listEnvironmentStacks(cfn: CloudFormationPort): Promise<EnvironmentStack[]> {
  const found: EnvironmentStack[] = [];
  let nextToken: string | undefined;
  do {
    const output = await cfn.send(
      new ListStacksCommand({ StackStatusFilter: LIVE_STACK_STATUSES, NextToken: nextToken }),
    );
    for (const stack of output.StackSummaries ?? []) {
      const environmentId = environmentIdOfStackName(stack.StackName ?? '');
      // Nested stacks (ParentId set) go with their parent.
      if (environmentId !== undefined && stack.ParentId === undefined) found.push({ stack, environmentId });
    }
    nextToken = output.NextToken;
  } while (nextToken !== undefined);
  return found;
}

async function deleteOrphanStacks(deps: SweeperDeps, stacks: readonly EnvironmentStack[]): Promise<number> {
  let deleted = 0;
  for (const { stack, environmentId } of stacks) {
    if (stack.StackStatus === 'DELETE_IN_PROGRESS') continue;
    const environment = await deps.registry.get(environmentId);
    if (environment !== undefined && !FINAL_STATUSES.includes(environment.status)) continue;
    await deps.cfn.send(
      new DeleteStackCommand({ StackName: stack.StackId ?? stack.StackName, RoleARN: deps.config.cfnRoleArn }),
    );
    deps.logger.warn('orphan stack deleted', {
      environmentId,
      stackId: stack.StackId,
      record: environment?.status ?? 'none',
    });
    deleted++;
  }
  return deleted;
}

/** Product statuses in which a termination may start (not while the catalog is changing it). */
const TERMINABLE_PRODUCT_STATUSES = new Set(['AVAILABLE', 'TAINTED', 'ERROR']);

/**
 * Terminates every provisioned product whose environment (the one its registration created: the id derives from
 * the product's stack) is already DELETED or FAILED, so the catalog shows nothing stale even when the teardown's own
 * termination was lost. A product whose stack is gone is terminated with IgnoreErrors (there is nothing to delete).
 * Products of other environments, and launches that never registered one, are left alone.
 */
async function terminateLeftoverProducts(deps: SweeperDeps, catalog: CatalogProductsPort): Promise<number> {
  let terminated = 0;
  for (const product of await catalog.list()) {
    if (!TERMINABLE_PRODUCT_STATUSES.has(product.status) || product.stackId === undefined) continue;
    const environment = await deps.registry.get(catalogEnvironmentId(product.stackId, REGISTRATION_LOGICAL_ID));
    if (environment?.provisionedProductId !== product.id || !FINAL_STATUSES.includes(environment.status)) continue;
    const stack = await describeStack(deps.cfn, product.stackId);
    const stackGone = stack === undefined || stack.StackStatus === 'DELETE_COMPLETE';
    await catalog.terminate(product.id, sweepTerminateToken(environment.id, product.lastRecordId), stackGone);
    deps.logger.warn('leftover provisioned product terminated', {
      environmentId: environment.id,
      provisionedProductId: product.id,
      environmentStatus: environment.status,
      productStackGone: stackGone,
    });
    terminated++;
  }
  return terminated;
}
