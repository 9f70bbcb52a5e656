import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, type RunningEmulator, startEmulator } from '../../local/emulator-process.js';
import {
  getJson,
  type Seeded,
  type StartedProbe,
  seedEmulator,
  startProbe,
  useEmulatorCredentials,
} from './support.js';

const customEndpointReason = expect.stringMatching(/^custom endpoint/);

describe('probe app against the emulator, over IPv4 and IPv6', () => {
  let emulator: RunningEmulator;
  let seeded: Seeded;
  let probe: StartedProbe;

  beforeAll(async () => {
    useEmulatorCredentials();
    emulator = await startEmulator({ extended: false });
    seeded = await seedEmulator(emulator.endpoint);
    probe = await startProbe({ AWS_ENDPOINT_URL: emulator.endpoint });
  });

  afterAll(async () => {
    await probe?.close();
    await emulator?.stop();
    vi.unstubAllEnvs();
  });

  it('listens on both families by default and answers /health on each', async () => {
    const overV4 = await getJson(`${probe.v4}/health`);
    const overV6 = await getJson(`${probe.v6}/health`);

    expect(probe.address.address).toBe('::');
    expect(overV4).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(overV6).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('summarises the buckets and shows the connection the S3 call used', async () => {
    const { status, body } = await getJson(`${probe.v6}/list-buckets`);

    expect(status).toBe(200);
    expect(body).toEqual({
      summary: { count: 2, names: expect.arrayContaining(seeded.bucketNames) },
      evidence: {
        endpoint: 'localhost',
        dualStack: false,
        reason: customEndpointReason,
        requestedFamily: 'auto',
        family: 'IPv4',
        address: '127.0.0.1',
        port: emulator.port,
      },
    });
  });

  it('summarises the instances without addresses or tags', async () => {
    const { status, body, text } = await getJson(`${probe.v4}/list-ec2`);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      summary: { reservations: 1, instances: 2, truncated: false },
      evidence: { endpoint: 'localhost', dualStack: false, reason: customEndpointReason, family: 'IPv4' },
    });
    const items = (body as { summary: { items: { id: string; state: string }[] } }).summary.items;
    expect(items.map((i) => i.id).sort()).toEqual([...seeded.instanceIds].sort());
    expect(items.every((i) => i.state === 'running' || i.state === 'pending')).toBe(true);
    expect(seeded.privateIps.length).toBeGreaterThan(0);
    for (const ip of seeded.privateIps) expect(text).not.toContain(ip);
    expect(text).not.toMatch(/PrivateIpAddress|Tags|OwnerId/);
  });

  it('logs one structured line per request', async () => {
    const before = probe.logs.length;

    await getJson(`${probe.v4}/health`);

    expect(probe.logs.slice(before)).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'request',
        path: '/health',
        status: 200,
        clientFamily: 'IPv4',
      }),
    ]);
  });

  it('answers 404 in the error shape for an unknown route', async () => {
    const { status, body } = await getJson(`${probe.v4}/nope`);

    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'NotFound', message: expect.any(String) } });
  });

  it('turns an unreachable emulator into a JSON 502 and keeps serving', async () => {
    await emulator.stop();

    const failed = await getJson(`${probe.v4}/list-buckets`);
    const failedEc2 = await getJson(`${probe.v6}/list-ec2`);
    const health = await getJson(`${probe.v6}/health`);

    expect(failed).toMatchObject({ status: 502, body: { error: { code: 'UpstreamError' } } });
    expect((failed.body as { error: { message: string } }).error.message).toMatch(/ListBuckets.*ECONNREFUSED/);
    expect(failedEc2).toMatchObject({ status: 502, body: { error: { code: 'UpstreamError' } } });
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});

describe('probe app when AWS does not answer in time', () => {
  let silent: Server;
  let probe: StartedProbe;

  beforeAll(async () => {
    useEmulatorCredentials();
    // Accepts connections and never responds.
    silent = createServer(() => {});
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    probe = await startProbe({ AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, PROBE_TIMEOUT_MS: '400' });
  });

  afterAll(async () => {
    await probe?.close();
    silent?.close();
    vi.unstubAllEnvs();
  });

  it('answers 504 within the deadline and keeps serving', async () => {
    const started = Date.now();

    const timedOut = await getJson(`${probe.v4}/list-buckets`);
    const elapsed = Date.now() - started;
    const health = await getJson(`${probe.v4}/health`);

    expect(timedOut).toMatchObject({ status: 504, body: { error: { code: 'UpstreamTimeout' } } });
    expect(elapsed).toBeLessThan(3000);
    expect(health.status).toBe(200);
  });
});

describe('probe app with a HOST override', () => {
  it('binds only the given address', async () => {
    const probe = await startProbe({ HOST: '127.0.0.1' });
    try {
      const overV4 = await getJson(`${probe.v4}/health`);
      const overV6 = fetch(`${probe.v6}/health`);

      expect(overV4.status).toBe(200);
      await expect(overV6).rejects.toThrow();
    } finally {
      await probe.close();
    }
  });
});
