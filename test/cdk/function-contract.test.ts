import { Resolver } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { GetScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SearchProvisionedProductsCommand } from '@aws-sdk/client-service-catalog';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../../control-plane/config.js';
import { HANDLER_ENTRY_METADATA } from '../../control-plane/constructs/house-function.js';
import {
  catalogEnvironmentId,
  REGISTRATION_LOGICAL_ID,
  TAG_PROVISIONED_PRODUCT_ARN,
  TAG_PROVISIONING_PRINCIPAL_ARN,
} from '../../functions/domain/service-catalog.js';
import type { RegistrationResponse } from '../../functions/schemas/catalog.js';
import type { Environment } from '../../functions/schemas/environment.js';
import { anEnvironment } from '../fixtures/workflow/fakes.js';
import stackStatusChange from '../fixtures/workflow/stack-status-change.json' with { type: 'json' };
import { ALICE, lambdaContext as apiContext, apiEvent } from '../unit/api/support/events.js';
import { lambdaContext as taskContext } from '../unit/workflow/lambda-context.js';
import { FakeAws, notFound, stackIdOf } from './support/fake-aws.js';
import { iamRequestsOf } from './support/sdk-requests.js';
import {
  intrinsicResolver,
  isAllowed,
  type Statement,
  statementsOfRole,
  type TemplateResources,
} from './support/template-iam.js';
import { buildControlPlane } from './synth.js';

/**
 * The contract between each deployed function and its code. Locally every handler runs in one process with every
 * variable set; on AWS each function has only its own variables and its own role. Here every function of the
 * synthesized stack runs its handler, freshly imported, with exactly its own variables, every SDK call answered by
 * a mock, and then: it read (through functions/shared/env.ts) no variable its function lacks, every call it made is
 * allowed by its role's policies (action, resource, iam:PassRole), and every variable it is given is read.
 */

/** A deployed function: its handler entry, its variables (intrinsics resolved) and its role's statements. */
interface DeployedFunction {
  readonly entry: string;
  readonly variables: Record<string, string>;
  readonly statements: readonly Statement[];
}

/** What the house function sets for the runtime and libraries (not read through env.ts). */
const RUNTIME_SETTINGS = /^(POWERTOOLS_|NODE_OPTIONS$)/;

/** Added to a function's own variables, as Lambda would (region, credentials), and to keep Powertools quiet. */
const LAMBDA_RUNTIME_VARIABLES = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const ID = 'env-3k9x0q2m7ab1';
/** ARN of the template's state machine, as the resolver answers `Ref` (set once the template is read). */
let stateMachineArn = '';
/** A task token of this state machine's (see SFNClient in support/sdk-requests.ts). */
const taskToken = () => `AQtoken@${stateMachineArn}`;
const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
const executionOf = (stateMachineArn: string | undefined, name: string) =>
  `${String(stateMachineArn).replace(':stateMachine:', ':execution:')}:${name}`;

/** A registry record of ALICE's, created half an hour ago, expiring in an hour. */
function record(overrides: Partial<Environment> = {}): Environment {
  const at = minutesFromNow(-30);
  return anEnvironment({ owner: ALICE, createdAt: at, updatedAt: at, expiresAt: minutesFromNow(60), ...overrides });
}

interface Scenario {
  readonly name: string;
  /** Puts what the path needs into the fake account and returns the handler's event. */
  readonly prepare: (aws: FakeAws, variables: Record<string, string>) => unknown;
  /** SDK commands the path must send: proof that the handler went through it. */
  readonly sends: readonly string[];
  /** The handler's answer on that path. */
  readonly assess: (result: unknown) => void;
}

const answers = (statusCode: number) => (result: unknown) => {
  const response = result as APIGatewayProxyResult;
  expect(response.statusCode, response.body).toBe(statusCode);
};

/** Stands in for CloudFormation's pre-signed ResponseURL: keeps every PUT body a custom-resource handler sends. */
let responseServer: Server;
let responseUrl = '';
const responsesPut: RegistrationResponse[] = [];

/** A Service Catalog product stack, as Service Catalog tags it (the launching principal, the provisioned product). */
const PRODUCT_STACK = stackIdOf('SC-123456789012-pp-abc123def456');
const PROVISIONED_PRODUCT = 'pp-abc123def456';
const CATALOG_ENVIRONMENT = catalogEnvironmentId(PRODUCT_STACK, 'Registration');

/** An environment whose stack was just created: the outputs Validate and the IPv6 prober read. */
function createdEnvironment() {
  return record({
    status: 'CREATING',
    stackId: stackIdOf(`dsenv-${ID}`),
    outputs: {
      publicUri: `${ID}-alb-123.us-east-1.elb.amazonaws.com`,
      vpcId: 'vpc-0abc',
      privateSubnetIds: ['subnet-priv1'],
      loadBalancerArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/${ID}-alb/abc`,
      clusterName: ID,
      serviceName: `${ID}-service`,
    },
  });
}

/** The product stack answers DescribeStacks with the tags only Service Catalog can set. */
function productStackIsTagged(aws: FakeAws): void {
  aws
    .stub('CloudFormationClient')
    .on(DescribeStacksCommand, { StackName: PRODUCT_STACK })
    .resolves({
      Stacks: [
        {
          StackId: PRODUCT_STACK,
          StackName: 'SC-123456789012-pp-abc123def456',
          StackStatus: 'CREATE_IN_PROGRESS',
          CreationTime: new Date(),
          Tags: [
            {
              Key: TAG_PROVISIONED_PRODUCT_ARN,
              Value: `arn:aws:servicecatalog:us-east-1:123456789012:stack/demo/${PROVISIONED_PRODUCT}`,
            },
            { Key: TAG_PROVISIONING_PRINCIPAL_ARN, Value: ALICE },
          ],
        },
      ],
    });
}

/** A record registered by that provisioned product. */
const catalogRecord = (overrides: Partial<Environment> = {}) =>
  record({ source: 'service-catalog', provisionedProductId: PROVISIONED_PRODUCT, status: 'READY', ...overrides });

/**
 * A CloudFormation event for the product's `Custom::EnvironmentRegistration`, nothing answered yet. The product
 * stack carries the catalog's tags; an Update or Delete is about the environment registered as `ID`.
 */
function registrationEvent(aws: FakeAws, requestType: 'Create' | 'Update' | 'Delete', extra = {}) {
  responsesPut.length = 0;
  productStackIsTagged(aws);
  if (requestType !== 'Create') aws.records.set(ID, catalogRecord());
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:registration',
    ResponseURL: responseUrl,
    StackId: PRODUCT_STACK,
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'Registration',
    ResourceType: 'Custom::EnvironmentRegistration',
    ResourceProperties: { EnvironmentName: 'catalog-demo', TtlMinutes: '60' },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: ID }),
    ...extra,
  };
}

/** The handler answered SUCCESS, and CloudFormation got that same answer at ResponseURL, once. */
const answersCloudFormation = (physicalResourceId: string) => (result: unknown) => {
  expect(result).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalResourceId });
  expect(responsesPut).toEqual([result]);
};

/** One or more paths through each handler; every function with a handler entry must have one. */
const SCENARIOS: Record<string, readonly Scenario[]> = {
  'functions/api/create-environment.ts': [
    {
      name: 'POST with an Idempotency-Key creates the record, the expiry schedule and the execution',
      prepare: () =>
        apiEvent({
          method: 'POST',
          resource: '/environments',
          body: { name: 'demo', ttlMinutes: 60 },
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'request-0001' },
        }),
      sends: [
        'PutItemCommand',
        'QueryCommand',
        'DescribeVpcsCommand',
        'DescribeEgressOnlyInternetGatewaysCommand',
        'PutCommand',
        'CreateScheduleCommand',
        'StartExecutionCommand',
        'UpdateCommand',
      ],
      assess: answers(202),
    },
  ],
  'functions/api/get-environment.ts': [
    {
      name: 'GET answers with the record',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        return apiEvent({ method: 'GET', resource: '/environments/{id}', id: ID });
      },
      sends: ['GetCommand'],
      assess: answers(200),
    },
  ],
  'functions/api/list-environments.ts': [
    {
      name: "GET lists the caller's environments",
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        return apiEvent({ method: 'GET', resource: '/environments', query: { limit: '10' } });
      },
      sends: ['QueryCommand'],
      assess: answers(200),
    },
  ],
  'functions/api/list-environment-events.ts': [
    {
      name: "GET lists the caller's environment's timeline",
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        return apiEvent({ method: 'GET', resource: '/environments/{id}/events', id: ID, query: { limit: '10' } });
      },
      sends: ['GetCommand', 'QueryCommand'],
      assess: answers(200),
    },
  ],
  'functions/api/delete-environment.ts': [
    {
      name: 'DELETE starts the teardown and deletes the expiry schedule',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        return apiEvent({ method: 'DELETE', resource: '/environments/{id}', id: ID });
      },
      sends: ['GetCommand', 'UpdateCommand', 'StartExecutionCommand', 'DeleteScheduleCommand'],
      assess: answers(202),
    },
  ],
  'functions/api/update-environment.ts': [
    {
      name: 'PATCH moves the expiry schedule',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        return apiEvent({ method: 'PATCH', resource: '/environments/{id}', id: ID, body: { ttlMinutes: 120 } });
      },
      sends: ['GetCommand', 'UpdateCommand', 'UpdateScheduleCommand'],
      assess: answers(200),
    },
    {
      name: 'PATCH recreates an expiry schedule that is gone',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        aws
          .stub('SchedulerClient')
          .on(UpdateScheduleCommand)
          .rejects(notFound('ResourceNotFoundException', 'Schedule not found'));
        return apiEvent({ method: 'PATCH', resource: '/environments/{id}', id: ID, body: { ttlMinutes: 120 } });
      },
      sends: ['UpdateScheduleCommand', 'CreateScheduleCommand'],
      assess: answers(200),
    },
  ],
  'functions/workflow/create-stack.ts': [
    {
      name: 'CreateStack starts the stack with the CloudFormation role',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'CREATING' }));
        return { environmentId: ID, taskToken: taskToken() };
      },
      sends: ['GetCommand', 'UpdateCommand', 'CreateStackCommand'],
      assess: (result) => expect(result).toEqual({ stackId: stackIdOf(`dsenv-${ID}`), stackName: `dsenv-${ID}` }),
    },
    {
      name: 'a resumed CreateStack takes the stack that already exists',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'CREATING' }));
        aws
          .stub('CloudFormationClient')
          .on(CreateStackCommand)
          .rejects(notFound('AlreadyExistsException', 'Stack already exists'));
        return { environmentId: ID, taskToken: taskToken() };
      },
      // The existing stack is complete: the wait is resumed here.
      sends: ['CreateStackCommand', 'DescribeStacksCommand', 'SendTaskSuccessCommand'],
      assess: (result) => expect(result).toMatchObject({ stackName: `dsenv-${ID}` }),
    },
  ],
  'functions/workflow/check-stack.ts': [
    {
      name: 'CheckCreate stores the outputs of a CREATE_COMPLETE stack and resumes the wait',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'CREATING', stackId: stackIdOf(`dsenv-${ID}`) }));
        return { environmentId: ID, operation: 'create', taskToken: taskToken() };
      },
      sends: ['GetCommand', 'UpdateCommand', 'DescribeStacksCommand', 'SendTaskSuccessCommand'],
      assess: (result) => expect(result).toMatchObject({ outcome: 'resumed' }),
    },
    {
      name: 'CheckCreate reads the failed events of a rolled-back stack',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'CREATING', stackId: stackIdOf(`dsenv-${ID}`) }));
        aws
          .stub('CloudFormationClient')
          .on(DescribeStacksCommand)
          .resolves({ Stacks: [aws.stack(`dsenv-${ID}`, 'ROLLBACK_COMPLETE')] })
          .on(DescribeStackEventsCommand)
          .resolves({
            StackEvents: [
              {
                StackId: stackIdOf(`dsenv-${ID}`),
                StackName: `dsenv-${ID}`,
                EventId: 'e-1',
                LogicalResourceId: 'Vpc',
                ResourceType: 'AWS::EC2::VPC',
                ResourceStatus: 'CREATE_FAILED',
                ResourceStatusReason: 'The maximum number of VPCs has been reached.',
                Timestamp: new Date(),
              },
            ],
          });
        return { environmentId: ID, operation: 'create', taskToken: taskToken() };
      },
      sends: ['DescribeStacksCommand', 'DescribeStackEventsCommand', 'SendTaskFailureCommand'],
      assess: (result) => expect(result).toMatchObject({ outcome: 'failed', stackStatus: 'ROLLBACK_COMPLETE' }),
    },
    {
      name: 'CheckDelete reports a stack being deleted',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'DELETING', stackId: stackIdOf(`dsenv-${ID}`) }));
        aws
          .stub('CloudFormationClient')
          .on(DescribeStacksCommand)
          .resolves({ Stacks: [aws.stack(`dsenv-${ID}`, 'DELETE_IN_PROGRESS')] });
        return { environmentId: ID, operation: 'delete', taskToken: taskToken() };
      },
      sends: ['UpdateCommand', 'DescribeStacksCommand'],
      assess: (result) => expect(result).toMatchObject({ outcome: 'waiting', stackStatus: 'DELETE_IN_PROGRESS' }),
    },
  ],
  'functions/workflow/validate-environment.ts': [
    {
      name: "Validate runs the network checks and judges the IPv6 ones on the prober's answers",
      prepare: (aws) => {
        aws.records.set(ID, createdEnvironment());
        // The load balancer's name has an AAAA record only: every HTTP check reads the IPv6 prober's answers.
        vi.spyOn(Resolver.prototype, 'resolve4').mockRejectedValue(
          Object.assign(new Error('queryA ENODATA'), { code: 'ENODATA' }),
        );
        vi.spyOn(Resolver.prototype, 'resolve6').mockResolvedValue(['2001:db8::10'] as never);
        const url = `http://${ID}-alb-123.us-east-1.elb.amazonaws.com/health`;
        const health = { ok: true, statusCode: 200, remoteAddress: '2001:db8::10', remoteFamily: 'IPv6', elapsedMs: 9 };
        return { environmentId: ID, ipv6: { probes: [{ url, response: health }] } };
      },
      sends: [
        'GetCommand',
        'UpdateCommand',
        'DescribeVpcsCommand',
        'DescribeRouteTablesCommand',
        'DescribeLoadBalancersCommand',
        'DescribeServicesCommand',
      ],
      assess: (result) => expect(result).toMatchObject({ passed: expect.any(Boolean) }),
    },
  ],
  'functions/workflow/record-failure.ts': [
    {
      name: 'RecordCreateFailure stores the reason',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'CREATING' }));
        return { environmentId: ID, stage: 'create', reason: 'Vpc CREATE_FAILED: limit' };
      },
      sends: ['GetCommand', 'UpdateCommand'],
      assess: (result) => expect(result).toMatchObject({ failureReason: expect.stringContaining('limit') }),
    },
  ],
  'functions/workflow/start-teardown.ts': [
    {
      name: 'StartTeardown deletes the expiry and warning schedules and the stack with the CloudFormation role',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY', stackId: stackIdOf(`dsenv-${ID}`) }));
        return { environmentId: ID, taskToken: taskToken() };
      },
      sends: ['UpdateCommand', 'DeleteScheduleCommand', 'DescribeStacksCommand', 'DeleteStackCommand'],
      assess: (result) => expect(result).toEqual({ attempt: 1, stackStatus: 'CREATE_COMPLETE' }),
    },
    {
      name: 'StartTeardown of a catalog environment also terminates its provisioned product',
      prepare: (aws) => {
        aws.records.set(ID, catalogRecord({ stackId: stackIdOf(`dsenv-${ID}`) }));
        return { environmentId: ID, taskToken: taskToken() };
      },
      sends: ['DeleteScheduleCommand', 'DeleteStackCommand', 'TerminateProvisionedProductCommand'],
      assess: (result) => expect(result).toEqual({ attempt: 1, stackStatus: 'CREATE_COMPLETE' }),
    },
  ],
  'functions/workflow/stack-event.ts': [
    {
      name: "a root stack's CREATE_COMPLETE event stores the outputs and resumes the waiting execution",
      prepare: (aws) => {
        const wait = { operation: 'create', taskToken: taskToken(), requestToken: `${ID}-create-1` } as const;
        aws.records.set(ID, record({ status: 'CREATING', stackId: stackIdOf(`dsenv-${ID}`), wait }));
        return {
          ...stackStatusChange,
          detail: { ...stackStatusChange.detail, 'stack-id': stackIdOf(`dsenv-${ID}`) },
        };
      },
      sends: ['GetCommand', 'DescribeStacksCommand', 'UpdateCommand', 'SendTaskSuccessCommand'],
      assess: (result) => expect(result).toEqual({ outcome: 'resumed', environmentId: ID }),
    },
  ],
  'functions/workflow/catalog-registration.ts': [
    {
      name: 'a launch (Create) reads the product stack tags, registers the environment and answers at ResponseURL',
      prepare: (aws) => registrationEvent(aws, 'Create'),
      sends: [
        'DescribeStacksCommand',
        'GetCommand',
        'QueryCommand',
        'DescribeVpcsCommand',
        'DescribeEgressOnlyInternetGatewaysCommand',
        'PutCommand',
        'CreateScheduleCommand',
        'StartExecutionCommand',
        'UpdateCommand',
      ],
      assess: answersCloudFormation(CATALOG_ENVIRONMENT),
    },
    {
      name: 'a launch with the service parameters checks the image against the platform rules and registers it',
      prepare: (aws) =>
        registrationEvent(aws, 'Create', {
          ResourceProperties: {
            EnvironmentName: 'catalog-web',
            TtlMinutes: '60',
            ServiceImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1',
            ServicePort: '8080',
          },
        }),
      sends: ['DescribeStacksCommand', 'PutCommand', 'CreateScheduleCommand', 'StartExecutionCommand'],
      assess: answersCloudFormation(CATALOG_ENVIRONMENT),
    },
    {
      name: 'a product update (Update) with a new TtlMinutes moves the expiry schedule',
      prepare: (aws) =>
        registrationEvent(aws, 'Update', {
          ResourceProperties: { EnvironmentName: 'demo', TtlMinutes: '120' },
          OldResourceProperties: { EnvironmentName: 'demo', TtlMinutes: '60' },
        }),
      sends: ['DescribeStacksCommand', 'GetCommand', 'UpdateCommand', 'UpdateScheduleCommand'],
      assess: answersCloudFormation(ID),
    },
    {
      name: 'a termination from the catalog (Delete) starts the teardown and deletes the expiry schedule',
      prepare: (aws) => registrationEvent(aws, 'Delete'),
      sends: ['DescribeStacksCommand', 'GetCommand', 'UpdateCommand', 'StartExecutionCommand', 'DeleteScheduleCommand'],
      assess: answersCloudFormation(ID),
    },
  ],
  'functions/workflow/finish-teardown.ts': [
    {
      name: 'FinishTeardown finds nothing tagged and records DELETED',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'DELETING', stackId: stackIdOf(`dsenv-${ID}`) }));
        aws
          .stub('CloudFormationClient')
          .on(DescribeStacksCommand)
          .resolves({ Stacks: [aws.stack(`dsenv-${ID}`, 'DELETE_COMPLETE')] });
        return { environmentId: ID };
      },
      sends: ['GetResourcesCommand', 'DescribeStacksCommand', 'UpdateCommand'],
      assess: (result) => expect(result).toEqual({ status: 'DELETED' }),
    },
  ],
  'functions/workflow/sweeper.ts': [
    {
      name: 'the sweeper tears down, restarts, recreates a schedule and deletes an orphan stack',
      prepare: (aws, variables) => {
        const machine = variables.STATE_MACHINE_ARN;
        const longAgo = minutesFromNow(-600);
        aws.records.set('env-expired00001', record({ id: 'env-expired00001', status: 'READY', expiresAt: longAgo }));
        aws.records.set('env-noschedule01', record({ id: 'env-noschedule01', status: 'READY' }));
        aws.records.set(
          'env-lostexec0001',
          record({
            id: 'env-lostexec0001',
            status: 'CREATING',
            updatedAt: longAgo,
            executionArn: executionOf(machine, 'env-lostexec0001-provision-1'),
          }),
        );
        aws
          .stub('SchedulerClient')
          .on(GetScheduleCommand)
          .rejects(notFound('ResourceNotFoundException', 'Schedule not found'));
        aws.stub('SFNClient').on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
        // A catalog environment already DELETED whose provisioned product was left behind.
        const productStack = stackIdOf(`SC-123456789012-${PROVISIONED_PRODUCT}`);
        const leftover = catalogEnvironmentId(productStack, REGISTRATION_LOGICAL_ID);
        aws.records.set(
          leftover,
          record({
            id: leftover,
            status: 'DELETED',
            source: 'service-catalog',
            provisionedProductId: PROVISIONED_PRODUCT,
          }),
        );
        aws
          .stub('ServiceCatalogClient')
          .on(SearchProvisionedProductsCommand)
          .resolves({
            ProvisionedProducts: [{ Id: PROVISIONED_PRODUCT, Status: 'AVAILABLE', PhysicalId: productStack }],
          });
        aws
          .stub('CloudFormationClient')
          .on(ListStacksCommand)
          .resolves({
            StackSummaries: [
              {
                StackId: stackIdOf('dsenv-env-orphan000001'),
                StackName: 'dsenv-env-orphan000001',
                StackStatus: 'CREATE_COMPLETE',
                CreationTime: new Date(),
              },
            ],
          });
        return { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
      },
      sends: [
        'QueryCommand',
        'UpdateCommand',
        'StartExecutionCommand',
        'GetScheduleCommand',
        'CreateScheduleCommand',
        'DescribeExecutionCommand',
        'ListStacksCommand',
        'DeleteStackCommand',
        'SearchProvisionedProductsCommand',
        'TerminateProvisionedProductCommand',
      ],
      assess: (result) =>
        expect(result).toMatchObject({
          expired: 1,
          restarted: 1,
          schedulesRecreated: 1,
          orphanStacksDeleted: 1,
          leftoverProductsTerminated: 1,
          errors: 0,
        }),
    },
  ],
  'functions/workflow/expiry-warning.ts': [
    {
      name: 'the warning records expiring-soon on a live environment',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        return { environmentId: ID, minutesLeft: 5, expiresAt: aws.records.get(ID)?.expiresAt };
      },
      sends: ['GetCommand', 'PutCommand'],
      assess: (result) => expect(result).toEqual({ warned: true }),
    },
  ],
  'functions/workflow/lifecycle-publisher.ts': [
    {
      name: "the publisher records the registry stream's status changes on the timeline, then puts them on the bus",
      prepare: () => ({
        Records: [
          {
            eventName: 'MODIFY',
            dynamodb: (() => {
              const validating = record({ status: 'VALIDATING' });
              return { OldImage: marshall(validating), NewImage: marshall({ ...validating, status: 'READY' }) };
            })(),
          },
        ],
      }),
      sends: ['PutCommand', 'PutEventsCommand'],
      assess: (result) => expect(result).toEqual({ recorded: 1, published: 1 }),
    },
    {
      name: 'the publisher announces an expiring-soon entry with its environment as it is now',
      prepare: (aws) => {
        aws.records.set(ID, record({ status: 'READY' }));
        const entry = { id: `${ID}#k`, environmentId: ID, eventKey: 'k', type: 'expiring-soon', minutesLeft: 5 };
        return { Records: [{ eventName: 'INSERT', dynamodb: { NewImage: marshall(entry) } }] };
      },
      sends: ['GetCommand', 'PutEventsCommand'],
      assess: (result) => expect(result).toEqual({ recorded: 0, published: 1 }),
    },
  ],
  'functions/workflow/ipv6-prober.ts': [
    {
      name: "ProbeIpv6 reads the environment's outputs and sends the IPv6 requests of the checks",
      prepare: (aws) => {
        aws.records.set(ID, createdEnvironment());
        // No A record (the AWS probes go over IPv6 too) and no AAAA: each probe answers at once that it had nothing
        // to connect to.
        vi.spyOn(Resolver.prototype, 'resolve4').mockRejectedValue(
          Object.assign(new Error('queryA ENODATA'), { code: 'ENODATA' }),
        );
        vi.spyOn(Resolver.prototype, 'resolve6').mockRejectedValue(
          Object.assign(new Error('queryAaaa ENODATA'), { code: 'ENODATA' }),
        );
        return { environmentId: ID };
      },
      sends: ['GetCommand'],
      assess: (result) => {
        const { probes } = result as { probes: { url: string; response: { ok: boolean } }[] };
        expect(probes.map((p) => new URL(p.url).pathname).sort()).toEqual(['/health', '/list-buckets', '/list-ec2']);
        expect(probes.every((p) => !p.response.ok)).toBe(true);
      },
    },
  ],
};

/** `process.env` for one run: exactly `values`, remembering every name read through functions/shared/env.ts. */
function recordingEnvironment(values: Record<string, string>, reads: Map<string, 'required' | 'optional'>) {
  const envModule = path.join('functions', 'shared', 'env.ts');
  return new Proxy(values, {
    get(target, name, receiver) {
      if (typeof name === 'string') {
        const stack = new Error().stack ?? '';
        if (stack.includes(envModule)) {
          const how = stack.includes('getOptionalStringFromEnv') ? 'optional' : 'required';
          if (reads.get(name) !== 'required') reads.set(name, how);
        }
      }
      return Reflect.get(target, name, receiver);
    },
  });
}

interface Run {
  readonly result?: unknown;
  readonly error?: Error;
  readonly reads: Map<string, 'required' | 'optional'>;
}

/** Imports the handler afresh (its module state built from these variables only) and calls it once. */
async function run(fn: DeployedFunction, event: unknown): Promise<Run> {
  const reads = new Map<string, 'required' | 'optional'>();
  const saved = process.env;
  process.env = recordingEnvironment({ ...fn.variables, ...LAMBDA_RUNTIME_VARIABLES }, reads);
  try {
    vi.resetModules();
    const module = (await import(path.join(REPO_ROOT, fn.entry))) as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };
    const context = fn.entry.startsWith('functions/api/') ? apiContext : taskContext;
    try {
      return { result: await module.handler(event, context), reads };
    } catch (error) {
      return { error: error as Error, reads };
    }
  } finally {
    process.env = saved;
    vi.restoreAllMocks();
  }
}

let functions: Map<string, DeployedFunction>;
const aws = new FakeAws();

beforeAll(async () => {
  const { stack } = buildControlPlane();
  const { Template } = await import('aws-cdk-lib/assertions');
  const resources = Template.fromStack(stack).toJSON().Resources as TemplateResources;
  const resolve = intrinsicResolver(resources);
  functions = new Map();
  for (const resource of Object.values(resources)) {
    const entry = resource.Metadata?.[HANDLER_ENTRY_METADATA];
    if (resource.Type !== 'AWS::Lambda::Function' || typeof entry !== 'string') continue;
    const variables = resolve(resource.Properties?.Environment?.Variables ?? {}) as Record<string, string>;
    const role = resource.Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
    const roleId = role?.['Fn::GetAtt'][0];
    if (roleId === undefined) throw new Error(`${entry}: the function has no role of the stack`);
    functions.set(entry, { entry, variables, statements: statementsOfRole(resources, roleId) });
  }
  const machine = Object.entries(resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  stateMachineArn = String(resolve({ Ref: machine?.[0] }));
  responseServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if (req.method === 'PUT') responsesPut.push(JSON.parse(body) as RegistrationResponse);
      res.writeHead(req.method === 'PUT' ? 200 : 405).end();
    });
  });
  responseUrl = `${await listenLocally(responseServer)}/cloudformation-response?X-Amz-Signature=fake`;
});

/** Listens on a free port of 127.0.0.1 and answers with the server's base URL. */
async function listenLocally(server: Server): Promise<string> {
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  await new Promise((resolveClose) => responseServer?.close(resolveClose));
  aws.reset();
});

describe('deployed functions and their code', () => {
  it('every function with a handler entry has a contract scenario, and every scenario a function', () => {
    expect([...functions.keys()].sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  for (const [entry, scenarios] of Object.entries(SCENARIOS)) {
    it(`${entry} runs with only its function's variables and permissions, and is given nothing it does not read`, async () => {
      const fn = functions.get(entry);
      if (fn === undefined) throw new Error(`no deployed function runs ${entry}`);
      const readByAny = new Set<string>();

      for (const scenario of scenarios) {
        // Prepare
        aws.reset();
        const event = scenario.prepare(aws, fn.variables);

        // Act
        const outcome = await run(fn, event);

        // Assess
        const where = `${entry} — ${scenario.name}`;
        // Lambda itself sets AWS_REGION (and the credentials) for every function.
        const missing = [...outcome.reads].filter(
          ([name, how]) => how === 'required' && !(name in fn.variables) && !(name in LAMBDA_RUNTIME_VARIABLES),
        );
        expect(
          missing.map(([name]) => name),
          `${where}: reads variables its function does not set`,
        ).toEqual([]);
        expect(outcome.error, `${where}: ${outcome.error?.name}: ${outcome.error?.message}`).toBeUndefined();
        const sent = aws.sent();
        const sentNames = sent.map((s) => s.command);
        expect(sentNames, `${where}: did not go through its path`).toEqual(expect.arrayContaining([...scenario.sends]));
        const denied = sent
          .flatMap(iamRequestsOf)
          .filter((request) => !isAllowed(fn.statements, request))
          .map((r) => `${r.action} on ${r.resource}${r.context ? ` ${JSON.stringify(r.context)}` : ''}`);
        expect([...new Set(denied)], `${where}: calls its role does not allow`).toEqual([]);
        scenario.assess(outcome.result);
        for (const name of outcome.reads.keys()) readByAny.add(name);
      }

      const unread = Object.keys(fn.variables).filter((name) => !RUNTIME_SETTINGS.test(name) && !readByAny.has(name));
      expect(unread, `${entry}: variables set on its function that its code never reads`).toEqual([]);
    });
  }
});
