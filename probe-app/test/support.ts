import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { vi } from 'vitest';
import { readConfig } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import { type RunningServer, startServer } from '../src/server.js';

export const region = 'us-east-1';

/** Dummy credentials for the SDK's default provider chain, and no endpoint leaking in from the shell. */
export function useEmulatorCredentials(): void {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_EC2', 'AWS_PROFILE']) {
    vi.stubEnv(name, undefined);
  }
}

export interface StartedProbe extends RunningServer {
  /** Base URLs of the listener over each family. */
  readonly v4: string;
  readonly v6: string;
  readonly logs: { level: string; message: string; [field: string]: unknown }[];
}

/** Starts the app on a real listener (port 0) configured from an environment map, capturing its log lines. */
export async function startProbe(env: Record<string, string>): Promise<StartedProbe> {
  const logs: StartedProbe['logs'] = [];
  const log: Logger = (level, message, fields) => logs.push({ level, message, ...fields });
  const running = await startServer({ config: readConfig({ PORT: '0', AWS_REGION: region, ...env }), log });
  const port = running.address.port;
  return { ...running, v4: `http://127.0.0.1:${port}`, v6: `http://[::1]:${port}`, logs };
}

export async function getJson(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

export interface Seeded {
  readonly bucketNames: string[];
  readonly instanceIds: string[];
  readonly privateIps: string[];
}

/** Creates two buckets and runs two instances in the emulator, so the summaries have content. */
export async function seedEmulator(endpoint: string): Promise<Seeded> {
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const s3 = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  const ec2 = new EC2Client({ endpoint, region, credentials });
  const bucketNames = ['probe-alpha', 'probe-beta'];
  for (const Bucket of bucketNames) await s3.send(new CreateBucketCommand({ Bucket }));
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const ImageId = images.Images?.[0]?.ImageId;
  if (!ImageId) throw new Error('the emulator lists no AMI');
  const run = await ec2.send(new RunInstancesCommand({ ImageId, MinCount: 2, MaxCount: 2, InstanceType: 't3.micro' }));
  const instances = run.Instances ?? [];
  return {
    bucketNames,
    instanceIds: instances.flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
    privateIps: instances.flatMap((i) => (i.PrivateIpAddress ? [i.PrivateIpAddress] : [])),
  };
}
