import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { finishTeardown, type StartTeardownDeps, startTeardown } from '../../../functions/domain/teardown.js';
import { ConflictError, ResourcesRemainError, StackOperationFailedError } from '../../../functions/shared/errors.js';
import { anEnvironment, FakeRegistry, fixedClock } from '../../fixtures/workflow/fakes.js';

const cfnMock = mockClient(CloudFormationClient);
const taggingMock = mockClient(ResourceGroupsTaggingAPIClient);
const ID = 'env-3k9x0q2m7ab1';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-3k9x0q2m7ab1/p-1';

beforeEach(() => {
  cfnMock.reset();
  taggingMock.reset();
});

describe('startTeardown giving up on a stack that keeps failing to delete', () => {
  it('names the resources CloudFormation could not delete in the error', async () => {
    // Prepare: the three attempts are used up and the stack is DELETE_FAILED with the stuck resources named.
    const clock = fixedClock('2026-11-25T15:00:00.000Z');
    const registry = new FakeRegistry(
      clock,
      anEnvironment({
        status: 'DELETING',
        stackId: STACK_ID,
        teardown: { stackStatus: 'DELETE_FAILED', checkedAt: clock.now().toISOString(), remaining: [], attempts: 3 },
      }),
    );
    const deps: StartTeardownDeps = {
      registry,
      cfn: new CloudFormationClient({ region: 'us-east-1' }),
      sfn: new SFNClient({ region: 'us-east-1' }),
      clock,
      deleteExpirySchedule: async () => undefined,
      config: { cfnRoleArn: 'arn:aws:iam::123456789012:role/dsenv-cfn', maxAttempts: 3 },
    };
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackId: STACK_ID,
          StackName: `dsenv-${ID}`,
          StackStatus: 'DELETE_FAILED',
          StackStatusReason: 'The following resource(s) failed to delete: [NetworkStack]. ',
          CreationTime: new Date(),
        },
      ],
    });

    // Act
    const error = await startTeardown(deps, { environmentId: ID, taskToken: 'AQtoken' }).catch((e: unknown) => e);

    // Assess: a failure that says what is stuck, and no fourth DeleteStack.
    expect(error).toBeInstanceOf(StackOperationFailedError);
    expect((error as Error).message).toBe(
      `stack dsenv-${ID} could not be deleted in 3 attempts (last status DELETE_FAILED: The following resource(s) failed to delete: [NetworkStack].)`,
    );
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });
});

describe('finishTeardown while another teardown of the same environment writes the record', () => {
  it('still asks for a retry (ResourcesRemainError) when its receipt write loses to the other writer', async () => {
    // Prepare: a lingering interface, and a registry whose next write conflicts.
    const clock = fixedClock('2026-11-25T15:00:00.000Z');
    const registry = new FakeRegistry(clock, anEnvironment({ status: 'DELETING', stackId: STACK_ID }));
    const update = registry.update.bind(registry);
    let conflicts = 1;
    registry.update = async (...args) => {
      if (conflicts-- > 0) throw new ConflictError('changed meanwhile');
      return update(...args);
    };
    const eni = 'arn:aws:ec2:us-east-1:123456789012:network-interface/eni-1';
    taggingMock.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: eni }] });
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [] });
    const deps = {
      registry,
      cfn: new CloudFormationClient({ region: 'us-east-1' }),
      tagging: new ResourceGroupsTaggingAPIClient({ region: 'us-east-1' }),
      clock,
    };

    // Act
    const error = await finishTeardown(deps, ID).catch((e: unknown) => e);

    // Assess: the retryable error, not the ConflictError the state machine would turn into a failed teardown.
    expect(error).toBeInstanceOf(ResourcesRemainError);
    expect((error as ResourcesRemainError).message).toContain(eni);
    expect(registry.stored(ID).status).toBe('DELETING');
  });
});
