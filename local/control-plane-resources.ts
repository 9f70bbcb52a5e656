import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConflictException, CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { BLUEPRINT_FILES, blueprintVersion } from '../control-plane/constructs/blueprint-store.js';
import type { ControlPlaneTemplate } from './control-plane-template.js';
import { eventBuses, functionEnvironment, tableDefinitions } from './control-plane-template.js';
import { REPO_ROOT } from './lambda-runtime.js';

/**
 * Creates in the emulator what the control plane's stack creates on AWS (the registry and idempotency
 * tables with their change stream, the blueprint bucket holding the four templates unmodified under
 * `<name>/<version>/`, the expiry schedule group, the lifecycle events' bus) and returns the values the functions' environment references. Idempotent: a
 * restart against the same emulator finds everything in place.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const STACK = 'DsenvControlPlane';

/** `RegistryEnvironmentsBA8EF353` → `DsenvControlPlane-RegistryEnvironments` (CloudFormation-like names). */
export function physicalName(logicalId: string): string {
  return `${STACK}-${logicalId.replace(/[0-9A-F]{8}$/, '')}`;
}

/** The local ARN of a function of the template (what `Fn::GetAtt [Fn, Arn]` gives on AWS). */
export function localFunctionArn(logicalId: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physicalName(logicalId)}`;
}

/** Each function of the template with a handler entry, by its local ARN (for stand-ins that invoke targets). */
export function functionEntriesByArn(template: ControlPlaneTemplate): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const entry = resource.Metadata?.['dsenv:handler-entry'];
    if (resource.Type === 'AWS::Lambda::Function' && typeof entry === 'string') {
      entries.set(localFunctionArn(logicalId), entry);
    }
  }
  return entries;
}

export interface EmulatorClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

export function emulatorClientConfig(endpoint: string): EmulatorClientConfig {
  return { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}

export interface ControlPlaneResources {
  /** Values for the variables the template sets by reference (table names, ARNs, base URL). */
  readonly referencedValues: Record<string, string>;
  readonly tableName: string;
  readonly scheduleGroup: string;
  readonly stateMachineArn: string;
  readonly blueprintBaseUrl: string;
}

/** The local value of each variable the template sets by reference; unknown ones are reported. */
export function resolveReferences(template: ControlPlaneTemplate): {
  values: Record<string, string>;
  unknown: string[];
} {
  const { references } = functionEnvironment(template);
  const blueprintName = 'dual-stack-fargate';
  const version = blueprintVersion(path.join(REPO_ROOT, 'blueprints', blueprintName));
  const bucket = `dsenv-blueprints-${ACCOUNT}-${REGION}`;
  const values: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [name, logicalId] of Object.entries(references)) {
    const type = logicalId ? template.Resources[logicalId]?.Type : undefined;
    if (name === 'BLUEPRINT_BASE_URL') {
      // The bucket's regional domain name, as on AWS (moto takes the bucket from the first label).
      values[name] = `https://${bucket}.s3.${REGION}.amazonaws.com/${blueprintName}/${version}`;
    } else if (type === 'AWS::DynamoDB::Table' && logicalId) {
      values[name] = physicalName(logicalId);
    } else if (type === 'AWS::Events::EventBus' && logicalId) {
      values[name] = physicalName(logicalId);
    } else if (type === 'AWS::IAM::Role' && logicalId) {
      values[name] = `arn:aws:iam::${ACCOUNT}:role/${physicalName(logicalId)}`;
    } else if (type === 'AWS::StepFunctions::StateMachine' && logicalId) {
      values[name] = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physicalName(logicalId)}`;
    } else if (name === 'DEFAULT_IMAGE_URI') {
      // The probe image asset; locally the "image" is probe-app/ run as a process by the task stand-in.
      values[name] = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/dsenv-probe-app:local`;
    } else if (type === 'AWS::Lambda::Function' && logicalId) {
      values[name] = localFunctionArn(logicalId);
    } else {
      unknown.push(name);
    }
  }
  return { values, unknown };
}

/** The template's tables (keys, indexes, stream, time to live); one that exists is kept. */
async function createTables(config: ReturnType<typeof emulatorClientConfig>, template: ControlPlaneTemplate) {
  const dynamo = new DynamoDBClient(config);
  try {
    for (const table of tableDefinitions(template)) {
      const TableName = physicalName(table.logicalId);
      try {
        await dynamo.send(
          new CreateTableCommand({
            TableName,
            KeySchema: table.keySchema,
            AttributeDefinitions: table.attributeDefinitions,
            BillingMode: 'PAY_PER_REQUEST',
            ...(table.globalSecondaryIndexes.length > 0
              ? { GlobalSecondaryIndexes: table.globalSecondaryIndexes }
              : {}),
            ...(table.streamViewType
              ? { StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType } }
              : {}),
          }),
        );
        if (table.timeToLiveAttribute) {
          await dynamo.send(
            new UpdateTimeToLiveCommand({
              TableName,
              TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
            }),
          );
        }
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }
  } finally {
    dynamo.destroy();
  }
}

/** The blueprint bucket, with the blueprint's templates where BLUEPRINT_BASE_URL says. */
async function uploadBlueprints(config: ReturnType<typeof emulatorClientConfig>, baseUrlText: string, name: string) {
  const baseUrl = new URL(baseUrlText);
  const bucket = baseUrl.hostname.split('.')[0] as string;
  const prefix = baseUrl.pathname.replace(/^\//, '');
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  try {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
    }
    const blueprintDir = path.join(REPO_ROOT, 'blueprints', name);
    for (const file of BLUEPRINT_FILES) {
      const body = await readFile(path.join(blueprintDir, file));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${file}`, Body: body }));
    }
  } finally {
    s3.destroy();
  }
}

/** The template's event buses and the expiry schedule group; those that exist are kept. */
async function createBusesAndScheduleGroup(
  config: ReturnType<typeof emulatorClientConfig>,
  template: ControlPlaneTemplate,
  scheduleGroup: string,
) {
  const events = new EventBridgeClient(config);
  const scheduler = new SchedulerClient(config);
  try {
    for (const bus of eventBuses(template)) {
      try {
        await events.send(new CreateEventBusCommand({ Name: physicalName(bus) }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
      }
    }
    try {
      await scheduler.send(new CreateScheduleGroupCommand({ Name: scheduleGroup }));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
    }
  } finally {
    events.destroy();
    scheduler.destroy();
  }
}

export async function createControlPlaneResources(
  endpoint: string,
  template: ControlPlaneTemplate,
): Promise<ControlPlaneResources> {
  const config = emulatorClientConfig(endpoint);
  const { values, unknown } = resolveReferences(template);
  if (unknown.length > 0) throw new Error(`no local value for function environment variable(s): ${unknown.join(', ')}`);
  const { literals } = functionEnvironment(template);
  const scheduleGroup = literals.SCHEDULE_GROUP;
  if (!scheduleGroup) throw new Error('the template sets no SCHEDULE_GROUP');

  await createTables(config, template);
  await uploadBlueprints(config, values.BLUEPRINT_BASE_URL as string, literals.BLUEPRINT_NAME ?? 'dual-stack-fargate');
  await createBusesAndScheduleGroup(config, template, scheduleGroup);

  return {
    referencedValues: values,
    tableName: values.TABLE_NAME as string,
    scheduleGroup,
    stateMachineArn: values.STATE_MACHINE_ARN as string,
    blueprintBaseUrl: values.BLUEPRINT_BASE_URL as string,
  };
}
