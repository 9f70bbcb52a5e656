import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import { createAwsProbes, type Evidence, ProbeFailure } from '../src/aws-probes.js';
import { readConfig } from '../src/config.js';
import { getJson, type StartedProbe, seedEmulator, startProbe, useEmulatorCredentials } from './support.js';

describe('PROBE_IP_FAMILY=6 against an emulator listening on ::1', () => {
  let emulator: RunningEmulator;
  let probe: StartedProbe;

  beforeAll(async () => {
    useEmulatorCredentials();
    emulator = await startEmulator({ extended: false, host: '::1' });
    await seedEmulator(emulator.endpoint);
    probe = await startProbe({ AWS_ENDPOINT_URL: emulator.endpoint, PROBE_IP_FAMILY: '6' });
  });

  afterAll(async () => {
    await probe?.close();
    await emulator?.stop();
    vi.unstubAllEnvs();
  });

  it('shows an IPv6 connection in the S3 and EC2 evidence', async () => {
    const buckets = await getJson(`${probe.v4}/list-buckets`);
    const instances = await getJson(`${probe.v6}/list-ec2`);

    const evidence = { requestedFamily: 'IPv6', family: 'IPv6', address: '::1', port: emulator.port, dualStack: false };
    expect(buckets).toMatchObject({ status: 200, body: { summary: { count: 2 }, evidence } });
    expect(instances).toMatchObject({ status: 200, body: { summary: { instances: 2 }, evidence } });
  });
});

describe('IP family and endpoint choice, without an emulator', () => {
  beforeAll(() => useEmulatorCredentials());
  afterAll(() => vi.unstubAllEnvs());

  it('forcing IPv6 never falls back to IPv4 for a name that only has an IPv4 address', async () => {
    // /etc/hosts maps localhost to 127.0.0.1 only, where a listener waits: an IPv4 fallback would reach it.
    const ipv4Only = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => ipv4Only.listen(0, '127.0.0.1', resolve));
    const { port } = ipv4Only.address() as AddressInfo;
    const endpoint = `http://localhost:${port}`;
    const probes = createAwsProbes(
      readConfig({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, PROBE_IP_FAMILY: '6' }),
    );

    const failure = await probes.listBuckets().then(
      () => undefined,
      (error: unknown) => error,
    );
    ipv4Only.close();

    expect(failure).toBeInstanceOf(ProbeFailure);
    expect(failure).toMatchObject({ status: 502, evidence: { endpoint: 'localhost', requestedFamily: 'IPv6' } });
    expect((failure as ProbeFailure).evidence.family).toBeUndefined();
    expect((failure as ProbeFailure).message).toMatch(/ENOTFOUND|EAI_/);
  });

  it.each([
    ['listBuckets', 's3.dualstack.eu-west-1.amazonaws.com'],
    ['describeInstances', 'ec2.eu-west-1.api.aws'],
  ] as const)('%s calls the dual-stack endpoint %s when no endpoint is configured', async (operation, host) => {
    // No AWS here: the call fails (DNS or credentials), and the evidence still names the host the SDK chose.
    const probes = createAwsProbes(readConfig({ AWS_DEFAULT_REGION: 'eu-west-1', PROBE_TIMEOUT_MS: '3000' }));

    const outcome = await probes[operation]().then(
      (result) => result.evidence,
      (error: unknown) => (error instanceof ProbeFailure ? error.evidence : error),
    );

    expect(outcome).toMatchObject({ endpoint: host, dualStack: true, requestedFamily: 'auto' });
    expect((outcome as Evidence).reason).toBeUndefined();
  });
});
