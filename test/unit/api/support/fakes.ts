import {
  DescribeEgressOnlyInternetGatewaysCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type EgressOnlyInternetGateway,
  type Vpc,
} from '@aws-sdk/client-ec2';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { type SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { quotedInventory } from '../../../../blueprints/blueprint-inventory.js';
import { loadBlueprint } from '../../../../blueprints/template-loader.js';
import type { EnvironmentsDeps } from '../../../../functions/domain/environments.js';
import type { EnvironmentChanges, Page } from '../../../../functions/domain/registry.js';
import { timelineOfChange } from '../../../../functions/domain/timeline.js';
import {
  ACTIVE_STATUSES,
  type Environment,
  type EnvironmentStatus,
} from '../../../../functions/schemas/environment.js';
import type { TimelineEvent } from '../../../../functions/schemas/timeline.js';
import { ConflictError } from '../../../../functions/shared/errors.js';
import { FixedClock } from '../../../support/index.js';

export function awsError(name: string, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(name), { name, $fault: fault, $metadata: {} });
}

/** Fails the next call of `operation` once with `error`. */
class FailureInjection {
  readonly #failures = new Map<string, Error>();
  failNext(operation: string, error: Error): void {
    this.#failures.set(operation, error);
  }
  protected maybeFail(operation: string): void {
    const error = this.#failures.get(operation);
    if (error !== undefined) {
      this.#failures.delete(operation);
      throw error;
    }
  }
}

/** An in-memory registry with the real one's conditional semantics (put only creates; update checks version + status). */
export class InMemoryRegistry
  extends FailureInjection
  implements Pick<EnvironmentsDeps['registry'], keyof EnvironmentsDeps['registry']>
{
  readonly items = new Map<string, Environment>();
  /** Each environment's timeline, derived from its writes as the registry's change stream derives it. */
  readonly timelines = new Map<string, TimelineEvent[]>();
  constructor(private readonly clock: { now(): Date }) {
    super();
  }

  private record(before: Environment | undefined, after: Environment): void {
    const events = timelineOfChange(before, after).map((entry) => entry.event);
    this.timelines.set(after.id, [...(this.timelines.get(after.id) ?? []), ...events]);
  }

  async put(env: Environment): Promise<void> {
    this.maybeFail('put');
    if (this.items.has(env.id)) throw new ConflictError(`environment ${env.id} already exists`);
    this.items.set(env.id, structuredClone(env));
    this.record(undefined, env);
  }

  async listEvents(id: string, page: Page = {}): Promise<{ items: TimelineEvent[]; nextToken?: string }> {
    const all = this.timelines.get(id) ?? [];
    const start = page.nextToken === undefined ? 0 : Number(page.nextToken);
    const limit = page.limit ?? 50;
    const items = all.slice(start, start + limit);
    return start + limit < all.length ? { items, nextToken: String(start + limit) } : { items };
  }

  async get(id: string): Promise<Environment | undefined> {
    this.maybeFail('get');
    const env = this.items.get(id);
    return env === undefined ? undefined : structuredClone(env);
  }

  async listByOwner(owner: string, page: Page = {}): Promise<{ items: Environment[]; nextToken?: string }> {
    const all = [...this.items.values()]
      .filter((e) => e.owner === owner)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const start = page.nextToken === undefined ? 0 : Number(page.nextToken);
    const limit = page.limit ?? 25;
    const items = all.slice(start, start + limit);
    return start + limit < all.length ? { items, nextToken: String(start + limit) } : { items };
  }

  async countActiveByOwner(owner: string): Promise<number> {
    return [...this.items.values()].filter((e) => e.owner === owner && ACTIVE_STATUSES.includes(e.status)).length;
  }

  async countActive(): Promise<number> {
    return [...this.items.values()].filter((e) => ACTIVE_STATUSES.includes(e.status)).length;
  }

  async update(
    current: Environment,
    changes: EnvironmentChanges,
    allowedFrom: readonly EnvironmentStatus[],
  ): Promise<Environment> {
    this.maybeFail('update');
    const stored = this.items.get(current.id);
    if (stored === undefined || stored.version !== current.version || !allowedFrom.includes(stored.status)) {
      throw new ConflictError(`environment ${current.id} changed meanwhile`);
    }
    const next: Environment = { ...stored, version: stored.version + 1, updatedAt: this.clock.now().toISOString() };
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete (next as Record<string, unknown>)[key];
      else (next as Record<string, unknown>)[key] = value;
    }
    this.items.set(current.id, structuredClone(next));
    this.record(stored, next);
    return structuredClone(next);
  }

  async remove(current: Environment): Promise<void> {
    this.maybeFail('remove');
    const stored = this.items.get(current.id);
    if (stored === undefined || stored.version !== current.version) throw new ConflictError('changed meanwhile');
    this.items.delete(current.id);
    this.timelines.delete(current.id);
  }

  /** Simulates another writer (e.g. a workflow task) changing the record. */
  touch(id: string, changes: Partial<Environment>): void {
    const stored = this.items.get(id);
    if (stored === undefined) throw new Error(`no ${id}`);
    this.items.set(id, { ...stored, ...changes, version: stored.version + 1 });
  }
}

/** Scheduler with the behaviour measured on the real service: duplicate name → ConflictException, missing → ResourceNotFoundException. */
export class FakeScheduler extends FailureInjection {
  readonly schedules = new Map<string, CreateScheduleCommandInput>();

  async send(command: object): Promise<object> {
    if (command instanceof CreateScheduleCommand) {
      this.maybeFail('create');
      const key = `${command.input.GroupName}/${command.input.Name}`;
      if (this.schedules.has(key)) throw awsError('ConflictException');
      this.schedules.set(key, command.input);
      return { ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${key}` };
    }
    if (command instanceof UpdateScheduleCommand) {
      this.maybeFail('update');
      const key = `${command.input.GroupName}/${command.input.Name}`;
      if (!this.schedules.has(key)) throw awsError('ResourceNotFoundException');
      this.schedules.set(key, command.input);
      return {};
    }
    if (command instanceof DeleteScheduleCommand) {
      this.maybeFail('delete');
      const key = `${command.input.GroupName}/${command.input.Name}`;
      if (!this.schedules.delete(key)) throw awsError('ResourceNotFoundException');
      return {};
    }
    if (command instanceof GetScheduleCommand) {
      this.maybeFail('get');
      const schedule = this.schedules.get(`${command.input.GroupName}/${command.input.Name}`);
      if (schedule === undefined) throw awsError('ResourceNotFoundException');
      return { ...schedule };
    }
    throw new Error(`FakeScheduler does not know ${command.constructor.name}`);
  }

  asClient(): Pick<SchedulerClient, 'send'> {
    return this as unknown as Pick<SchedulerClient, 'send'>;
  }
}

export class FakeStepFunctions extends FailureInjection {
  readonly started: StartExecutionCommandInput[] = [];

  async send(command: object): Promise<object> {
    if (command instanceof StartExecutionCommand) {
      this.maybeFail('start');
      if (this.started.some((s) => s.name === command.input.name)) throw awsError('ExecutionAlreadyExists');
      this.started.push(command.input);
      const machine = command.input.stateMachineArn?.split(':').pop();
      return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:${machine}:${command.input.name}` };
    }
    throw new Error(`FakeStepFunctions does not know ${command.constructor.name}`);
  }

  asClient(): Pick<SFNClient, 'send'> {
    return this as unknown as Pick<SFNClient, 'send'>;
  }
}

/** EC2 answering DescribeVpcs / DescribeEgressOnlyInternetGateways one item per page, to exercise paging. */
export class FakeEc2 extends FailureInjection {
  vpcs: Vpc[] = [{ VpcId: 'vpc-default', IsDefault: true }];
  gateways: EgressOnlyInternetGateway[] = [];
  calls = 0;

  async send(command: object): Promise<object> {
    this.calls += 1;
    if (command instanceof DescribeVpcsCommand) {
      this.maybeFail('vpcs');
      const i = Number(command.input.NextToken ?? 0);
      return { Vpcs: this.vpcs.slice(i, i + 1), NextToken: i + 1 < this.vpcs.length ? String(i + 1) : undefined };
    }
    if (command instanceof DescribeEgressOnlyInternetGatewaysCommand) {
      const i = Number(command.input.NextToken ?? 0);
      return {
        EgressOnlyInternetGateways: this.gateways.slice(i, i + 1),
        NextToken: i + 1 < this.gateways.length ? String(i + 1) : undefined,
      };
    }
    throw new Error(`FakeEc2 does not know ${command.constructor.name}`);
  }

  asClient(): Pick<EC2Client, 'send'> {
    return this as unknown as Pick<EC2Client, 'send'>;
  }
}

export { FixedClock };

export const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const TEST_CONFIG: EnvironmentsDeps['config'] = {
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:dsenv-lifecycle',
  schedulerRoleArn: 'arn:aws:iam::123456789012:role/dsenv-scheduler',
  scheduleGroup: 'dsenv',
  blueprintName: 'dual-stack-fargate',
  blueprintVersion: '1.0.0',
  defaultImageUri: 'public.ecr.aws/nginx/nginx:stable',
  defaultTtlMinutes: 240,
  minTtlMinutes: 30,
  maxTtlMinutes: 10080,
  maxLifetimeMinutes: 10080,
  maxActivePerOwner: 3,
  regionCapacity: 5,
  serviceRules: {
    region: 'us-east-1',
    pullThroughPrefixes: ['123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub'],
    secretPrefixes: ['arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/'],
  },
  costInventory: quotedInventory(loadBlueprint()),
  maxEstimatedCostUsd: 50,
  expiryWarningMinutes: [30, 5],
  warningFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dsenv-expiry-warning',
};

export function fakeDeps(now = new Date('2026-03-01T12:00:00.000Z')) {
  const clock = new FixedClock(now);
  const registry = new InMemoryRegistry(clock);
  const scheduler = new FakeScheduler();
  const sfn = new FakeStepFunctions();
  const ec2 = new FakeEc2();
  const deps: EnvironmentsDeps = {
    registry,
    scheduler: scheduler.asClient(),
    sfn: sfn.asClient(),
    ec2: ec2.asClient(),
    clock,
    config: { ...TEST_CONFIG },
    logger: silentLogger,
  };
  return { deps, clock, registry, scheduler, sfn, ec2 };
}
