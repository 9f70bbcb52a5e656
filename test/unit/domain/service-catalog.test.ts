import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ServiceCatalogClient, TerminateProvisionedProductCommand } from '@aws-sdk/client-service-catalog';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  answerRegistrationEvent,
  type CatalogDeps,
  catalogEnvironmentId,
  terminateProvisionedProduct,
} from '../../../functions/domain/service-catalog.js';
import { startTeardown } from '../../../functions/domain/teardown.js';
import type { RegistrationEvent } from '../../../functions/schemas/catalog.js';
import type { Environment } from '../../../functions/schemas/environment.js';
import { ThrottledError, TransientError } from '../../../functions/shared/errors.js';
import { anEnvironment, FakeRegistry, fixedClock } from '../../fixtures/workflow/fakes.js';
import { awsError, fakeDeps } from '../api/support/fakes.js';

const cfnMock = mockClient(CloudFormationClient);
const catalogMock = mockClient(ServiceCatalogClient);

const CAROL = 'arn:aws:iam::123456789012:user/carol';
const PRODUCT_STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/SC-123456789012-pp-abc123/uuid-1';
const PP = 'pp-abc123';
const SCHEDULE = (id: string) => `dsenv/dsenv-${id}-expiry`;

function catalogDeps() {
  const fakes = fakeDeps();
  const deps: CatalogDeps = { ...fakes.deps, cfn: new CloudFormationClient({ region: 'us-east-1' }) };
  return { ...fakes, deps };
}

/** The product stack as Service Catalog tags it. */
function productStackIsTagged(tags = true) {
  cfnMock.on(DescribeStacksCommand, { StackName: PRODUCT_STACK }).resolves({
    Stacks: [
      {
        StackId: PRODUCT_STACK,
        StackName: 'SC-123456789012-pp-abc123',
        StackStatus: 'CREATE_IN_PROGRESS',
        CreationTime: new Date(),
        Tags: tags
          ? [
              {
                Key: 'aws:servicecatalog:provisionedProductArn',
                Value: `arn:aws:servicecatalog:us-east-1:123456789012:stack/my-env/${PP}`,
              },
              { Key: 'aws:servicecatalog:provisioningPrincipalArn', Value: CAROL },
            ]
          : [{ Key: 'team', Value: 'blue' }],
      },
    ],
  });
}

function event(requestType: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}): RegistrationEvent {
  const base = {
    RequestType: requestType,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/x',
    StackId: PRODUCT_STACK,
    RequestId: 'req-1',
    LogicalResourceId: 'Registration',
    ResourceType: 'Custom::EnvironmentRegistration',
    ResourceProperties: { EnvironmentName: 'catalog-demo', TtlMinutes: '60' },
  };
  return { ...base, ...extra } as RegistrationEvent;
}

const ENV_ID = catalogEnvironmentId(PRODUCT_STACK, 'Registration');

async function registered() {
  const setup = catalogDeps();
  productStackIsTagged();
  const created = await answerRegistrationEvent(setup.deps, event('Create'), 'stream');
  expect(created.Status).toBe('SUCCESS');
  return setup;
}

beforeEach(() => {
  cfnMock.reset();
  catalogMock.reset();
});

describe('a launch from the catalog (Create)', () => {
  it('registers the environment as the launching principal’s, with source service-catalog, its expiry and its provisioning', async () => {
    const { deps, registry, scheduler, sfn } = catalogDeps();
    productStackIsTagged();

    const response = await answerRegistrationEvent(deps, event('Create'), 'stream');

    expect(response).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: ENV_ID,
      StackId: PRODUCT_STACK,
      RequestId: 'req-1',
      LogicalResourceId: 'Registration',
      Data: { EnvironmentId: ENV_ID, Owner: CAROL, ExpiresAt: '2026-03-01T13:00:00.000Z' },
    });
    expect(registry.items.get(ENV_ID)).toMatchObject({
      name: 'catalog-demo',
      owner: CAROL,
      status: 'CREATING',
      source: 'service-catalog',
      provisionedProductId: PP,
      stackName: `dsenv-${ENV_ID}`,
      executionArn: expect.stringContaining(`${ENV_ID}-provision-`),
    });
    expect(scheduler.schedules.get(SCHEDULE(ENV_ID))?.ScheduleExpression).toBe('at(2026-03-01T13:00:00)');
    expect(sfn.started.map((s) => JSON.parse(s.input ?? '{}'))).toEqual([
      { action: 'provision', environmentId: ENV_ID },
    ]);
  });

  it('registers one environment when CloudFormation delivers the same Create twice', async () => {
    const { deps, registry, sfn } = await registered();

    const again = await answerRegistrationEvent(deps, event('Create', { RequestId: 'req-1' }), 'stream');

    expect(again).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ENV_ID });
    expect(registry.items.size).toBe(1);
    expect(sfn.started).toHaveLength(1);
  });

  it('refuses a stack that Service Catalog did not launch, registering nothing', async () => {
    const { deps, registry, sfn } = catalogDeps();
    productStackIsTagged(false);

    const response = await answerRegistrationEvent(deps, event('Create'), 'stream');

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/not launched from Service Catalog/);
    expect(response.PhysicalResourceId).toBe('registration-failed-req-1');
    expect(registry.items.size).toBe(0);
    expect(sfn.started).toEqual([]);
  });

  it('answers FAILED with the API’s rule when TtlMinutes is outside the bounds, before reading anything', async () => {
    const { deps, registry } = catalogDeps();

    const response = await answerRegistrationEvent(
      deps,
      event('Create', { ResourceProperties: { EnvironmentName: 'demo', TtlMinutes: '20000' } }),
      'stream',
    );

    expect(response).toMatchObject({ Status: 'FAILED', Reason: 'TtlMinutes must be an integer between 30 and 10080' });
    expect(cfnMock.calls()).toHaveLength(0);
    expect(registry.items.size).toBe(0);
  });

  it('answers FAILED with the quota message when the owner is at the limit', async () => {
    const { deps } = catalogDeps();
    deps.config = { ...deps.config, maxActivePerOwner: 0 };
    productStackIsTagged();

    const response = await answerRegistrationEvent(deps, event('Create'), 'stream');

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/limit per principal is 0/);
  });

  it('undoes the record and the schedule when the execution cannot start, and says only where to look', async () => {
    const { deps, registry, scheduler, sfn } = catalogDeps();
    productStackIsTagged();
    sfn.failNext('start', awsError('AccessDeniedException'));

    const response = await answerRegistrationEvent(deps, event('Create'), 'stream-42');

    expect(response).toMatchObject({
      Status: 'FAILED',
      Reason: 'internal error; see log stream stream-42 of the registration function',
    });
    expect(registry.items.size).toBe(0);
    expect(scheduler.schedules.size).toBe(0);
  });
});

describe('a product update (Update)', () => {
  it('extends the environment to the new TtlMinutes and moves its schedule', async () => {
    const { deps, registry, scheduler } = await registered();

    const response = await answerRegistrationEvent(
      deps,
      event('Update', {
        PhysicalResourceId: ENV_ID,
        ResourceProperties: { EnvironmentName: 'catalog-demo', TtlMinutes: '120' },
        OldResourceProperties: { EnvironmentName: 'catalog-demo', TtlMinutes: '60' },
      }),
      'stream',
    );

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ENV_ID });
    expect(registry.items.get(ENV_ID)?.expiresAt).toBe('2026-03-01T14:00:00.000Z');
    expect(scheduler.schedules.get(SCHEDULE(ENV_ID))?.ScheduleExpression).toBe('at(2026-03-01T14:00:00)');
  });

  it('refuses to rename the environment', async () => {
    const { deps } = await registered();

    const response = await answerRegistrationEvent(
      deps,
      event('Update', {
        PhysicalResourceId: ENV_ID,
        ResourceProperties: { EnvironmentName: 'other', TtlMinutes: '60' },
        OldResourceProperties: { EnvironmentName: 'catalog-demo', TtlMinutes: '60' },
      }),
      'stream',
    );

    expect(response).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/cannot change/) });
  });
});

describe('a termination from the catalog (Delete)', () => {
  it('starts the same teardown as DELETE, with reason catalog-terminated, and removes the expiry schedule', async () => {
    const { deps, registry, scheduler, sfn } = await registered();

    const response = await answerRegistrationEvent(deps, event('Delete', { PhysicalResourceId: ENV_ID }), 'stream');

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ENV_ID });
    expect(registry.items.get(ENV_ID)?.status).toBe('DELETING');
    expect(sfn.started.map((s) => JSON.parse(s.input ?? '{}'))).toContainEqual({
      action: 'teardown',
      environmentId: ENV_ID,
      reason: 'catalog-terminated',
    });
    expect(registry.items.get(ENV_ID)?.executionArn).toContain(`${ENV_ID}-teardown-`);
    expect(scheduler.schedules.has(SCHEDULE(ENV_ID))).toBe(false);
  });

  it('leaves an environment the control plane is already tearing down as it is (terminated by the teardown)', async () => {
    const { deps, registry, sfn } = await registered();
    registry.touch(ENV_ID, { status: 'DELETING' });

    const response = await answerRegistrationEvent(deps, event('Delete', { PhysicalResourceId: ENV_ID }), 'stream');

    expect(response.Status).toBe('SUCCESS');
    expect(sfn.started.filter((s) => s.input?.includes('teardown'))).toEqual([]);
  });

  it('succeeds at once for the rollback of a failed launch (no environment behind the id)', async () => {
    const { deps, sfn } = catalogDeps();

    const response = await answerRegistrationEvent(
      deps,
      event('Delete', { PhysicalResourceId: 'registration-failed-req-0' }),
      'stream',
    );

    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'registration-failed-req-0' });
    expect(cfnMock.calls()).toHaveLength(0);
    expect(sfn.started).toEqual([]);
  });

  it('refuses to tear down an environment another provisioned product registered', async () => {
    const { deps, registry, sfn } = await registered();
    registry.touch(ENV_ID, { provisionedProductId: 'pp-someoneelse' });

    const response = await answerRegistrationEvent(deps, event('Delete', { PhysicalResourceId: ENV_ID }), 'stream');

    expect(response.Status).toBe('FAILED');
    expect(registry.items.get(ENV_ID)?.status).toBe('CREATING');
    expect(sfn.started).toHaveLength(1);
  });
});

describe('terminateProvisionedProduct (the control plane tears a catalog environment down)', () => {
  const client = new ServiceCatalogClient({ region: 'us-east-1', maxAttempts: 1 });
  const catalogEnvironment = anEnvironment({ source: 'service-catalog', provisionedProductId: PP, status: 'DELETING' });

  it('terminates the provisioned product with a token stable for the environment', async () => {
    catalogMock.on(TerminateProvisionedProductCommand).resolves({ RecordDetail: { RecordId: 'rec-1' } });

    const outcome = await terminateProvisionedProduct(client, catalogEnvironment);

    expect(outcome).toBe('terminating');
    expect(catalogMock).toHaveReceivedCommandWith(TerminateProvisionedProductCommand, {
      ProvisionedProductId: PP,
      TerminateToken: `${catalogEnvironment.id}-terminate`,
      IgnoreErrors: false,
    });
  });

  it('accepts a termination already in progress (the catalog started it)', async () => {
    catalogMock.on(TerminateProvisionedProductCommand).rejects(awsError('InvalidStateException'));

    expect(await terminateProvisionedProduct(client, catalogEnvironment)).toBe('already-terminating');
  });

  it('accepts a provisioned product that is already gone', async () => {
    catalogMock.on(TerminateProvisionedProductCommand).rejects(awsError('ResourceNotFoundException'));

    expect(await terminateProvisionedProduct(client, catalogEnvironment)).toBe('gone');
  });

  it('turns throttling and server errors into errors the state machine retries', async () => {
    catalogMock.on(TerminateProvisionedProductCommand).rejects(awsError('ThrottlingException'));
    await expect(terminateProvisionedProduct(client, catalogEnvironment)).rejects.toBeInstanceOf(ThrottledError);

    catalogMock.on(TerminateProvisionedProductCommand).rejects(awsError('InternalFailure', 'server'));
    await expect(terminateProvisionedProduct(client, catalogEnvironment)).rejects.toBeInstanceOf(TransientError);
  });

  it('throws any other error as it is (the teardown records it)', async () => {
    catalogMock.on(TerminateProvisionedProductCommand).rejects(awsError('AccessDeniedException'));

    await expect(terminateProvisionedProduct(client, catalogEnvironment)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('does nothing for an environment requested through the API', async () => {
    const outcome = await terminateProvisionedProduct(client, anEnvironment({ source: 'api' }));

    expect(outcome).toBe('not-from-catalog');
    expect(catalogMock.calls()).toHaveLength(0);
  });
});

describe('startTeardown of a catalog environment', () => {
  function teardownSetup(environment: Environment) {
    const clock = fixedClock('2026-11-25T15:00:00.000Z');
    const registry = new FakeRegistry(clock, environment);
    const client = new ServiceCatalogClient({ region: 'us-east-1' });
    const deps = {
      registry,
      cfn: new CloudFormationClient({ region: 'us-east-1' }),
      sfn: new SFNClient({ region: 'us-east-1' }),
      clock,
      deleteExpirySchedule: async () => undefined,
      terminateCatalogProduct: (e: Environment) => terminateProvisionedProduct(client, e),
      config: { cfnRoleArn: 'arn:aws:iam::123456789012:role/dsenv-cfn', maxAttempts: 3 },
    };
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-x/1',
          StackName: environment.stackName,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
        },
      ],
    });
    return { deps, registry };
  }

  it('deletes the blueprint stack and terminates the provisioned product (expiry or API DELETE)', async () => {
    const environment = anEnvironment({ status: 'READY', source: 'service-catalog', provisionedProductId: PP });
    const { deps, registry } = teardownSetup(environment);
    catalogMock.on(TerminateProvisionedProductCommand).resolves({});

    await startTeardown(deps, { environmentId: environment.id, taskToken: 'AQtoken' });

    expect(cfnMock).toHaveReceivedCommand(DeleteStackCommand);
    expect(catalogMock).toHaveReceivedCommandWith(TerminateProvisionedProductCommand, { ProvisionedProductId: PP });
    expect(registry.stored(environment.id).status).toBe('DELETING');
  });

  it('goes on when the catalog is already terminating the product (termination from the catalog)', async () => {
    const environment = anEnvironment({ status: 'DELETING', source: 'service-catalog', provisionedProductId: PP });
    const { deps, registry } = teardownSetup(environment);
    catalogMock.on(TerminateProvisionedProductCommand).rejects(awsError('InvalidStateException'));

    const result = await startTeardown(deps, { environmentId: environment.id, taskToken: 'AQtoken' });

    expect(result.attempt).toBe(1);
    expect(registry.stored(environment.id).teardown?.attempts).toBe(1);
  });
});

describe('a launch with the service parameters', () => {
  const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1';
  const withService = (extra: Record<string, string>) =>
    event('Create', {
      ResourceProperties: { EnvironmentName: 'catalog-web', TtlMinutes: '60', ServiceImage: IMAGE, ...extra },
    });

  it('registers the service the parameters describe, as POST /environments would', async () => {
    // Prepare
    const { deps, registry } = catalogDeps();
    productStackIsTagged();
    const parameters = {
      ServicePort: '8080',
      ServiceHealthPath: '/healthz',
      ServiceCommand: 'node,server.mjs',
      ServiceEnv1Name: 'GREETING',
      ServiceEnv1Value: 'hi',
      ServiceEnv2Name: '',
      ServiceEnv2Value: '',
      ContainerCpu: '512',
      ContainerMemory: '1024',
      DesiredCount: '2',
    };

    // Act
    const response = await answerRegistrationEvent(deps, withService(parameters), 'stream');

    // Assess
    expect(response.Status, response.Reason).toBe('SUCCESS');
    expect(registry.items.get(ENV_ID)?.service).toEqual({
      image: IMAGE,
      port: 8080,
      healthPath: '/healthz',
      healthyHttpCodes: '200-399',
      command: ['node', 'server.mjs'],
      environment: { GREETING: 'hi' },
      cpu: 512,
      memory: 1024,
      desiredCount: 2,
    });
  });

  it.each([
    [{ ServiceImage: 'docker.io/library/nginx:1.27' }, /no IPv4 route to the internet/],
    [{ ServicePort: '3000' }, /must not be 3000/],
    [{ ContainerCpu: '256', ContainerMemory: '4096' }, /not a valid Fargate size/],
    [
      { ServiceSecret1Name: 'DB', ServiceSecret1Arn: 'arn:aws:ssm:us-east-1:123456789012:parameter/other/db' },
      /outside the allowed secrets/,
    ],
  ])('answers FAILED for %o, registering nothing', async (extra, reason) => {
    const { deps, registry, sfn } = catalogDeps();
    productStackIsTagged();

    const response = await answerRegistrationEvent(deps, withService({ ServicePort: '8080', ...extra }), 'stream');

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(reason);
    expect(registry.items.size).toBe(0);
    expect(sfn.started).toHaveLength(0);
  });

  it('refuses an update that changes the service', async () => {
    const { deps } = await registered();

    const response = await answerRegistrationEvent(
      deps,
      event('Update', {
        PhysicalResourceId: ENV_ID,
        ResourceProperties: {
          EnvironmentName: 'catalog-demo',
          TtlMinutes: '60',
          ServiceImage: IMAGE,
          ServicePort: '80',
        },
        OldResourceProperties: { EnvironmentName: 'catalog-demo', TtlMinutes: '60' },
      }),
      'stream',
    );

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/service parameters cannot change/);
  });
});
