import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as checkStack } from '../../../functions/workflow/check-stack.js';
import { handler as createStack } from '../../../functions/workflow/create-stack.js';
import { handler as finishTeardown } from '../../../functions/workflow/finish-teardown.js';
import { handler as recordFailure } from '../../../functions/workflow/record-failure.js';
import { handler as stackEvent } from '../../../functions/workflow/stack-event.js';
import { handler as startTeardown } from '../../../functions/workflow/start-teardown.js';
import { anEnvironment } from '../../fixtures/workflow/fakes.js';
import stackStatusChange from '../../fixtures/workflow/stack-status-change.json' with { type: 'json' };
import { lambdaContext, setWorkflowEnvironment } from './lambda-context.js';
import { tableHolding } from './registry-table.js';

setWorkflowEnvironment();
const ddbMock = mockClient(DynamoDBDocumentClient);
const cfnMock = mockClient(CloudFormationClient);
const taggingMock = mockClient(ResourceGroupsTaggingAPIClient);
const schedulerMock = mockClient(SchedulerClient);
const sfnMock = mockClient(SFNClient);
const TOKEN = 'AQtask-token';
const ID = 'env-3k9x0q2m7ab1';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-3k9x0q2m7ab1/p-1';

/** The registry's table holds `item`; a conditional update answers with the changed record. */
function tableHolds(overrides: Parameters<typeof anEnvironment>[0] = {}) {
  const item = anEnvironment(overrides);
  tableHolding(ddbMock, item);
  return item;
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

beforeEach(() => {
  ddbMock.reset();
  cfnMock.reset();
  taggingMock.reset();
  schedulerMock.reset();
  sfnMock.reset();
});

describe('create-stack handler', () => {
  it('creates the stack and returns CreateStackResult', async () => {
    tableHolds();
    cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    await expect(createStack({ environmentId: ID, taskToken: TOKEN }, lambdaContext)).resolves.toEqual({
      stackId: STACK_ID,
      stackName: `dsenv-${ID}`,
    });
    expect(cfnMock).toHaveReceivedCommandWith(CreateStackCommand, {
      TemplateURL: `${process.env.BLUEPRINT_BASE_URL}/parent.yaml`,
      RoleARN: process.env.CFN_ROLE_ARN,
    });
  });

  it('throws TransientError when CloudFormation throttles', async () => {
    tableHolds();
    cfnMock.on(CreateStackCommand).rejects(
      new CloudFormationServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: {},
        message: 'Rate exceeded',
      }),
    );
    expect((await errorOf(createStack({ environmentId: ID, taskToken: TOKEN }, lambdaContext)))?.name).toBe(
      'TransientError',
    );
  });

  it('throws ConflictError for an environment that is being deleted', async () => {
    tableHolds({ status: 'DELETING' });
    expect((await errorOf(createStack({ environmentId: ID, taskToken: TOKEN }, lambdaContext)))?.name).toBe(
      'ConflictError',
    );
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('throws ConflictError when the registry write loses the race', async () => {
    tableHolds();
    ddbMock
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));
    cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    expect((await errorOf(createStack({ environmentId: ID, taskToken: TOKEN }, lambdaContext)))?.name).toBe(
      'ConflictError',
    );
  });

  it('throws NotFoundError for an unknown environment and InputValidationError for a malformed input', async () => {
    ddbMock.on(GetCommand).resolves({});
    expect((await errorOf(createStack({ environmentId: ID, taskToken: TOKEN }, lambdaContext)))?.name).toBe(
      'NotFoundError',
    );
    expect((await errorOf(createStack({ id: ID }, lambdaContext)))?.name).toBe('InputValidationError');
  });
});

describe('check-stack handler', () => {
  it('resumes a delete wait at once when CloudFormation no longer knows the stack', async () => {
    tableHolds({ status: 'DELETING' });
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: `Stack with id dsenv-${ID} does not exist`,
      }),
    );
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    await expect(
      checkStack({ environmentId: ID, operation: 'delete', taskToken: TOKEN }, lambdaContext),
    ).resolves.toEqual({ outcome: 'resumed', stackStatus: 'DOES_NOT_EXIST' });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ state: 'COMPLETE', stackStatus: 'DOES_NOT_EXIST' }),
    });
  });

  it('waits again on a create whose stack does not exist yet (CreateStack still on its way)', async () => {
    tableHolds({ status: 'CREATING' });
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: `Stack with id dsenv-${ID} does not exist`,
      }),
    );
    await expect(
      checkStack({ environmentId: ID, operation: 'create', taskToken: TOKEN }, lambdaContext),
    ).resolves.toEqual({ outcome: 'waiting', stackStatus: 'DOES_NOT_EXIST' });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('rejects an unknown operation', async () => {
    expect(
      (await errorOf(checkStack({ environmentId: ID, operation: 'update', taskToken: TOKEN }, lambdaContext)))?.name,
    ).toBe('InputValidationError');
  });
});

describe('stack-event handler', () => {
  const stackId = stackStatusChange.detail['stack-id'];
  const waiting = { wait: { operation: 'create', taskToken: TOKEN, requestToken: `${ID}-create-1` } } as const;
  const eventWith = (status: string, token = `${ID}-create-1`) => ({
    ...stackStatusChange,
    detail: {
      ...stackStatusChange.detail,
      'status-details': { status, 'status-reason': '' },
      'client-request-token': token,
    },
  });
  const stackIs = (StackStatus: 'CREATE_COMPLETE' | 'CREATE_FAILED') =>
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackId: stackId, StackName: `dsenv-${ID}`, StackStatus, CreationTime: new Date(), Outputs: [] }],
    });

  it('resumes the waiting task when its stack reports CREATE_COMPLETE (the AWS event shape)', async () => {
    tableHolds({ stackId, ...waiting });
    stackIs('CREATE_COMPLETE');
    sfnMock.on(SendTaskSuccessCommand).resolves({});

    await expect(stackEvent(stackStatusChange, lambdaContext)).resolves.toEqual({
      outcome: 'resumed',
      environmentId: ID,
    });

    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' }),
    });
  });

  it('fails the waiting task with the stack reason when its stack reports CREATE_FAILED', async () => {
    tableHolds({ stackId, ...waiting });
    stackIs('CREATE_FAILED');
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        {
          StackId: stackId,
          StackName: `dsenv-${ID}`,
          EventId: 'e-1',
          LogicalResourceId: 'LoadBalancer',
          ResourceType: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'Too many load balancers',
          Timestamp: new Date(),
        },
      ],
    });
    sfnMock.on(SendTaskFailureCommand).resolves({});

    await expect(stackEvent(eventWith('CREATE_FAILED'), lambdaContext)).resolves.toMatchObject({ outcome: 'failed' });

    expect(sfnMock).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'StackOperationFailedError',
    });
  });

  it('drops an event of another attempt, and one whose task is already over, without an error', async () => {
    tableHolds({ stackId, ...waiting });
    stackIs('CREATE_COMPLETE');
    sfnMock.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));

    await expect(stackEvent(eventWith('CREATE_COMPLETE', `${ID}-delete-1`), lambdaContext)).resolves.toMatchObject({
      outcome: 'stale-attempt',
    });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    await expect(stackEvent(stackStatusChange, lambdaContext)).resolves.toMatchObject({ outcome: 'closed' });
  });

  it('drops an event that comes before the execution stored its token, and a nested stack’s event', async () => {
    tableHolds({ stackId });

    await expect(stackEvent(stackStatusChange, lambdaContext)).resolves.toMatchObject({ outcome: 'no-wait' });
    const nested = `arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-${ID}-NetworkStack-1AB2/x`;
    const nestedEvent = { ...stackStatusChange, detail: { ...stackStatusChange.detail, 'stack-id': nested } };
    await expect(stackEvent(nestedEvent, lambdaContext)).resolves.toMatchObject({
      outcome: 'not-an-environment-stack',
    });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});

describe('start-teardown handler', () => {
  it('deletes the expiry and warning schedules (a missing one is fine) and the stack, and leaves the wait to its event', async () => {
    tableHolds({ status: 'READY', stackId: STACK_ID });
    schedulerMock
      .on(DeleteScheduleCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', Message: 'not found', $metadata: {} }));
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackId: STACK_ID, StackName: `dsenv-${ID}`, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() },
      ],
    });
    await expect(startTeardown({ environmentId: ID, taskToken: TOKEN }, lambdaContext)).resolves.toEqual({
      attempt: 1,
      stackStatus: 'CREATE_COMPLETE',
    });
    const deleted = schedulerMock.commandCalls(DeleteScheduleCommand).map((call) => call.args[0].input.Name);
    expect(deleted.sort()).toEqual([`dsenv-${ID}-expiry`, `dsenv-${ID}-warn-30m`, `dsenv-${ID}-warn-5m`]);
  });
});

describe('finish-teardown handler', () => {
  it('throws ResourcesRemainError while something tagged with the environment remains', async () => {
    tableHolds({ status: 'DELETING', stackId: STACK_ID });
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackId: STACK_ID, StackName: `dsenv-${ID}`, StackStatus: 'DELETE_COMPLETE', CreationTime: new Date() },
      ],
    });
    taggingMock
      .on(GetResourcesCommand)
      .resolves({ ResourceTagMappingList: [{ ResourceARN: 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc' }] });
    const error = await errorOf(finishTeardown({ environmentId: ID }, lambdaContext));
    expect(error?.name).toBe('ResourcesRemainError');
    expect(error?.message).toContain('vpc/vpc-0abc');
  });
});

describe('record-failure handler', () => {
  it('accepts the merged state of RecordCreateFailure and records the reason', async () => {
    tableHolds({ status: 'CREATING' });
    const mergedState = {
      action: 'provision',
      environmentId: ID,
      stack: { stackId: STACK_ID },
      state: 'FAILED',
      stackStatus: 'ROLLBACK_COMPLETE',
      reason: 'Vpc CREATE_FAILED: limit',
      stage: 'create',
    };
    await expect(recordFailure(mergedState, lambdaContext)).resolves.toEqual({
      status: 'CREATING',
      failureReason: 'provisioning failed: Vpc CREATE_FAILED: limit',
    });
  });
});
