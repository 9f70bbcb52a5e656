import { CloudFormationClient, DescribeStackEventsCommand } from '@aws-sdk/client-cloudformation';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStack, createStack } from '../../../functions/domain/provisioning.js';
import { handleStackStatusChange } from '../../../functions/domain/stack-wait.js';
import { finishTeardown, startTeardown, taggedResources } from '../../../functions/domain/teardown.js';
import { StackStatusChangeEvent } from '../../../functions/schemas/workflow.js';
import { type RunningEmulator, startEmulator } from '../../../local/emulator-process.js';
import { stackStatusChange } from '../../../local/eventbridge-stand-in.js';
import { anEnvironment, FakeRegistry, fixedClock } from '../../fixtures/workflow/fakes.js';

/** A blueprint small enough for the emulator: the parent's interface, one tagged VPC, the outputs. */
const PARENT = `
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  EnvironmentId: { Type: String }
  ImageUri: { Type: String }
  TemplateBaseUrl: { Type: String }
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.42.0.0/16
      Tags: [{ Key: dsenv:environment-id, Value: !Ref EnvironmentId }]
Outputs:
  VpcId: { Value: !Ref Vpc }
  PublicURI: { Value: !Sub '\${EnvironmentId}-alb.example.test' }
  PrivateSubnetIds: { Value: 'subnet-a,subnet-b' }
`;

const ID = 'env-3k9x0q2m7ab1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let emulator: RunningEmulator;

beforeAll(async () => {
  // Extended: its stack events carry their ClientRequestToken, as on AWS.
  emulator = await startEmulator();
  const s3 = new S3Client({ endpoint: emulator.endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'blueprints' }));
  await s3.send(new PutObjectCommand({ Bucket: 'blueprints', Key: 'tiny/1.0.0/parent.yaml', Body: PARENT }));
});

afterAll(async () => {
  await emulator?.stop();
});

describe('provisioning and teardown against the emulator', () => {
  it('creates the stack, stores its outputs, deletes it and finds nothing tagged left', async () => {
    // Prepare
    const clock = fixedClock('2026-11-25T10:00:00.000Z');
    const registry = new FakeRegistry(clock, anEnvironment());
    const client = { endpoint: emulator.endpoint, region: 'us-east-1', credentials };
    const cfn = new CloudFormationClient(client);
    const config = {
      blueprintBaseUrl: `${emulator.endpoint}/blueprints/tiny/1.0.0`,
      cfnRoleArn: 'arn:aws:iam::123456789012:role/dsenv-cfn',
      stackTimeoutMinutes: 30,
    };

    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const sfn = {
      send: async (command: { constructor: { name: string }; input: object }) =>
        void sent.push({ name: command.constructor.name, input: command.input as Record<string, unknown> }),
    } as never;
    const logger = { info: () => undefined };
    /** The stack's own status events in the emulator, as EventBridge delivers them. */
    const stackEvents = async (stackId: string) => {
      const { StackEvents = [] } = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }));
      return StackEvents.filter((e) => e.LogicalResourceId === `dsenv-${ID}`)
        .reverse()
        .map((e) => StackStatusChangeEvent.parse(stackStatusChange(e)));
    };

    // Act + Assess: create; the execution sleeps until the stack's event resumes it
    const created = await createStack({ registry, cfn, sfn, config }, { environmentId: ID, taskToken: 'AQcreate-1' });
    expect(created.stackId).toMatch(/^arn:aws:cloudformation:us-east-1:\d+:stack\/dsenv-env-3k9x0q2m7ab1\//);
    expect(sent).toEqual([]);
    const [inProgress, complete] = await stackEvents(created.stackId);
    expect(complete?.detail).toMatchObject({
      'status-details': { status: 'CREATE_COMPLETE' },
      'client-request-token': `${ID}-create-1`,
    });
    await expect(handleStackStatusChange({ registry, cfn, sfn, logger }, complete as never)).resolves.toEqual({
      outcome: 'resumed',
      environmentId: ID,
    });
    expect(sent).toEqual([
      {
        name: 'SendTaskSuccessCommand',
        input: {
          taskToken: 'AQcreate-1',
          output: JSON.stringify({ state: 'COMPLETE', stackStatus: 'CREATE_COMPLETE' }),
        },
      },
    ]);
    // The in-progress event (not terminal, and out of date) resumes nothing.
    await expect(handleStackStatusChange({ registry, cfn, sfn, logger }, inProgress as never)).resolves.toMatchObject({
      outcome: 'out-of-date',
    });
    // A resumed run (the sweeper's) finds the stack done and resumes its own wait.
    await expect(
      createStack({ registry, cfn, sfn, config }, { environmentId: ID, taskToken: 'AQcreate-2' }),
    ).resolves.toEqual(created);
    expect(sent.at(-1)?.input.taskToken).toBe('AQcreate-2');
    const outputs = registry.stored(ID).outputs;
    expect(outputs.publicUri).toBe(`${ID}-alb.example.test`);
    expect(outputs.vpcId).toMatch(/^vpc-/);
    expect(outputs.privateSubnetIds).toEqual(['subnet-a', 'subnet-b']);

    // teardown
    const tagging = new ResourceGroupsTaggingAPIClient(client);
    // the stack and its VPC carry the environment tag while the stack lives (so an empty list later means something)
    expect((await taggedResources(tagging, ID)).sort()).toEqual([
      created.stackId,
      `arn:aws:ec2:us-east-1:123456789012:vpc/${outputs.vpcId}`,
    ]);
    await startTeardown(
      {
        registry,
        cfn,
        sfn,
        clock,
        deleteExpirySchedule: async () => undefined,
        config: { cfnRoleArn: config.cfnRoleArn, maxAttempts: 3 },
      },
      { environmentId: ID, taskToken: 'AQdelete-1' },
    );
    await expect(checkStack({ registry, cfn }, { environmentId: ID, operation: 'delete' })).resolves.toMatchObject({
      state: 'COMPLETE',
    });
    const deleteComplete = (await stackEvents(created.stackId)).at(-1);
    expect(deleteComplete?.detail['client-request-token']).toBe(`${ID}-delete-1`);
    // The create's event again (late, duplicated): another attempt's token, dropped.
    await expect(handleStackStatusChange({ registry, cfn, sfn, logger }, complete as never)).resolves.toMatchObject({
      outcome: 'stale-attempt',
    });
    await expect(
      handleStackStatusChange({ registry, cfn, sfn, logger }, deleteComplete as never),
    ).resolves.toMatchObject({ outcome: 'resumed' });
    expect(sent.at(-1)?.input.taskToken).toBe('AQdelete-1');
    await expect(finishTeardown({ registry, cfn, clock, tagging }, ID)).resolves.toEqual({ status: 'DELETED' });
    expect(registry.stored(ID).teardown).toMatchObject({ remaining: [], attempts: 1 });
  });
});
