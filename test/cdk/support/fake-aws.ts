import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeEgressOnlyInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { ServiceCatalogClient, TerminateProvisionedProductCommand } from '@aws-sdk/client-service-catalog';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import type { Environment } from '../../../functions/schemas/environment.js';
import stackOutputs from '../../fixtures/workflow/stack-outputs.json' with { type: 'json' };
import type { SentCommand } from './sdk-requests.js';
import { ACCOUNT, REGION } from './template-iam.js';

// biome-ignore lint/suspicious/noExplicitAny: one stub per SDK client, each typed by its own client
type AnyStub = AwsStub<any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: fake answers read arbitrary command inputs
type Input = Record<string, any>;

export const stackIdOf = (stackName: string) =>
  `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stackName}/11111111-2222-3333-4444-555555555555`;

const notFound = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });

/**
 * Every SDK client of functions/shared/clients/ mocked with aws-sdk-client-mock, answering like a healthy
 * account: a registry table held in memory, stacks that exist and are CREATE_COMPLETE with the blueprint's
 * outputs, executions that start, schedules that exist. A scenario changes only what its path needs.
 */
export class FakeAws {
  readonly stubs: Record<string, AnyStub> = {
    DynamoDBDocumentClient: mockClient(DynamoDBDocumentClient),
    DynamoDBClient: mockClient(DynamoDBClient),
    SFNClient: mockClient(SFNClient),
    SchedulerClient: mockClient(SchedulerClient),
    CloudFormationClient: mockClient(CloudFormationClient),
    EC2Client: mockClient(EC2Client),
    ECSClient: mockClient(ECSClient),
    ElasticLoadBalancingV2Client: mockClient(ElasticLoadBalancingV2Client),
    ResourceGroupsTaggingAPIClient: mockClient(ResourceGroupsTaggingAPIClient),
    ServiceCatalogClient: mockClient(ServiceCatalogClient),
    EventBridgeClient: mockClient(EventBridgeClient),
  };
  /** The registry table's items by id. */
  readonly records = new Map<string, Environment>();

  stub(client: string): AnyStub {
    const stub = this.stubs[client];
    if (stub === undefined) throw new Error(`no stub for ${client}`);
    return stub;
  }

  /** Forgets every call and answer, then answers like a healthy account again. */
  reset(): void {
    for (const stub of Object.values(this.stubs)) stub.reset();
    this.records.clear();
    this.registryTable();
    this.idempotencyTable();
    this.stub('SFNClient')
      .on(StartExecutionCommand)
      .callsFake((input: Input) => ({
        executionArn: `${String(input.stateMachineArn).replace(':stateMachine:', ':execution:')}:${input.name}`,
        startDate: new Date(),
      }))
      .on(DescribeExecutionCommand)
      .resolves({ status: 'RUNNING' });
    this.stub('SchedulerClient')
      .on(CreateScheduleCommand)
      .callsFake((input: Input) => ({ ScheduleArn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${input.Name}` }))
      .on(UpdateScheduleCommand)
      .callsFake((input: Input) => ({ ScheduleArn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${input.Name}` }))
      .on(GetScheduleCommand)
      .callsFake((input: Input) => ({ Name: input.Name, ScheduleExpression: 'at(2030-01-01T00:00:00)' }))
      .on(DeleteScheduleCommand)
      .resolves({});
    this.stub('CloudFormationClient')
      .on(CreateStackCommand)
      .callsFake((input: Input) => ({ StackId: stackIdOf(input.StackName) }))
      .on(DescribeStacksCommand)
      .callsFake((input: Input) => ({ Stacks: [this.stack(input.StackName, 'CREATE_COMPLETE')] }))
      .on(DescribeStackEventsCommand)
      .resolves({ StackEvents: [] })
      .on(DeleteStackCommand)
      .resolves({})
      .on(ListStacksCommand)
      .resolves({ StackSummaries: [] });
    this.stub('EC2Client')
      .on(DescribeVpcsCommand)
      .resolves({ Vpcs: [{ VpcId: 'vpc-default', IsDefault: true }] })
      .on(DescribeEgressOnlyInternetGatewaysCommand)
      .resolves({ EgressOnlyInternetGateways: [] })
      .on(DescribeRouteTablesCommand)
      .resolves({ RouteTables: [] });
    this.stub('ElasticLoadBalancingV2Client')
      .on(DescribeLoadBalancersCommand)
      .resolves({ LoadBalancers: [{ IpAddressType: 'dualstack' }] });
    this.stub('ECSClient')
      .on(DescribeServicesCommand)
      .resolves({
        services: [
          { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-priv1'], assignPublicIp: 'DISABLED' } } },
        ],
      });
    this.stub('ResourceGroupsTaggingAPIClient').on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
    this.stub('EventBridgeClient')
      .on(PutEventsCommand)
      .callsFake((input: Input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }));
    this.stub('ServiceCatalogClient')
      .on(TerminateProvisionedProductCommand)
      .callsFake((input: Input) => ({
        RecordDetail: { RecordId: 'rec-1', ProvisionedProductId: input.ProvisionedProductId, Status: 'CREATED' },
      }));
  }

  /** A parent stack of the blueprint in `status`, with its outputs. */
  stack(nameOrId: string, status: string) {
    const name = nameOrId.startsWith('arn:') ? (nameOrId.split('/')[1] ?? nameOrId) : nameOrId;
    return {
      StackId: stackIdOf(name),
      StackName: name,
      StackStatus: status,
      CreationTime: new Date(),
      Outputs: stackOutputs,
    } as never;
  }

  /** Every call any client received, in no particular order across clients. */
  sent(): SentCommand[] {
    return Object.entries(this.stubs).flatMap(([client, stub]) =>
      stub.calls().map((call) => {
        const command = call.args[0] as { constructor: { name: string }; input: Input };
        return { client, command: command.constructor.name, input: command.input };
      }),
    );
  }

  /** The registry: conditional writes always win; queries answer by index (byStatus, byOwner). */
  private registryTable(): void {
    this.stub('DynamoDBDocumentClient')
      .on(GetCommand)
      .callsFake((input: Input) => ({ Item: this.records.get(input.Key.id) }))
      .on(PutCommand)
      .callsFake((input: Input) => {
        this.records.set(input.Item.id, structuredClone(input.Item));
        return {};
      })
      .on(DeleteCommand)
      .callsFake((input: Input) => {
        this.records.delete(input.Key.id);
        return {};
      })
      .on(UpdateCommand)
      .callsFake((input: Input) => {
        const stored = this.records.get(input.Key.id);
        if (stored === undefined) throw notFound('ConditionalCheckFailedException', 'The conditional request failed');
        const next: Record<string, unknown> = { ...stored };
        const names = input.ExpressionAttributeNames as Record<string, string>;
        const values = input.ExpressionAttributeValues as Record<string, unknown>;
        next.version = values[':nextVersion'];
        next.updatedAt = values[':updatedAt'];
        for (const [alias, field] of Object.entries(names)) {
          if (!alias.startsWith('#f')) continue;
          const value = values[`:f${alias.slice(2)}`];
          if (value === undefined) delete next[field];
          else next[field] = value;
        }
        this.records.set(input.Key.id, next as Environment);
        return { Attributes: structuredClone(next) };
      })
      .on(QueryCommand)
      .callsFake((input: Input) => {
        const values = input.ExpressionAttributeValues as Record<string, unknown>;
        const items = [...this.records.values()].filter((r) =>
          input.IndexName === 'byStatus'
            ? r.status === values[':status']
            : input.IndexName === 'timeline'
              ? (r as { environmentId?: string }).environmentId === values[':environmentId']
              : r.owner === values[':owner'],
        );
        return input.Select === 'COUNT'
          ? { Count: items.length }
          : { Items: structuredClone(items), Count: items.length };
      });
  }

  /** Powertools idempotency's table (plain DynamoDB client): a first request, so nothing is stored yet. */
  private idempotencyTable(): void {
    this.stub('DynamoDBClient')
      .on(PutItemCommand)
      .resolves({})
      .on(GetItemCommand)
      .resolves({})
      .on(UpdateItemCommand)
      .resolves({})
      .on(DeleteItemCommand)
      .resolves({});
  }
}

export { notFound };
