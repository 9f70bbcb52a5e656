import {
  CloudFormationClient,
  CloudFormationServiceException,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type FinishTeardownDeps,
  finishTeardown,
  type StartTeardownDeps,
  startTeardown,
} from '../../../functions/domain/teardown.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import { ConflictError, ResourcesRemainError, StackOperationFailedError } from '../../../functions/shared/errors.js';
import { anEnvironment, FakeRegistry, fixedClock } from '../../fixtures/workflow/fakes.js';

const cfnMock = mockClient(CloudFormationClient);
const taggingMock = mockClient(ResourceGroupsTaggingAPIClient);
const sfnMock = mockClient(SFNClient);
const TOKEN = 'AQtask-token';
const task = { environmentId: 'env-3k9x0q2m7ab1', taskToken: TOKEN };
const ID = 'env-3k9x0q2m7ab1';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-3k9x0q2m7ab1/p-1';
const ROLE = 'arn:aws:iam::123456789012:role/dsenv-cfn';

function setup(overrides: Partial<Environment> = {}) {
  const clock = fixedClock('2026-11-25T15:00:00.000Z');
  const registry = new FakeRegistry(clock, anEnvironment({ status: 'READY', stackId: STACK_ID, ...overrides }));
  const deletedSchedules: string[] = [];
  const cfn = new CloudFormationClient({ region: 'us-east-1' });
  const start: StartTeardownDeps = {
    registry,
    cfn,
    sfn: new SFNClient({ region: 'us-east-1' }),
    clock,
    deleteExpirySchedule: async (id) => void deletedSchedules.push(id),
    config: { cfnRoleArn: ROLE, maxAttempts: 3 },
  };
  const finish: FinishTeardownDeps = {
    registry,
    cfn,
    clock,
    tagging: new ResourceGroupsTaggingAPIClient({ region: 'us-east-1' }),
  };
  return { registry, start, finish, deletedSchedules };
}

const stackIs = (status: 'CREATE_COMPLETE' | 'DELETE_FAILED' | 'DELETE_COMPLETE') =>
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackId: STACK_ID, StackName: `dsenv-${ID}`, StackStatus: status, CreationTime: new Date() }],
  });

beforeEach(() => {
  cfnMock.reset();
  taggingMock.reset();
  sfnMock.reset();
});

describe('startTeardown', () => {
  it('marks the environment DELETING, deletes its expiry schedule and its stack with the CloudFormation role', async () => {
    const { registry, start, deletedSchedules } = setup();
    stackIs('CREATE_COMPLETE');
    const result = await startTeardown(start, task);
    expect(result).toEqual({ attempt: 1, stackStatus: 'CREATE_COMPLETE' });
    expect(deletedSchedules).toEqual([ID]);
    expect(cfnMock).toHaveReceivedCommandWith(DeleteStackCommand, {
      StackName: STACK_ID,
      RoleARN: ROLE,
      ClientRequestToken: `${ID}-delete-1`,
    });
    expect(registry.stored(ID)).toMatchObject({
      status: 'DELETING',
      teardown: { attempts: 1, stackStatus: 'CREATE_COMPLETE' },
      wait: { operation: 'delete', taskToken: TOKEN, requestToken: `${ID}-delete-1` },
    });
    // One write, before DeleteStack: the stack's events find the wait.
    expect(registry.writes).toHaveLength(1);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('keeps the provisioning failure reason while tearing down', async () => {
    const { registry, start } = setup({ status: 'CREATING', failureReason: 'provisioning failed: quota' });
    stackIs('CREATE_COMPLETE');
    await startTeardown(start, task);
    expect(registry.stored(ID)).toMatchObject({ status: 'DELETING', failureReason: 'provisioning failed: quota' });
  });

  it('retries with a new token per attempt and gives up past the maximum with StackOperationFailedError', async () => {
    const { registry, start } = setup();
    stackIs('DELETE_FAILED');
    await startTeardown(start, task);
    await startTeardown(start, task);
    await startTeardown(start, task);
    await expect(startTeardown(start, task)).rejects.toBeInstanceOf(StackOperationFailedError);
    const tokens = cfnMock.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toEqual([`${ID}-delete-1`, `${ID}-delete-2`, `${ID}-delete-3`]);
    expect(registry.stored(ID).teardown?.attempts).toBe(3);
  });

  it('says once per re-delete, at WARN with the attempt and the stack’s reason, that a failed delete is retried', async () => {
    const { start } = setup({ status: 'DELETING' });
    const warnings: [string, Record<string, unknown>][] = [];
    const logger = { warn: (message: string, extra: Record<string, unknown>) => void warnings.push([message, extra]) };
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackId: STACK_ID,
          StackName: `dsenv-${ID}`,
          StackStatus: 'DELETE_FAILED',
          StackStatusReason: 'The following resource(s) failed to delete: [NetworkStack].',
          CreationTime: new Date(),
        },
      ],
    });

    await startTeardown({ ...start, logger }, task);

    expect(warnings).toEqual([
      [
        'stack delete failed; deleting it again',
        {
          environmentId: ID,
          attempt: 1,
          maxAttempts: 3,
          reason: 'The following resource(s) failed to delete: [NetworkStack].',
        },
      ],
    ]);
  });

  it('reuses the attempt token when the same attempt is retried after a failed DeleteStack', async () => {
    const { start } = setup();
    stackIs('CREATE_COMPLETE');
    cfnMock
      .on(DeleteStackCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
      .resolves({});
    await expect(startTeardown(start, task)).rejects.toThrow('Rate exceeded');
    await startTeardown(start, task);
    const tokens = cfnMock.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens).toEqual([`${ID}-delete-1`, `${ID}-delete-1`]);
  });

  it('does not call DeleteStack for a stack that never existed', async () => {
    const { start } = setup({ stackId: undefined });
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: 'Stack with id dsenv-env-3k9x0q2m7ab1 does not exist',
      }),
    );
    await expect(startTeardown(start, task)).resolves.toEqual({ attempt: 1, stackStatus: 'DOES_NOT_EXIST' });
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
    // No stack, so no event: the wait is resumed here.
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN });
  });

  it('refuses an environment that is already final', async () => {
    const { start } = setup({ status: 'DELETED' });
    await expect(startTeardown(start, task)).rejects.toBeInstanceOf(ConflictError);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });
});

describe('finishTeardown', () => {
  it('stores the receipt and sets DELETED when nothing tagged remains (all pages read)', async () => {
    const { registry, finish } = setup({
      status: 'DELETING',
      teardown: { stackStatus: 'CREATE_COMPLETE', checkedAt: '2026-11-25T14:59:00.000Z', remaining: [], attempts: 1 },
    });
    stackIs('DELETE_COMPLETE');
    taggingMock
      .on(GetResourcesCommand)
      .resolvesOnce({ ResourceTagMappingList: [], PaginationToken: 'page-2' })
      .resolves({ ResourceTagMappingList: [], PaginationToken: '' });
    await expect(finishTeardown(finish, ID)).resolves.toEqual({ status: 'DELETED' });
    expect(taggingMock).toHaveReceivedCommandWith(GetResourcesCommand, {
      TagFilters: [{ Key: 'dsenv:environment-id', Values: [ID] }],
      PaginationToken: 'page-2',
    });
    expect(registry.stored(ID)).toMatchObject({
      status: 'DELETED',
      teardown: {
        stackStatus: 'DELETE_COMPLETE',
        remaining: [],
        attempts: 1,
        deletedAt: '2026-11-25T15:00:00.000Z',
        checkedAt: '2026-11-25T15:00:00.000Z',
      },
    });
  });

  it('settles as the finished state when an overlapping teardown already ended the environment', async () => {
    const { registry, finish } = setup({ status: 'DELETED' });
    const before = registry.stored(ID);
    await expect(finishTeardown(finish, ID)).resolves.toEqual({ status: 'DELETED' });
    expect(registry.stored(ID)).toEqual(before);
    expect(taggingMock.commandCalls(GetResourcesCommand)).toHaveLength(0);
  });

  it('ends FAILED, not DELETED, when provisioning had failed', async () => {
    const { registry, finish } = setup({ status: 'DELETING', failureReason: 'validation failed: http-ipv6 failed' });
    stackIs('DELETE_COMPLETE');
    taggingMock.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    await expect(finishTeardown(finish, ID)).resolves.toEqual({ status: 'FAILED' });
    expect(registry.stored(ID).status).toBe('FAILED');
  });

  it('throws ResourcesRemainError naming the ARNs still tagged, and keeps them on the receipt', async () => {
    const { registry, finish } = setup({ status: 'DELETING' });
    stackIs('DELETE_COMPLETE');
    const vpc = 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc';
    const cluster = 'arn:aws:ecs:us-east-1:123456789012:cluster/env-3k9x0q2m7ab1-cluster';
    taggingMock
      .on(GetResourcesCommand)
      .resolvesOnce({ ResourceTagMappingList: [{ ResourceARN: vpc }], PaginationToken: 'p2' })
      .resolves({ ResourceTagMappingList: [{ ResourceARN: cluster }] });
    const error = await finishTeardown(finish, ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourcesRemainError);
    expect((error as ResourcesRemainError).name).toBe('ResourcesRemainError');
    expect((error as ResourcesRemainError).message).toContain(vpc);
    expect((error as ResourcesRemainError).message).toContain(cluster);
    expect(registry.stored(ID)).toMatchObject({ status: 'DELETING', teardown: { remaining: [vpc, cluster] } });
  });
});
