import {
  AlreadyExistsException,
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkStack, createStack, type ProvisioningDeps } from '../../../functions/domain/provisioning.js';
import { ConflictError } from '../../../functions/shared/errors.js';
import { anEnvironment, FakeRegistry, fixedClock } from '../../fixtures/workflow/fakes.js';
import rollback from '../../fixtures/workflow/rollback-events.json' with { type: 'json' };
import stackOutputs from '../../fixtures/workflow/stack-outputs.json' with { type: 'json' };

const cfnMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const TOKEN = 'AQtask-token';
const ID = 'env-3k9x0q2m7ab1';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-3k9x0q2m7ab1/p-1';
const config = {
  blueprintBaseUrl: 'https://bucket.s3.us-east-1.amazonaws.com/blueprints/dual-stack-fargate/1.0.0',
  cfnRoleArn: 'arn:aws:iam::123456789012:role/dsenv-cfn',
  stackTimeoutMinutes: 30,
};

function setup(overrides = {}) {
  const clock = fixedClock('2026-11-25T10:01:00.000Z');
  const registry = new FakeRegistry(clock, anEnvironment(overrides));
  const deps: ProvisioningDeps = {
    registry,
    cfn: new CloudFormationClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    config,
  };
  return { registry, deps };
}

const events = (list: unknown[]): StackEvent[] =>
  (list as (StackEvent & { Timestamp: string })[]).map((e) => ({ ...e, Timestamp: new Date(e.Timestamp) }));

beforeEach(() => {
  cfnMock.reset();
  sfnMock.reset();
});

describe('createStack', () => {
  it('creates the parent stack with the blueprint, parameters, tags, role and capabilities and records the stack id', async () => {
    // Prepare
    const { registry, deps } = setup();
    cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    // Act
    const result = await createStack(deps, { environmentId: ID, taskToken: TOKEN });
    // Assess
    expect(result).toEqual({ stackId: STACK_ID, stackName: `dsenv-${ID}` });
    expect(cfnMock).toHaveReceivedCommandWith(CreateStackCommand, {
      StackName: `dsenv-${ID}`,
      TemplateURL: `${config.blueprintBaseUrl}/parent.yaml`,
      RoleARN: config.cfnRoleArn,
      TimeoutInMinutes: 30,
      OnFailure: 'DO_NOTHING',
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      Parameters: [
        { ParameterKey: 'EnvironmentId', ParameterValue: ID },
        { ParameterKey: 'ImageUri', ParameterValue: 'public.ecr.aws/dsenv/probe:1.0.0' },
        { ParameterKey: 'TemplateBaseUrl', ParameterValue: config.blueprintBaseUrl },
      ],
      Tags: [
        { Key: 'dsenv:environment-id', Value: ID },
        { Key: 'dsenv:owner', Value: 'alice' },
        { Key: 'dsenv:expires-at', Value: '2026-11-25T14:00:00.000Z' },
      ],
    });
    expect(registry.stored(ID).stackId).toBe(STACK_ID);
    // The wait was stored before the stack was started: no event of this stack can come before it.
    expect(registry.writes[0]?.changes).toEqual({
      wait: { operation: 'create', taskToken: TOKEN, requestToken: `${ID}-create-1` },
    });
    expect(cfnMock.commandCalls(CreateStackCommand)[0]?.args[0].input.ClientRequestToken).toBe(`${ID}-create-1`);
    // The execution sleeps: nothing resumes it here.
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it("stores its wait again when the API's write of the execution ARN wins the race, without failing the task", async () => {
    // Prepare: the API stores the execution's ARN between the task's read and its write
    const { registry, deps } = setup();
    const get = registry.get.bind(registry);
    let raced = false;
    registry.get = async (id: string) => {
      const read = await get(id);
      if (!raced && read !== undefined) {
        raced = true;
        registry.items.set(id, { ...read, executionArn: 'arn:aws:states:x', version: read.version + 1 });
      }
      return read;
    };
    cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });

    // Act
    const result = await createStack(deps, { environmentId: ID, taskToken: TOKEN });

    // Assess: one CreateStack, the wait and the ARN both stored
    expect(result.stackId).toBe(STACK_ID);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(1);
    expect(registry.stored(ID)).toMatchObject({ executionArn: 'arn:aws:states:x', stackId: STACK_ID });
    expect(registry.stored(ID).wait?.taskToken).toBe(TOKEN);
  });

  it('deletes the stack it created when the environment was torn down meanwhile, and reports the conflict', async () => {
    // Prepare: the teardown (which found no stack yet) ends DELETED while CreateStack is on its way
    const { registry, deps } = setup();
    cfnMock.on(CreateStackCommand).callsFake(() => {
      const stored = registry.stored(ID);
      registry.items.set(ID, { ...stored, status: 'DELETED', version: stored.version + 1 });
      return { StackId: STACK_ID };
    });

    // Act
    const created = createStack(deps, { environmentId: ID, taskToken: TOKEN });

    // Assess
    await expect(created).rejects.toBeInstanceOf(ConflictError);
    expect(cfnMock).toHaveReceivedCommandWith(DeleteStackCommand, { StackName: STACK_ID, RoleARN: config.cfnRoleArn });
    expect(registry.stored(ID)).toMatchObject({ status: 'DELETED' });
    expect(registry.stored(ID).stackId).toBeUndefined();
  });

  it('leaves its stack alone when the id write loses a race to a still-CREATING writer', async () => {
    const { registry, deps } = setup();
    cfnMock.on(CreateStackCommand).callsFake(() => {
      const stored = registry.stored(ID);
      registry.items.set(ID, { ...stored, version: stored.version + 1 });
      return { StackId: STACK_ID };
    });

    await createStack(deps, { environmentId: ID, taskToken: TOKEN });

    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(registry.stored(ID).stackId).toBe(STACK_ID);
  });

  it('uses the same ClientRequestToken when the same environment is created again', async () => {
    const { deps } = setup();
    cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    await createStack(deps, { environmentId: ID, taskToken: TOKEN });
    await createStack(deps, { environmentId: ID, taskToken: TOKEN });
    const tokens = cfnMock.commandCalls(CreateStackCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens[0]).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]*$/);
    expect(tokens[1]).toBe(tokens[0]);
  });

  it('takes over an existing stack when CloudFormation says it already exists (a resumed run)', async () => {
    const { registry, deps } = setup();
    cfnMock
      .on(CreateStackCommand)
      .rejects(new AlreadyExistsException({ message: 'Stack [dsenv-env-3k9x0q2m7ab1] already exists', $metadata: {} }));
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackId: STACK_ID, StackName: `dsenv-${ID}`, StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date() },
      ],
    });
    const result = await createStack(deps, { environmentId: ID, taskToken: TOKEN });
    expect(result.stackId).toBe(STACK_ID);
    expect(registry.stored(ID).stackId).toBe(STACK_ID);
    // Still in progress: its event will resume the wait.
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('resumes the wait itself when the existing stack is already complete (its event is long gone)', async () => {
    const { deps } = setup();
    cfnMock
      .on(CreateStackCommand)
      .rejects(new AlreadyExistsException({ message: 'Stack [dsenv-env-3k9x0q2m7ab1] already exists', $metadata: {} }));
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackId: STACK_ID, StackName: `dsenv-${ID}`, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date() },
      ],
    });
    await createStack(deps, { environmentId: ID, taskToken: TOKEN });
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: JSON.stringify({ state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' }),
    });
  });

  it('refuses an environment that is already being deleted, without creating anything', async () => {
    const { deps } = setup({ status: 'DELETING' });
    await expect(createStack(deps, { environmentId: ID, taskToken: TOKEN })).rejects.toBeInstanceOf(ConflictError);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });
});

describe('checkStack', () => {
  it('reports CREATE_IN_PROGRESS and ROLLBACK_IN_PROGRESS as IN_PROGRESS', async () => {
    const { deps } = setup({ stackId: STACK_ID });
    for (const status of ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'] as const) {
      cfnMock
        .on(DescribeStacksCommand)
        .resolves({ Stacks: [{ StackId: STACK_ID, StackName: 'x', StackStatus: status, CreationTime: new Date() }] });
      await expect(checkStack(deps, { environmentId: ID, operation: 'create' })).resolves.toEqual({
        state: 'IN_PROGRESS',
        stackStatus: status,
      });
    }
  });

  it('stores the parent outputs on the environment when the stack is CREATE_COMPLETE', async () => {
    const { registry, deps } = setup({ stackId: STACK_ID });
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackId: STACK_ID,
          StackName: `dsenv-${ID}`,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: stackOutputs,
        },
      ],
    });
    const result = await checkStack(deps, { environmentId: ID, operation: 'create' });
    expect(result).toEqual({ state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' });
    expect(registry.stored(ID).outputs).toEqual({
      publicUri: 'env-3k9x0q2m7ab1-alb-123.us-east-1.elb.amazonaws.com',
      vpcId: 'vpc-0abc',
      publicSubnetIds: ['subnet-pub1', 'subnet-pub2'],
      privateSubnetIds: ['subnet-priv1', 'subnet-priv2'],
      loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/env-3k9x0q2m7ab1-alb/abc',
      clusterName: 'env-3k9x0q2m7ab1-cluster',
      serviceName: 'env-3k9x0q2m7ab1-service',
    });
  });

  it('reports ROLLBACK_COMPLETE as FAILED with the root cause from the nested stack, not the cancellations', async () => {
    const { deps } = setup({ stackId: rollback.parentStackId });
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackId: rollback.parentStackId, StackName: 'x', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date() },
      ],
    });
    cfnMock
      .on(DescribeStackEventsCommand, { StackName: rollback.parentStackId })
      .resolves({ StackEvents: events(rollback.parentEvents) });
    cfnMock
      .on(DescribeStackEventsCommand, { StackName: rollback.networkStackId })
      .resolves({ StackEvents: events(rollback.networkEvents) });
    const result = await checkStack(deps, { environmentId: ID, operation: 'create' });
    expect(result.state).toBe('FAILED');
    expect(result.stackStatus).toBe('ROLLBACK_COMPLETE');
    expect(result.reason).toMatch(
      /^EgressOnlyGateway \(AWS::EC2::EgressOnlyInternetGateway\) CREATE_FAILED: The maximum number of egress-only/,
    );
    expect(result.reason).not.toContain('cancelled');
    expect(result.reason?.length).toBeLessThanOrEqual(500);
  });

  it('truncates a long failure reason to about 500 characters', async () => {
    const { deps } = setup({ stackId: STACK_ID });
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackId: STACK_ID, StackName: 'x', StackStatus: 'CREATE_FAILED', CreationTime: new Date() }],
    });
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        {
          StackId: STACK_ID,
          EventId: '1',
          StackName: 'x',
          LogicalResourceId: 'Service',
          ResourceType: 'AWS::ECS::Service',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'x'.repeat(2000),
          Timestamp: new Date(),
        },
      ],
    });
    const result = await checkStack(deps, { environmentId: ID, operation: 'create' });
    expect(result.reason?.length).toBe(500);
  });

  it('counts a stack CloudFormation no longer knows as deleted', async () => {
    const { deps } = setup({ status: 'DELETING' });
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: `Stack with id dsenv-${ID} does not exist`,
      }),
    );
    await expect(checkStack(deps, { environmentId: ID, operation: 'delete' })).resolves.toEqual({
      state: 'COMPLETE',
      stackStatus: 'DOES_NOT_EXIST',
    });
    await expect(checkStack(deps, { environmentId: ID, operation: 'create' })).resolves.toMatchObject({
      state: 'FAILED',
    });
  });

  it('reports DELETE_COMPLETE as COMPLETE and DELETE_FAILED as FAILED with the reason', async () => {
    const { deps } = setup({ status: 'DELETING', stackId: STACK_ID });
    cfnMock
      .on(DescribeStacksCommand)
      .resolvesOnce({
        Stacks: [{ StackId: STACK_ID, StackName: 'x', StackStatus: 'DELETE_COMPLETE', CreationTime: new Date() }],
      })
      .resolves({
        Stacks: [{ StackId: STACK_ID, StackName: 'x', StackStatus: 'DELETE_FAILED', CreationTime: new Date() }],
      });
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        {
          StackId: STACK_ID,
          EventId: '1',
          StackName: 'x',
          LogicalResourceId: 'Vpc',
          ResourceType: 'AWS::EC2::VPC',
          ResourceStatus: 'DELETE_FAILED',
          ResourceStatusReason: 'The vpc has dependencies and cannot be deleted.',
          Timestamp: new Date(),
        },
      ],
    });
    await expect(checkStack(deps, { environmentId: ID, operation: 'delete' })).resolves.toEqual({
      state: 'COMPLETE',
      stackStatus: 'DELETE_COMPLETE',
    });
    const failed = await checkStack(deps, { environmentId: ID, operation: 'delete' });
    expect(failed).toEqual({
      state: 'FAILED',
      stackStatus: 'DELETE_FAILED',
      reason: 'Vpc (AWS::EC2::VPC) DELETE_FAILED: The vpc has dependencies and cannot be deleted.',
    });
  });

  it('does not store outputs on an environment that moved on (ConflictError for Superseded)', async () => {
    const { deps } = setup({ status: 'DELETING', stackId: STACK_ID });
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackId: STACK_ID,
          StackName: 'x',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: stackOutputs,
        },
      ],
    });
    await expect(checkStack(deps, { environmentId: ID, operation: 'create' })).rejects.toBeInstanceOf(ConflictError);
  });
});
