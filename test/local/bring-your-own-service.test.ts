import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorClientConfig } from '../../local/control-plane-resources.js';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/launcher.js';
import { type ApiEnvironment, call, fastLocalOptions, processAlive, urlListening, waitForStatus } from './local-api.js';

/**
 * A team's own service in local mode, against the real emulator: the image runs as the local command it is mapped
 * to, next to the probe; the load balancer sends /_dsenv/* to the probe and the rest to the service, over both
 * families; validation checks the service itself. One launcher for every case.
 */
const IMAGES = fileURLToPath(new URL('../fixtures/services/images.json', import.meta.url));
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const SECRETS = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/';
const service = (image: string, extra: Record<string, unknown> = {}) => ({
  image: `${ECR}/${image}`,
  port: 8080,
  ...extra,
});

describe('bring your own service (local mode)', () => {
  let local: LocalControlPlane;
  const lines: string[] = [];
  const created: Record<string, ApiEnvironment> = {};

  /** The pids the services of an environment printed (`{"pid": …}` on their first line). */
  const servicePids = (id: string) =>
    lines
      .filter((line) => line.startsWith(`[service ${id}]`))
      .flatMap((line) => [...line.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1])));

  beforeAll(async () => {
    local = await startLocalControlPlane(
      fastLocalOptions({
        imageCommands: IMAGES,
        verbose: true,
        log: (line) => lines.push(line),
        config: {
          maxActivePerOwner: 5,
          regionCapacity: 10,
          service: { pullThroughPrefixes: [], secretPrefixes: [SECRETS] },
        },
      }),
    );
    const secrets = new SecretsManagerClient(emulatorClientConfig(local.emulatorUrl));
    const greeting = await secrets.send(
      new CreateSecretCommand({ Name: 'dsenv/greeting', SecretString: 'hi from a secret' }),
    );
    secrets.destroy();
    // All up front: their lifecycles overlap.
    const bodies = {
      hello: { name: 'hello', service: service('hello-service:1', { environment: { GREETING: 'hi from the team' } }) },
      ipv4: { name: 'ipv4-only', service: service('ipv4-only:1') },
      unhealthy: { name: 'unhealthy', service: service('unhealthy:1', { healthPath: '/health' }) },
      secret: { name: 'secret', service: service('hello-service:1', { secrets: { GREETING: greeting.ARN } }) },
      noSecret: {
        name: 'no-secret',
        service: service('hello-service:1', { secrets: { GREETING: `${SECRETS}does-not-exist-AbCdEf` } }),
      },
    };
    for (const [key, body] of Object.entries(bodies)) {
      const res = await call(local.apiUrl, 'POST', '/environments', body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      created[key] = res.body as unknown as ApiEnvironment;
    }
  }, 120_000);
  afterAll(async () => {
    await local?.stop();
  });

  it('runs the example service next to the probe: READY with the service and probe checks passed on both families', async () => {
    // Act
    const { environment } = await waitForStatus(local.apiUrl, created.hello?.id ?? '', ['READY', 'FAILED'], 90_000);

    // Assess
    expect(environment.status, environment.failureReason).toBe('READY');
    const checks = Object.fromEntries((environment.validation?.checks ?? []).map((c) => [c.name, c]));
    expect(Object.keys(checks)).toHaveLength(12);
    expect(Object.values(checks).filter((c) => c.status !== 'passed')).toEqual([]);
    expect(checks['service-http-ipv4']?.detail).toMatch(/GET http:\/\/.+\/ → HTTP 200 from 127\.0\.0\.1 \(IPv4\)/);
    expect(checks['service-http-ipv6']?.detail).toMatch(/HTTP 200 from ::1 \(IPv6\)/);
    expect(checks['http-ipv4']?.detail).toContain('/_dsenv/health');
    expect(checks['probe-list-ec2']?.detail).toContain('IPv6');
    const live = local.liveEnvironments().find((e) => e.environmentId === environment.id);
    expect(live?.servicePid).toEqual(expect.any(Number));
  });

  it('serves the service at / and the probe at /_dsenv/list-buckets on the local URLs, over IPv4 and IPv6', async () => {
    // Prepare
    const { environment } = await waitForStatus(local.apiUrl, created.hello?.id ?? '', ['READY'], 5_000);
    const urls = environment.outputs.localUrls ?? [];

    // Act
    const answers = await Promise.all(
      urls.flatMap((url) => [`${url}/`, `${url}/_dsenv/list-buckets`].map(async (u) => [u, await fetch(u)] as const)),
    );

    // Assess
    expect(urls.map((u) => new URL(u).hostname)).toEqual(['127.0.0.1', '[::1]']);
    for (const [url, res] of answers) {
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status, url).toBe(200);
      if (url.endsWith('/_dsenv/list-buckets')) expect(body.summary, url).toEqual(expect.any(Object));
      else expect(body, url).toMatchObject({ service: 'hello-service', message: 'hi from the team' });
    }
    const familyOf = async (url: string) =>
      ((await (await fetch(`${url}/`)).json()) as { clientFamily: string }).clientFamily;
    expect(await Promise.all(urls.map(familyOf))).toEqual(['IPv4', 'IPv6']);
  });

  it('fails a service that serves only on IPv4 loopback, naming service-http-ipv6, and leaves nothing behind', async () => {
    const { environment } = await waitForStatus(local.apiUrl, created.ipv4?.id ?? '', ['FAILED'], 120_000);

    expect(environment.failureReason).toContain('service-http-ipv6');
    expect(environment.failureReason).not.toContain('service-http-ipv4');
    await expectNothingLeft(environment);
  });

  it('fails a service whose health path answers 500, naming both service checks, and leaves nothing behind', async () => {
    const { environment } = await waitForStatus(local.apiUrl, created.unhealthy?.id ?? '', ['FAILED'], 120_000);

    expect(environment.failureReason).toMatch(
      /service-http-ipv4.*service-http-ipv6|service-http-ipv6.*service-http-ipv4/,
    );
    const checks = Object.fromEntries((environment.validation?.checks ?? []).map((c) => [c.name, c]));
    expect(checks['service-http-ipv4']?.detail).toContain('HTTP 500');
    expect(checks['probe-list-buckets']?.status).toBe('passed');
    await expectNothingLeft(environment);
  });

  it('gives the service its secret as a variable, read from the emulator as ECS reads it', async () => {
    // Act
    const { environment } = await waitForStatus(local.apiUrl, created.secret?.id ?? '', ['READY', 'FAILED'], 120_000);
    const [ipv4Url] = environment.outputs.localUrls ?? [];
    const answer = (await (await fetch(`${ipv4Url}/`)).json()) as Record<string, unknown>;

    // Assess
    expect(environment.status, environment.failureReason).toBe('READY');
    expect(answer).toMatchObject({ service: 'hello-service', message: 'hi from a secret' });
  });

  it('does not start a service whose secret cannot be read: FAILED, the start refused as ECS refuses it', async () => {
    // Act
    const { environment } = await waitForStatus(local.apiUrl, created.noSecret?.id ?? '', ['FAILED'], 120_000);

    // Assess: the task never ran (no service output, nothing to route the name to: its checks fail), and the
    // launcher says why
    expect(environment.failureReason).toMatch(/^validation failed: dns-a failed/);
    expect(servicePids(environment.id)).toEqual([]);
    expect(lines.join('\n')).toMatch(
      /ResourceInitializationError: unable to pull secrets .*secret GREETING from asm: .*does-not-exist-AbCdEf/,
    );
    expect(environment.teardown?.remaining).toEqual([]);
    expect(local.liveEnvironments().some((e) => e.environmentId === environment.id)).toBe(false);
  });

  it.each([
    ['an unmapped image', service('not-mapped:1'), /no local command.*images\.json/],
    ['a Docker Hub image', service('x', { image: 'docker.io/library/nginx:1.27' }), /no IPv4 route to the internet/],
    ['a malformed image', service('x', { image: 'Not An Image' }), /service\.image must be a container image/],
    ['the probe’s port', service('hello-service:1', { port: 3000 }), /service\.port must not be 3000/],
    ['an unknown field', service('hello-service:1', { replicas: 2 }), /unknown field\(s\): replicas/],
    ['an invalid cpu/memory pair', service('hello-service:1', { memory: 8192 }), /not a valid Fargate size/],
    ['a probe image other than the local probe', undefined, /cannot run locally/],
  ])('refuses %s with a 400 and starts nothing', async (_what, body, message) => {
    // Prepare
    const before = (await call(local.apiUrl, 'GET', '/environments')).body.items as unknown[];
    const executions = local.stepFunctions.executions().length;
    const request =
      body === undefined ? { name: 'probe', imageUri: `${ECR}/nginx:1.27` } : { name: 'x', service: body };

    // Act
    const res = await call(local.apiUrl, 'POST', '/environments', request);

    // Assess
    expect(res.status).toBe(400);
    expect((res.body.error as { message: string }).message).toMatch(message);
    expect((await call(local.apiUrl, 'GET', '/environments')).body.items).toHaveLength(before.length);
    expect(local.stepFunctions.executions()).toHaveLength(executions);
  });

  async function expectNothingLeft(environment: ApiEnvironment) {
    expect(environment.teardown?.remaining).toEqual([]);
    expect(environment.outputs.localUrls).toBeUndefined();
    expect(local.liveEnvironments().some((e) => e.environmentId === environment.id)).toBe(false);
    const pids = servicePids(environment.id);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    for (const url of environment.outputs.localUrls ?? []) expect(await urlListening(url)).toBe(false);
  }
});
