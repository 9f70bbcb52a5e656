import {
  CloudFormationClient,
  DescribeStacksCommand,
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
const GONE_ARN = 'arn:aws:states:us-east-1:123456789012:execution:sm:gone';
const stackIdOf = (id: string, uuid = '1') => `arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-${id}/${uuid}`;

/** An environment with a stack, quiet for ten minutes, expiring in two hours. */
const env = (id: string, overrides: Partial<Environment>) =>
  anEnvironment({
    id,
    stackName: `dsenv-${id}`,
    stackId: stackIdOf(id),
    updatedAt: '2026-11-25T11:50:00.000Z',
    expiresAt: '2026-11-25T14:00:00.000Z',
    ...overrides,
  });

const listed = (id: string, extra: Partial<StackSummary> = {}): StackSummary => ({
  StackName: `dsenv-${id}`,
  StackId: stackIdOf(id),
  StackStatus: 'CREATE_COMPLETE',
  CreationTime: new Date(),
  ...extra,
});

/** CloudFormation's answer to DescribeStacks for a stack it does not know. */
const doesNotExist = (stackId: string) =>
  Object.assign(new Error(`Stack with id ${stackId} does not exist`), { name: 'ValidationError' });

function setup(...environments: Environment[]) {
  const clock = fixedClock(NOW);
  const registry = new FakeRegistry(clock, ...environments);
  const started: WorkflowInput[] = [];
  const createdSchedules: string[] = [];
  const deps: SweeperDeps = {
    registry,
    sfn: new SFNClient({ region: 'us-east-1' }),
    cfn: new CloudFormationClient({ region: 'us-east-1' }),
    startWorkflow: async (input) => {
      started.push(input);
      return `arn:aws:states:us-east-1:123456789012:execution:sm:${input.environmentId}-${input.action}-new`;
    },
    expiry: { exists: async () => true, create: async (id) => void createdSchedules.push(id) },
    clock,
    logger: recordingLogger() as unknown as SweeperDeps['logger'],
    config: { stuckAfterMinutes: 60 },
  };
  return { registry, deps, started, createdSchedules };
}

beforeEach(() => {
  cfnMock.reset();
  sfnMock.reset();
  cfnMock.on(ListStacksCommand).resolves({ StackSummaries: [] });
  sfnMock.on(DescribeExecutionCommand, { executionArn: RUNNING_ARN }).resolves({ status: 'RUNNING' });
  sfnMock
    .on(DescribeExecutionCommand, { executionArn: GONE_ARN })
    .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
});

describe('sweep and an environment whose stack vanished', () => {
  it('tears down a READY environment whose stack was deleted by hand, to end FAILED saying so', async () => {
    const id = 'env-vanished0001';
    const { registry, deps, started } = setup(env(id, { status: 'READY' }));
    cfnMock
      .on(DescribeStacksCommand, { StackName: stackIdOf(id) })
      .resolves({ Stacks: [{ ...listed(id), StackStatus: 'DELETE_COMPLETE' }] });

    const summary = await sweep(deps);

    expect(summary).toMatchObject({ scanned: 1, stacksVanished: 1, schedulesRecreated: 0, errors: 0 });
    expect(started).toEqual([{ action: 'teardown', environmentId: id, reason: 'stack-vanished' }]);
    expect(registry.stored(id)).toMatchObject({
      status: 'DELETING',
      failureReason: `stack dsenv-${id} disappeared outside the control plane while the environment was READY`,
      executionArn: expect.stringContaining(`${id}-teardown-new`),
    });
  });

  it('counts a stack CloudFormation no longer knows at all as vanished', async () => {
    const id = 'env-vanished0002';
    const { registry, deps, started } = setup(env(id, { status: 'READY' }));
    cfnMock.on(DescribeStacksCommand).rejects(doesNotExist(stackIdOf(id)));

    expect(await sweep(deps)).toMatchObject({ stacksVanished: 1 });

    expect(started.map((s) => s.reason)).toEqual(['stack-vanished']);
    expect(registry.stored(id).status).toBe('DELETING');
  });

  it('leaves environments whose stack is listed alone, without describing any stack', async () => {
    const { registry, deps, started } = setup(
      env('env-present00001', { status: 'READY' }),
      env('env-present00002', { status: 'VALIDATING', executionArn: GONE_ARN }),
    );
    cfnMock.on(ListStacksCommand).resolves({
      StackSummaries: [listed('env-present00001'), listed('env-present00002', { StackStatus: 'UPDATE_COMPLETE' })],
    });

    const summary = await sweep(deps);

    expect(summary).toMatchObject({ stacksVanished: 0, restarted: 1 });
    expect(started).toEqual([{ action: 'provision', environmentId: 'env-present00002', reason: 'sweeper' }]);
    expect(cfnMock).not.toHaveReceivedCommand(DescribeStacksCommand);
    expect(registry.stored('env-present00001').status).toBe('READY');
  });

  it('does not tear down a live environment when the listing lags behind (DescribeStacks still finds the stack)', async () => {
    const id = 'env-lagging00001';
    const { registry, deps, started } = setup(env(id, { status: 'READY' }));
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ ...listed(id), StackStatus: 'CREATE_COMPLETE' }] });

    expect(await sweep(deps)).toMatchObject({ stacksVanished: 0, errors: 0 });

    expect(started).toEqual([]);
    expect(registry.writes).toEqual([]);
  });

  it('tears down, instead of restarting its provisioning, a CREATING environment whose execution and stack are lost', async () => {
    const id = 'env-lostboth0001';
    const { registry, deps, started } = setup(env(id, { status: 'CREATING', executionArn: GONE_ARN }));
    cfnMock.on(DescribeStacksCommand).rejects(doesNotExist(stackIdOf(id)));

    expect(await sweep(deps)).toMatchObject({ stacksVanished: 1, restarted: 0 });

    expect(started).toEqual([{ action: 'teardown', environmentId: id, reason: 'stack-vanished' }]);
    expect(registry.stored(id).failureReason).toMatch(/disappeared outside the control plane .*CREATING$/);
  });

  it('keeps an earlier failure reason first when the stack of a failing environment vanishes', async () => {
    const id = 'env-failedfirst1';
    const { registry, deps } = setup(
      env(id, { status: 'VALIDATING', executionArn: GONE_ARN, failureReason: 'validation failed: http-ipv6 failed' }),
    );
    cfnMock.on(DescribeStacksCommand).rejects(doesNotExist(stackIdOf(id)));

    await sweep(deps);

    expect(registry.stored(id).failureReason).toBe(
      `validation failed: http-ipv6 failed; then stack dsenv-${id} disappeared outside the control plane while the environment was VALIDATING`,
    );
  });

  it('leaves a vanished stack to the execution still running for it, and to DELETING teardowns', async () => {
    const { deps, started } = setup(
      env('env-running00001', { status: 'CREATING', executionArn: RUNNING_ARN }),
      env('env-deleting0001', { status: 'DELETING', executionArn: RUNNING_ARN }),
    );
    cfnMock.on(DescribeStacksCommand).rejects(doesNotExist('any'));

    expect(await sweep(deps)).toMatchObject({ stacksVanished: 0, restarted: 0 });

    expect(started).toEqual([]);
  });

  it('treats a stack of the same name but another id (recreated by hand) as the environment’s stack vanishing', async () => {
    const id = 'env-recreated001';
    const { deps, started } = setup(env(id, { status: 'READY' }));
    cfnMock.on(ListStacksCommand).resolves({ StackSummaries: [listed(id, { StackId: stackIdOf(id, '2') })] });
    cfnMock
      .on(DescribeStacksCommand, { StackName: stackIdOf(id) })
      .resolves({ Stacks: [{ ...listed(id), StackStatus: 'DELETE_COMPLETE' }] });

    expect(await sweep(deps)).toMatchObject({ stacksVanished: 1 });

    expect(started.map((s) => s.reason)).toEqual(['stack-vanished']);
  });

  it('ignores a record without a stack id (its stack was never created)', async () => {
    const id = 'env-nostack00001';
    const { deps, started } = setup(env(id, { status: 'CREATING', executionArn: GONE_ARN, stackId: undefined }));

    expect(await sweep(deps)).toMatchObject({ stacksVanished: 0, restarted: 1 });

    expect(started).toEqual([{ action: 'provision', environmentId: id, reason: 'sweeper' }]);
  });

  it('lists the stacks once per sweep, whatever the number of environments', async () => {
    const ids = ['env-manyenv00001', 'env-manyenv00002', 'env-manyenv00003', 'env-manyenv00004'];
    const { deps } = setup(...ids.map((id) => env(id, { status: 'READY' })));
    cfnMock.on(ListStacksCommand).resolves({ StackSummaries: ids.map((id) => listed(id)) });

    await sweep(deps);

    expect(cfnMock).toHaveReceivedCommandTimes(ListStacksCommand, 1);
  });

  it('tears nothing down when the stacks cannot be listed, and still does the other repairs', async () => {
    const { registry, deps, started, createdSchedules } = setup(env('env-unlisted0001', { status: 'READY' }));
    deps.expiry.exists = async () => false;
    cfnMock.on(ListStacksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    const summary = await sweep(deps);

    expect(summary).toMatchObject({ stacksVanished: 0, schedulesRecreated: 1, orphanStacksDeleted: 0, errors: 1 });
    expect(started).toEqual([]);
    expect(createdSchedules).toEqual(['env-unlisted0001']);
    expect(registry.stored('env-unlisted0001').status).toBe('READY');
  });
});
