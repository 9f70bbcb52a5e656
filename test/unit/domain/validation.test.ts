import { DescribeRouteTablesCommand, DescribeVpcsCommand, EC2Client, type RouteTable } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type HttpProber, recordedProber } from '../../../functions/domain/checks/index.js';
import type { ProbeResolver } from '../../../functions/domain/http-probe.js';
import { probeIpv6, type ValidationDeps, validateEnvironment } from '../../../functions/domain/validation.js';
import type { Check, EnvironmentOutputs } from '../../../functions/schemas/environment.js';
import type { ProbeRequest, ProbeResponse } from '../../../functions/schemas/workflow.js';
import { ConflictError } from '../../../functions/shared/errors.js';
import { anEnvironment, FakeRegistry, fixedClock } from '../../fixtures/workflow/fakes.js';

const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ecsMock = mockClient(ECSClient);
const ID = 'env-3k9x0q2m7ab1';
const HOST = 'env-3k9x0q2m7ab1-alb-123.us-east-1.elb.amazonaws.com';
const outputs: EnvironmentOutputs = {
  publicUri: HOST,
  vpcId: 'vpc-0abc',
  privateSubnetIds: ['subnet-priv1', 'subnet-priv2'],
  loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/abc',
  clusterName: 'cluster',
  serviceName: 'service',
};

const goodRouteTable = (subnet: string): RouteTable => ({
  RouteTableId: `rtb-${subnet}`,
  Routes: [
    { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
    { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-1', State: 'active' },
  ],
});

/** A load balancer that answers everything, each family from its own address, and a probe that used IPv6. */
function healthyProber(family: 4 | 6, overrides: Partial<Record<string, Partial<ProbeResponse>>> = {}): HttpProber {
  return async (request: ProbeRequest) => {
    const path = new URL(request.url).pathname;
    const evidence = {
      endpoint: 'ec2.us-east-1.api.aws',
      dualStack: true,
      family: 'IPv6',
      address: '2600:1f18::1',
      requestedFamily: 'IPv6',
    };
    const body = path === '/health' ? { status: 'ok' } : { summary: { count: 0 }, evidence };
    return {
      ok: true,
      statusCode: 200,
      remoteAddress: family === 4 ? '203.0.113.10' : '2600:1f18::10',
      remoteFamily: family === 4 ? 'IPv4' : 'IPv6',
      body: JSON.stringify(body),
      elapsedMs: 12,
      ...overrides[path],
    };
  };
}

const resolver: ProbeResolver = {
  resolve4: async () => ['203.0.113.10'],
  resolve6: async () => ['2600:1f18::10'],
} as unknown as ProbeResolver;

function setup(overrides: Partial<ValidationDeps> = {}, status: 'CREATING' | 'VALIDATING' | 'DELETING' = 'CREATING') {
  const clock = fixedClock('2026-11-25T10:10:00.000Z');
  const registry = new FakeRegistry(clock, anEnvironment({ status, outputs }));
  const deps: ValidationDeps = {
    registry,
    clock,
    resolver,
    probeIpv4: healthyProber(4),
    probeIpv6: healthyProber(6),
    ec2: new EC2Client({ region: 'us-east-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    ecs: new ECSClient({ region: 'us-east-1' }),
    settings: { listenerPort: 80, checkTimeoutMs: 1000, probeTimeoutMs: 500 },
    ...overrides,
  };
  return { registry, deps };
}

const byName = (checks: Check[] | undefined) => Object.fromEntries((checks ?? []).map((c) => [c.name, c]));

beforeEach(() => {
  ec2Mock.reset();
  elbMock.reset();
  ecsMock.reset();
  ec2Mock.on(DescribeVpcsCommand).resolves({
    Vpcs: [
      {
        VpcId: 'vpc-0abc',
        Ipv6CidrBlockAssociationSet: [
          { Ipv6CidrBlock: '2600:1f18:abc::/56', Ipv6CidrBlockState: { State: 'associated' } },
        ],
      },
    ],
  });
  ec2Mock
    .on(DescribeRouteTablesCommand, { Filters: [{ Name: 'association.subnet-id', Values: ['subnet-priv1'] }] })
    .resolves({ RouteTables: [goodRouteTable('priv1')] });
  ec2Mock
    .on(DescribeRouteTablesCommand, { Filters: [{ Name: 'association.subnet-id', Values: ['subnet-priv2'] }] })
    .resolves({ RouteTables: [goodRouteTable('priv2')] });
  elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ IpAddressType: 'dualstack' }] });
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'service',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-priv1'], assignPublicIp: 'DISABLED' } },
      },
    ],
  });
});

describe('validateEnvironment', () => {
  it('runs the ten checks, stores them and sets READY when every check passed', async () => {
    const { registry, deps } = setup();
    const result = await validateEnvironment(deps, ID);
    expect(result).toEqual({ passed: true, failedChecks: [], secondsToReady: 600 });
    const stored = registry.stored(ID);
    expect(stored.status).toBe('READY');
    expect(stored.validation?.passed).toBe(true);
    expect(stored.validation?.checkedAt).toBe('2026-11-25T10:10:00.000Z');
    expect(stored.validation?.checks.map((c) => c.name).sort()).toEqual([
      'alb-dualstack',
      'dns-a',
      'dns-aaaa',
      'egress-only-route',
      'http-ipv4',
      'http-ipv6',
      'probe-list-buckets',
      'probe-list-ec2',
      'tasks-no-public-ip',
      'vpc-ipv6-cidr',
    ]);
    expect(byName(stored.validation?.checks)['http-ipv6']?.detail).toContain('2600:1f18::10');
    // VALIDATING was set first, READY after the checks
    expect(registry.writes.map((w) => w.changes.status)).toEqual(['VALIDATING', 'READY']);
  });

  it('fails http-ipv6 (and the whole validation) when IPv4 works but IPv6 does not answer', async () => {
    const { registry, deps } = setup({
      probeIpv6: async () => ({ ok: false, error: 'ETIMEDOUT: no answer within 500 ms', elapsedMs: 500 }),
    });
    const result = await validateEnvironment(deps, ID);
    expect(result).toEqual({ passed: false, failedChecks: ['http-ipv6'] });
    const stored = registry.stored(ID);
    expect(stored.status).toBe('VALIDATING');
    expect(byName(stored.validation?.checks)['http-ipv4']?.status).toBe('passed');
    expect(byName(stored.validation?.checks)['http-ipv6']).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('ETIMEDOUT'),
    });
  });

  it('skips http-ipv6 when the name has no AAAA record, and never reports it passed', async () => {
    const noAaaa = {
      ...resolver,
      resolve6: async () => Promise.reject(Object.assign(new Error('queryAaaa ENODATA'), { code: 'ENODATA' })),
    } as unknown as ProbeResolver;
    const { registry, deps } = setup({ resolver: noAaaa });
    const result = await validateEnvironment(deps, ID);
    expect(result.passed).toBe(false);
    expect(result.failedChecks.sort()).toEqual(['dns-aaaa', 'http-ipv6']);
    const checks = byName(registry.stored(ID).validation?.checks);
    expect(checks['dns-aaaa']).toMatchObject({ status: 'failed', detail: expect.stringContaining('ENODATA') });
    expect(checks['http-ipv6']?.status).toBe('skipped');
  });

  it('fails http-ipv6 when the 200 came over IPv4 (the family was not really forced)', async () => {
    const { deps } = setup({ probeIpv6: healthyProber(4) });
    const result = await validateEnvironment(deps, ID);
    expect(result.failedChecks).toEqual(['http-ipv6']);
  });

  it('fails probe-list-ec2 when the probe reached EC2 over IPv4 (no proof of IPv6 egress)', async () => {
    const ipv4Evidence = {
      summary: { instances: 0 },
      evidence: { endpoint: 'ec2.us-east-1.amazonaws.com', dualStack: false, family: 'IPv4', address: '52.1.2.3' },
    };
    const { registry, deps } = setup({
      probeIpv4: healthyProber(4, { '/list-ec2': { body: JSON.stringify(ipv4Evidence) } }),
    });
    const result = await validateEnvironment(deps, ID);
    expect(result.failedChecks).toEqual(['probe-list-ec2']);
    expect(byName(registry.stored(ID).validation?.checks)['probe-list-ec2']?.detail).toContain('not over IPv6');
  });

  it('fails probe-list-buckets when the probe answers 502', async () => {
    const { deps } = setup({
      probeIpv4: healthyProber(4, { '/list-buckets': { ok: false, statusCode: 502, body: '{"error":{}}' } }),
    });
    expect((await validateEnvironment(deps, ID)).failedChecks).toEqual(['probe-list-buckets']);
  });

  it('fails egress-only-route when a private subnet has a 0.0.0.0/0 route or no ::/0 egress-only route', async () => {
    ec2Mock
      .on(DescribeRouteTablesCommand, { Filters: [{ Name: 'association.subnet-id', Values: ['subnet-priv2'] }] })
      .resolves({
        RouteTables: [{ Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1', State: 'active' }] }],
      });
    const { registry, deps } = setup();
    expect((await validateEnvironment(deps, ID)).failedChecks).toEqual(['egress-only-route']);
    const detail = byName(registry.stored(ID).validation?.checks)['egress-only-route']?.detail;
    expect(detail).toContain('subnet-priv2: no ::/0 route');
    expect(detail).toContain('0.0.0.0/0 route to nat-1');
  });

  it('fails vpc-ipv6-cidr, alb-dualstack and tasks-no-public-ip on an IPv4-only build', async () => {
    ec2Mock.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-0abc', Ipv6CidrBlockAssociationSet: [] }] });
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ IpAddressType: 'ipv4' }] });
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ networkConfiguration: { awsvpcConfiguration: { subnets: [], assignPublicIp: 'ENABLED' } } }],
    });
    const { deps } = setup();
    const result = await validateEnvironment(deps, ID);
    expect(result.failedChecks.sort()).toEqual(['alb-dualstack', 'tasks-no-public-ip', 'vpc-ipv6-cidr']);
  });

  it('fails a check that does not answer within its deadline, and a check whose call throws', async () => {
    const { registry, deps } = setup({ probeIpv4: () => new Promise(() => undefined) });
    ecsMock
      .on(DescribeServicesCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const result = await validateEnvironment(deps, ID);
    expect(result.failedChecks.sort()).toEqual([
      'http-ipv4',
      'probe-list-buckets',
      'probe-list-ec2',
      'tasks-no-public-ip',
    ]);
    const checks = byName(registry.stored(ID).validation?.checks);
    expect(checks['http-ipv4']?.detail).toBe('no result within 1000 ms');
    expect(checks['tasks-no-public-ip']?.detail).toBe('AccessDeniedException: User is not authorized');
  });

  it('skips every check that needs an output the stack did not give', async () => {
    const clock = fixedClock('2026-11-25T10:10:00.000Z');
    const registry = new FakeRegistry(clock, anEnvironment({ outputs: {} }));
    const { deps } = setup({ registry });
    const result = await validateEnvironment(deps, ID);
    expect(result.passed).toBe(false);
    expect(registry.stored(ID).validation?.checks.every((c) => c.status === 'skipped')).toBe(true);
  });

  it('refuses an environment that is being deleted (ConflictError, the machine goes to Superseded)', async () => {
    const { deps } = setup({}, 'DELETING');
    await expect(validateEnvironment(deps, ID)).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('validateEnvironment with a service (the probe as its sidecar under /_dsenv/)', () => {
  const service = { image: 'x/y:1', port: 8080, healthPath: '/healthz', healthyHttpCodes: '200-299' } as const;
  /** The sidecar answers under /_dsenv/ only; the service answers its health path with `status`. */
  function sidecarProber(family: 4 | 6, serviceStatus: number): HttpProber {
    const probe = healthyProber(family);
    return async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/healthz') {
        return { ...(await probe(request)), statusCode: serviceStatus, ok: serviceStatus < 300, body: 'hi' };
      }
      if (!path.startsWith('/_dsenv/')) return { ...(await probe(request)), statusCode: 404, ok: false };
      return probe({ ...request, url: request.url.replace('/_dsenv', '') });
    };
  }
  function setupService(v4Status: number, v6Status: number) {
    const { registry, deps } = setup({ probeIpv4: sidecarProber(4, v4Status), probeIpv6: sidecarProber(6, v6Status) });
    registry.items.set(ID, { ...registry.stored(ID), service: { ...service, cpu: 256, memory: 512, desiredCount: 1 } });
    return { registry, deps };
  }

  it('checks the service’s health path over both families and the probe under /_dsenv/, READY when all pass', async () => {
    // Prepare
    const { registry, deps } = setupService(204, 200);

    // Act
    const result = await validateEnvironment(deps, ID);

    // Assess
    expect(result).toEqual({ passed: true, failedChecks: [], secondsToReady: 600 });
    const checks = byName(registry.stored(ID).validation?.checks);
    expect(Object.keys(checks)).toHaveLength(12);
    expect(checks['service-http-ipv4']?.detail).toMatch(
      /GET http:\/\/.*\/healthz → HTTP 204 from 203\.0\.113\.10 \(IPv4\) in \d+ ms/,
    );
    expect(checks['service-http-ipv6']?.detail).toMatch(/HTTP 200 from 2600:1f18::10 \(IPv6\)/);
    expect(checks['http-ipv4']?.detail).toContain('/_dsenv/health');
    expect(checks['probe-list-ec2']?.status).toBe('passed');
    expect(registry.stored(ID).status).toBe('READY');
  });

  it('fails service-http-ipv6 alone when the service is unhealthy over IPv6 only', async () => {
    const { registry, deps } = setupService(200, 500);

    const result = await validateEnvironment(deps, ID);

    expect(result).toEqual({ passed: false, failedChecks: ['service-http-ipv6'] });
    expect(byName(registry.stored(ID).validation?.checks)['service-http-ipv6']?.detail).toContain(
      'HTTP 500 from 2600:1f18::10 (IPv6)',
    );
  });

  it('fails both service checks when the health path answers a code outside healthyHttpCodes', async () => {
    const { deps } = setupService(302, 302);
    const result = await validateEnvironment(deps, ID);
    expect(result.failedChecks.sort()).toEqual(['service-http-ipv4', 'service-http-ipv6']);
  });
});

describe('probeIpv6 (ProbeIpv6, before Validate) sends exactly the IPv6 requests Validate then judges', () => {
  const service = { image: 'x/y:1', port: 8080, healthPath: '/healthz', healthyHttpCodes: '200-299' } as const;
  const noA: ProbeResolver = {
    resolve4: async () => {
      throw Object.assign(new Error('queryA ENODATA'), { code: 'ENODATA' });
    },
    resolve6: async () => ['2600:1f18::10'],
  } as unknown as ProbeResolver;

  it.each([
    ['A and AAAA, no service', resolver, false],
    ['AAAA only, no service', noA, false],
    ['A and AAAA, a service', resolver, true],
    ['AAAA only, a service', noA, true],
  ])('%s', async (_case, dns, withService) => {
    // Prepare: what the prober sends and what Validate's checks ask the IPv6 side for
    const { registry, deps } = setup({ resolver: dns });
    if (withService) {
      registry.items.set(ID, {
        ...registry.stored(ID),
        service: { ...service, cpu: 256, memory: 512, desiredCount: 1 },
      });
    }
    const sent: string[] = [];
    const asked: string[] = [];
    /** Wraps a prober, keeping the URL of every request it is given. */
    const keeping =
      (urls: string[], prober: HttpProber): HttpProber =>
      (request) => {
        urls.push(request.url);
        return prober(request);
      };

    // Act
    const ipv6 = await probeIpv6(
      { registry, resolver: dns, settings: deps.settings, probe: keeping(sent, healthyProber(6)) },
      ID,
    );
    const recorded = recordedProber(ipv6);
    await validateEnvironment({ ...deps, probeIpv6: keeping(asked, recorded) }, ID);

    // Assess: nothing Validate asks is missing, nothing sent is unused
    expect([...sent].sort()).toEqual([...asked].sort());
    expect(ipv6.probes.map((p) => p.url).sort()).toEqual([...sent].sort());
  });

  it('answers a URL it was not given, and a prober that failed as a whole, with ok: false and the reason', async () => {
    const request = { url: 'http://x/health', family: 6 as const, timeoutMs: 500 };

    const missing = await recordedProber({ probes: [] })(request);
    const failedProber = await recordedProber({ Error: 'Lambda.Unknown', Cause: 'timed out' })(request);

    expect(missing).toMatchObject({ ok: false, error: 'the IPv6 prober did not probe http://x/health' });
    expect(failedProber).toMatchObject({ ok: false, error: 'the IPv6 prober failed: Lambda.Unknown: timed out' });
  });
});
