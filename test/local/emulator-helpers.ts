import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { stackNameFor, TAG_ENVIRONMENT_ID } from '../../functions/domain/naming.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BLUEPRINT_DIR = path.resolve(here, '../../blueprints/dual-stack-fargate');
export const BLUEPRINT_FILES = ['parent.yaml', 'network.yaml', 'cluster.yaml', 'service.yaml'] as const;
export const ENVIRONMENT_TAG = TAG_ENVIRONMENT_ID;

/** SDK client settings for the emulator at `endpoint`. */
export function clientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

export interface DeployedBlueprint {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly statusReason?: string;
  /** Parent outputs by key. */
  readonly outputs: Readonly<Record<string, string>>;
  /** The base URL the parent read its children from. */
  readonly templateBaseUrl: string;
}

export interface DeployBlueprintOptions {
  /** @default `dsenv-<environmentId>` */
  readonly stackName?: string;
  /** @default 'dsenv-blueprints' */
  readonly bucket?: string;
  /** @default 'dual-stack-fargate/local' */
  readonly prefix?: string;
  /** @default 'public.ecr.aws/docker/library/node:24-alpine' */
  readonly imageUri?: string;
  /** @default 60000 */
  readonly timeoutMs?: number;
  /** More parent parameters (e.g. a service's, functions/domain/service-parameters.ts). @default none */
  readonly parameters?: readonly { ParameterKey?: string; ParameterValue?: string }[];
}

/**
 * The base URL moto reads nested templates from. moto parses S3 URLs path-style only when they contain
 * `localhost`; `https://` also satisfies the blueprint's `TemplateBaseUrl` pattern (moto never fetches it).
 */
export function templateBaseUrl(endpoint: string, bucket: string, prefix: string): string {
  const port = new URL(endpoint).port;
  return `https://localhost${port ? `:${port}` : ''}/${bucket}/${prefix}`;
}

/** Uploads the four blueprint files unmodified to the emulator's S3 under `bucket/prefix`. */
export async function uploadBlueprint(endpoint: string, bucket: string, prefix: string): Promise<void> {
  const s3 = new S3Client({ ...clientConfig(endpoint), forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
  for (const file of BLUEPRINT_FILES) {
    const body = await readFile(path.join(BLUEPRINT_DIR, file), 'utf8');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${file}`, Body: body }));
  }
}

/** Polls DescribeStacks until the stack leaves `*_IN_PROGRESS`; returns the last description. */
export async function waitForStack(
  cfn: CloudFormationClient,
  stackNameOrId: string,
  timeoutMs = 60_000,
): Promise<Stack> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackNameOrId }));
    const stack = Stacks?.[0];
    if (!stack) throw new Error(`stack ${stackNameOrId} not found`);
    if (!stack.StackStatus?.endsWith('_IN_PROGRESS')) return stack;
    if (Date.now() > deadline) throw new Error(`stack ${stackNameOrId} still ${stack.StackStatus}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Uploads the blueprint and creates its parent stack in the emulator the way the control plane does (stack tag
 * `dsenv:environment-id`, IAM capabilities), then waits for a final status.
 */
export async function deployBlueprint(
  endpoint: string,
  environmentId: string,
  options: DeployBlueprintOptions = {},
): Promise<DeployedBlueprint> {
  const bucket = options.bucket ?? 'dsenv-blueprints';
  const prefix = options.prefix ?? 'dual-stack-fargate/local';
  const stackName = options.stackName ?? stackNameFor(environmentId);
  const baseUrl = templateBaseUrl(endpoint, bucket, prefix);
  await uploadBlueprint(endpoint, bucket, prefix);
  const cfn = new CloudFormationClient(clientConfig(endpoint));
  const { StackId } = await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateURL: `${baseUrl}/parent.yaml`,
      Parameters: [
        { ParameterKey: 'EnvironmentId', ParameterValue: environmentId },
        { ParameterKey: 'TemplateBaseUrl', ParameterValue: baseUrl },
        {
          ParameterKey: 'ImageUri',
          ParameterValue: options.imageUri ?? 'public.ecr.aws/docker/library/node:24-alpine',
        },
        ...(options.parameters ?? []),
      ],
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      Tags: [{ Key: ENVIRONMENT_TAG, Value: environmentId }],
    }),
  );
  if (!StackId) throw new Error('CreateStack returned no StackId');
  const stack = await waitForStack(cfn, StackId, options.timeoutMs);
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? [])
    if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return {
    stackName,
    stackId: StackId,
    status: stack.StackStatus ?? 'UNKNOWN',
    ...(stack.StackStatusReason ? { statusReason: stack.StackStatusReason } : {}),
    outputs,
    templateBaseUrl: baseUrl,
  };
}

/** Deletes a stack and waits for a final status (by stack id, so a deleted stack can still be described). */
export async function deleteStack(endpoint: string, stackId: string, timeoutMs = 60_000): Promise<string> {
  const cfn = new CloudFormationClient(clientConfig(endpoint));
  await cfn.send(new DeleteStackCommand({ StackName: stackId }));
  const stack = await waitForStack(cfn, stackId, timeoutMs);
  return stack.StackStatus ?? 'UNKNOWN';
}
