import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools.js';

/**
 * SDK clients, built once per process on first use.
 *
 * Endpoint override point: the SDK itself honours `AWS_ENDPOINT_URL` and the service-specific
 * `AWS_ENDPOINT_URL_<SERVICE>` variables (local mode uses them to reach the emulator and its own
 * stand-ins). Dual-stack endpoints follow the SDK's own setting (`AWS_USE_DUALSTACK_ENDPOINT`), except that
 * they are turned off whenever an override is set: the SDK refuses the combination.
 */
export function endpointOverridden(serviceEnvSuffix?: string): boolean {
  if (process.env.AWS_ENDPOINT_URL) return true;
  return serviceEnvSuffix !== undefined && Boolean(process.env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`]);
}

function commonConfig(serviceEnvSuffix: string) {
  return { ...(endpointOverridden(serviceEnvSuffix) ? { useDualstackEndpoint: false } : {}), maxAttempts: 3 };
}

/** Marked pure where used, so a bundle keeps only the clients its handler uses (esbuild drops the rest). */
function lazy<T extends object>(build: () => T): () => T {
  let client: T | undefined;
  return () => {
    client ??= tracer.captureAWSv3Client(build());
    return client;
  };
}

export const cloudFormation = /* @__PURE__ */ lazy(() => new CloudFormationClient(commonConfig('CLOUDFORMATION')));
export const dynamoDb = /* @__PURE__ */ lazy(() => new DynamoDBClient(commonConfig('DYNAMODB')));
export const documentClient = /* @__PURE__ */ lazy(() =>
  DynamoDBDocumentClient.from(dynamoDb(), { marshallOptions: { removeUndefinedValues: true } }),
);
export const stepFunctions = /* @__PURE__ */ lazy(() => new SFNClient(commonConfig('SFN')));
export const scheduler = /* @__PURE__ */ lazy(() => new SchedulerClient(commonConfig('SCHEDULER')));
export const ec2 = lazy(() => new EC2Client(commonConfig('EC2')));
export const ecs = /* @__PURE__ */ lazy(() => new ECSClient(commonConfig('ECS')));
export const elbv2 = lazy(() => new ElasticLoadBalancingV2Client(commonConfig('ELASTIC_LOAD_BALANCING_V2')));
export const tagging = /* @__PURE__ */ lazy(
  () => new ResourceGroupsTaggingAPIClient(commonConfig('RESOURCE_GROUPS_TAGGING_API')),
);
export const lambda = /* @__PURE__ */ lazy(() => new LambdaClient(commonConfig('LAMBDA')));
export const serviceCatalog = /* @__PURE__ */ lazy(() => new ServiceCatalogClient(commonConfig('SERVICE_CATALOG')));

/** The clock every domain module receives, so tests can fix time. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
