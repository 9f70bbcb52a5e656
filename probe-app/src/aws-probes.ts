import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { IpFamily, ProbeConfig } from './config.js';
import { type ConnectionRecord, recordConnections, recordingRequestHandler } from './connection-evidence.js';

/** How a probe reached AWS: the part of a response that proves (or disproves) the IPv6 path. */
export interface Evidence {
  /** Host the SDK sent the request to, e.g. `s3.dualstack.us-east-1.amazonaws.com`. */
  endpoint?: string;
  dualStack: boolean;
  /** Why dual-stack is off. */
  reason?: string;
  requestedFamily: 'auto' | 'IPv4' | 'IPv6';
  /** Family, address and port of the connection the call actually used. */
  family?: string;
  address?: string;
  port?: number;
}

export interface ProbeResult<Summary> {
  summary: Summary;
  evidence: Evidence;
}

export interface BucketsSummary {
  count: number;
  names: string[];
}

export interface InstancesSummary {
  reservations: number;
  instances: number;
  items: { id?: string; state?: string }[];
  truncated: boolean;
}

/** The AWS calls the app exposes; `createApp` receives them, so tests can substitute them. */
export interface Probes {
  listBuckets(): Promise<ProbeResult<BucketsSummary>>;
  describeInstances(): Promise<ProbeResult<InstancesSummary>>;
}

/** An AWS call that failed; `status` is 504 for a timeout, 502 for anything else. */
export class ProbeFailure extends Error {
  constructor(
    readonly status: 502 | 504,
    readonly code: string,
    message: string,
    readonly evidence: Evidence,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ProbeFailure';
  }
}

const MAX_LISTED = 100;
const familyName = { 0: 'auto', 4: 'IPv4', 6: 'IPv6' } as const satisfies Record<IpFamily, Evidence['requestedFamily']>;

function isTimeout(error: Error & { code?: string }): boolean {
  // The SDK's HTTP handler also names ECONNRESET and EPIPE `TimeoutError`; those are upstream failures.
  if (error.name === 'AbortError') return true;
  return error.name === 'TimeoutError' && error.code !== 'ECONNRESET' && error.code !== 'EPIPE';
}

function connectionFields(used: ConnectionRecord | undefined): Pick<Evidence, 'family' | 'address' | 'port'> {
  return used?.family === undefined ? {} : { family: used.family, address: used.address, port: used.port };
}

export function createAwsProbes(config: ProbeConfig): Probes {
  const requestHandler = recordingRequestHandler(config.ipFamily, config.timeoutMs);

  function clientSettings(endpoint: string | undefined) {
    // The SDK refuses dual-stack together with a custom endpoint (EndpointError before any request).
    const dualStack = endpoint === undefined;
    const base = { region: config.region, requestHandler, maxAttempts: 2, useDualstackEndpoint: dualStack, endpoint };
    const reason = dualStack ? undefined : 'custom endpoint (AWS_ENDPOINT_URL): the SDK refuses dual-stack with it';
    const evidence: Evidence = { dualStack, reason, requestedFamily: familyName[config.ipFamily] };
    return { base, evidence };
  }

  async function run<T>(operation: string, baseEvidence: Evidence, call: (signal: AbortSignal) => Promise<T>) {
    const connections: ConnectionRecord[] = [];
    const evidenceNow = (): Evidence => {
      const used = connections.findLast((c) => c.family !== undefined) ?? connections.at(-1);
      const { dualStack, reason, requestedFamily } = baseEvidence;
      return { endpoint: used?.host, dualStack, reason, requestedFamily, ...connectionFields(used) };
    };
    try {
      const result = await recordConnections(connections, () => call(AbortSignal.timeout(config.timeoutMs)));
      return { result, evidence: evidenceNow() };
    } catch (caught) {
      const error: Error & { code?: string } = caught instanceof Error ? caught : new Error(String(caught));
      const timedOut = isTimeout(error);
      const code = timedOut ? 'UpstreamTimeout' : 'UpstreamError';
      const evidence = evidenceNow();
      const message = `${operation} via ${evidence.endpoint ?? 'an unresolved endpoint'} failed: ${error.code ?? error.name}`;
      throw new ProbeFailure(timedOut ? 504 : 502, code, message, evidence, { cause: error });
    }
  }

  const s3Settings = clientSettings(config.endpoints.s3);
  const s3 = new S3Client({ ...s3Settings.base, forcePathStyle: config.endpoints.s3 !== undefined });
  const ec2Settings = clientSettings(config.endpoints.ec2);
  const ec2 = new EC2Client(ec2Settings.base);

  return {
    async listBuckets() {
      const { result, evidence } = await run('S3 ListBuckets', s3Settings.evidence, (abortSignal) =>
        s3.send(new ListBucketsCommand({}), { abortSignal }),
      );
      const names = (result.Buckets ?? []).flatMap((bucket) => (bucket.Name ? [bucket.Name] : []));
      return { summary: { count: names.length, names: names.slice(0, MAX_LISTED) }, evidence };
    },
    async describeInstances() {
      const { result, evidence } = await run('EC2 DescribeInstances', ec2Settings.evidence, (abortSignal) =>
        ec2.send(new DescribeInstancesCommand({}), { abortSignal }),
      );
      const reservations = result.Reservations ?? [];
      const instances = reservations.flatMap((reservation) => reservation.Instances ?? []);
      const items = instances.slice(0, MAX_LISTED).map((i) => ({ id: i.InstanceId, state: i.State?.Name }));
      return {
        summary: {
          reservations: reservations.length,
          instances: instances.length,
          items,
          truncated: instances.length > MAX_LISTED || result.NextToken !== undefined,
        },
        evidence,
      };
    },
  };
}
