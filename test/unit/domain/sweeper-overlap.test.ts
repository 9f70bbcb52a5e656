import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type SweeperDeps, sweep } from '../../../functions/domain/sweeper.js';
import type { WorkflowInput } from '../../../functions/schemas/workflow.js';
import { anEnvironment, FakeRegistry, fixedClock, recordingLogger } from '../../fixtures/workflow/fakes.js';

const cfnMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const ENDED_PROVISION = 'arn:aws:states:us-east-1:123456789012:execution:sm:env-ddddddddddd1-provision-1';

beforeEach(() => {
  cfnMock.reset();
  sfnMock.reset();
  cfnMock.on(ListStacksCommand).resolves({ StackSummaries: [] });
  sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
});

function sweeperFor(updatedAt: string) {
  const clock = fixedClock('2026-11-25T12:00:00.000Z');
  // DELETING, but the record still names the provision execution (ended): a DELETE's teardown has started and
  // written the record before its own ARN could be stored.
  const registry = new FakeRegistry(
    clock,
    anEnvironment({
      id: 'env-ddddddddddd1',
      status: 'DELETING',
      executionArn: ENDED_PROVISION,
      updatedAt,
      expiresAt: '2026-11-25T14:00:00.000Z',
    }),
  );
  const started: WorkflowInput[] = [];
  const deps: SweeperDeps = {
    registry,
    sfn: new SFNClient({ region: 'us-east-1' }),
    cfn: new CloudFormationClient({ region: 'us-east-1' }),
    startWorkflow: async (input) => {
      started.push(input);
      return 'arn:aws:states:us-east-1:123456789012:execution:sm:new';
    },
    expiry: { exists: async () => true, create: async () => undefined },
    clock,
    logger: recordingLogger() as unknown as SweeperDeps['logger'],
    config: { stuckAfterMinutes: 60 },
  };
  return { deps, started };
}

describe('sweep and an execution whose ARN is not stored yet', () => {
  it('does not start a competing teardown while the record was written moments ago', async () => {
    const { deps, started } = sweeperFor('2026-11-25T11:59:55.000Z');

    const summary = await sweep(deps);

    expect(started).toEqual([]);
    expect(summary.restarted).toBe(0);
  });

  it('restarts the teardown once the record has been quiet past the grace period', async () => {
    const { deps, started } = sweeperFor('2026-11-25T11:55:00.000Z');

    await sweep(deps);

    expect(started).toEqual([{ action: 'teardown', environmentId: 'env-ddddddddddd1', reason: 'sweeper' }]);
  });
});
