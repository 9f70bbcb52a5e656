import {
  CloudFormationClient,
  DeleteStackCommand,
  ListStacksCommand,
  type StackSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SweeperDeps, sweep } from '../../../functions/domain/sweeper.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import type { WorkflowInput } from '../../../functions/schemas/workflow.js';
import { anEnvironment, FakeRegistry, fixedClock, recordingLogger } from '../../fixtures/workflow/fakes.js';

const cfnMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const NOW = '2026-11-25T12:00:00.000Z';
const RUNNING_ARN = 'arn:aws:states:us-east-1:123456789012:execution:sm:running';
const ENDED_ARN = 'arn:aws:states:us-east-1:123456789012:execution:sm:ended';
const GONE_ARN = 'arn:aws:states:us-east-1:123456789012:execution:sm:gone';

const env = (id: string, overrides: Partial<Environment>) =>
  anEnvironment({
    id,
    stackName: `dsenv-${id}`,
    updatedAt: '2026-11-25T11:55:00.000Z',
    expiresAt: '2026-11-25T14:00:00.000Z',
    ...overrides,
  });

function setup(...environments: Environment[]) {
  const clock = fixedClock(NOW);
  const registry = new FakeRegistry(clock, ...environments);
  const started: WorkflowInput[] = [];
  const schedules = new Set<string>();
  const created: string[] = [];
  const logger = recordingLogger();
  const deps: SweeperDeps = {
    registry,
    sfn: new SFNClient({ region: 'us-east-1' }),
    cfn: new CloudFormationClient({ region: 'us-east-1' }),
    startWorkflow: async (input) => {
      started.push(input);
      return `arn:aws:states:us-east-1:123456789012:execution:sm:${input.environmentId}-${input.action}-new`;
    },
    expiry: { exists: async (id) => schedules.has(id), create: async (id) => void created.push(id) },
    clock,
    logger: logger as unknown as SweeperDeps['logger'],
    config: { cfnRoleArn: 'arn:aws:iam::123456789012:role/dsenv-cfn', stuckAfterMinutes: 60 },
  };
  return { registry, deps, started, schedules, created, logger };
}

/** Marks the environments' expiry schedules as present. */
function schedulesExist(deps: SweeperDeps, ...ids: string[]) {
  const exists = deps.expiry.exists;
  deps.expiry.exists = async (id) => ids.includes(id) || exists(id);
}

const stack = (name: string, extra: Partial<StackSummary> = {}): StackSummary => ({
  StackName: name,
  StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/1`,
  StackStatus: 'CREATE_COMPLETE',
  CreationTime: new Date(),
  ...extra,
});

beforeEach(() => {
  cfnMock.reset();
  sfnMock.reset();
  cfnMock.on(ListStacksCommand).resolves({ StackSummaries: [] });
  sfnMock.on(DescribeExecutionCommand, { executionArn: RUNNING_ARN }).resolves({ status: 'RUNNING' });
  sfnMock.on(DescribeExecutionCommand, { executionArn: ENDED_ARN }).resolves({ status: 'SUCCEEDED' });
  sfnMock
    .on(DescribeExecutionCommand, { executionArn: GONE_ARN })
    .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
});

describe('sweep', () => {
  it('leaves an environment that expired moments ago to its expiry schedule (no competing teardown)', async () => {
    const { registry, deps, started } = setup(
      env('env-aaaaaaaaaaa1', { status: 'READY', expiresAt: '2026-11-25T11:59:00.000Z' }),
    );
    schedulesExist(deps, 'env-aaaaaaaaaaa1');
    expect(await sweep(deps)).toMatchObject({ expired: 0, restarted: 0 });
    expect(started).toEqual([]);
    expect(registry.stored('env-aaaaaaaaaaa1').status).toBe('READY');
  });

  it('marks an overdue environment DELETING and starts its teardown with reason expired', async () => {
    const { registry, deps, started } = setup(
      env('env-aaaaaaaaaaa1', { status: 'READY', expiresAt: '2026-11-25T11:57:59.000Z' }),
    );
    const summary = await sweep(deps);
    expect(summary).toMatchObject({ scanned: 1, expired: 1, restarted: 0, errors: 0 });
    expect(started).toEqual([{ action: 'teardown', environmentId: 'env-aaaaaaaaaaa1', reason: 'expired' }]);
    expect(registry.stored('env-aaaaaaaaaaa1')).toMatchObject({
      status: 'DELETING',
      executionArn: expect.stringContaining('teardown-new'),
    });
  });

  it('leaves an expired environment that is already DELETING with a running execution alone', async () => {
    const { deps, started } = setup(
      env('env-aaaaaaaaaaa2', { status: 'DELETING', expiresAt: '2026-11-25T11:00:00.000Z', executionArn: RUNNING_ARN }),
    );
    expect(await sweep(deps)).toMatchObject({ expired: 0, restarted: 0 });
    expect(started).toEqual([]);
  });

  it('restarts the right action for environments whose execution is lost or ended', async () => {
    const { registry, deps, started } = setup(
      env('env-bbbbbbbbbbb1', { status: 'CREATING', executionArn: GONE_ARN }),
      env('env-bbbbbbbbbbb2', { status: 'VALIDATING', executionArn: ENDED_ARN }),
      env('env-bbbbbbbbbbb3', { status: 'DELETING', executionArn: GONE_ARN }),
    );
    const summary = await sweep(deps);
    expect(summary.restarted).toBe(3);
    expect(started).toEqual(
      expect.arrayContaining([
        { action: 'provision', environmentId: 'env-bbbbbbbbbbb1', reason: 'sweeper' },
        { action: 'provision', environmentId: 'env-bbbbbbbbbbb2', reason: 'sweeper' },
        { action: 'teardown', environmentId: 'env-bbbbbbbbbbb3', reason: 'sweeper' },
      ]),
    );
    expect(registry.stored('env-bbbbbbbbbbb3').executionArn).toContain('env-bbbbbbbbbbb3-teardown-new');
  });

  it('gives a record without an execution a grace period before it counts as lost', async () => {
    const fresh = env('env-ccccccccccc1', {
      status: 'CREATING',
      executionArn: undefined,
      updatedAt: '2026-11-25T11:59:30.000Z',
    });
    const old = env('env-ccccccccccc2', {
      status: 'CREATING',
      executionArn: undefined,
      updatedAt: '2026-11-25T11:50:00.000Z',
    });
    const { deps, started } = setup(fresh, old);
    await sweep(deps);
    expect(started.map((s) => s.environmentId)).toEqual(['env-ccccccccccc2']);
  });

  it('recreates the expiry schedule of a READY environment that lost it, and only that one', async () => {
    const { deps, schedules, created } = setup(
      env('env-ddddddddddd1', { status: 'READY' }),
      env('env-ddddddddddd2', { status: 'READY' }),
    );
    schedules.add('env-ddddddddddd2');
    expect(await sweep(deps)).toMatchObject({ schedulesRecreated: 1 });
    expect(created).toEqual(['env-ddddddddddd1']);
  });

  it('only reports an environment stuck with a running execution', async () => {
    const { registry, deps, started, logger } = setup(
      env('env-eeeeeeeeeee1', { status: 'CREATING', executionArn: RUNNING_ARN, updatedAt: '2026-11-25T10:30:00.000Z' }),
    );
    expect(await sweep(deps)).toMatchObject({ stuck: 1, restarted: 0 });
    expect(started).toEqual([]);
    expect(registry.writes).toHaveLength(0);
    expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('stuck'))).toBe(true);
  });

  it('deletes environment stacks without a record or whose record is final, and no other stack', async () => {
    const { deps } = setup(
      env('env-fffffffffff1', { status: 'DELETED' }),
      env('env-fffffffffff2', { status: 'READY' }),
      env('env-fffffffffff3', { status: 'FAILED' }),
    );
    cfnMock
      .on(ListStacksCommand)
      .resolvesOnce({
        StackSummaries: [
          stack('dsenv-env-fffffffffff1'),
          stack('dsenv-env-fffffffffff2'),
          stack('dsenv-env-fffffffffff9'),
        ],
        NextToken: 'p2',
      })
      .resolves({
        StackSummaries: [
          stack('dsenv-env-fffffffffff3', { StackStatus: 'DELETE_IN_PROGRESS' }),
          stack('dsenv-env-fffffffffff1-Network-ABC', { ParentId: 'arn:parent' }),
          stack('dsenv-control-plane'),
        ],
      });
    const summary = await sweep(deps);
    expect(summary.orphanStacksDeleted).toBe(2);
    const deleted = cfnMock.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName);
    expect(deleted.sort()).toEqual([
      'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-fffffffffff1/1',
      'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-fffffffffff9/1',
    ]);
    expect(cfnMock).toHaveReceivedCommandWith(ListStacksCommand, { NextToken: 'p2' });
  });

  it('goes on with the others when one environment cannot be repaired, and counts the error', async () => {
    const { deps, started } = setup(
      env('env-ggggggggggg1', { status: 'CREATING', executionArn: 'arn:broken' }),
      env('env-ggggggggggg2', { status: 'DELETING', executionArn: GONE_ARN }),
    );
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: 'arn:broken' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const summary = await sweep(deps);
    expect(summary).toMatchObject({ scanned: 2, restarted: 1, errors: 1 });
    expect(started.map((s) => s.environmentId)).toEqual(['env-ggggggggggg2']);
  });
});
