import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeRouteTablesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ipv6Prober } from '../../../functions/workflow/ipv6-prober.js';
import { handler as validate } from '../../../functions/workflow/validate-environment.js';
import { type DnsStandIn, startDnsStandIn } from '../../../local/dns-stand-in.js';
import { anEnvironment } from '../../fixtures/workflow/fakes.js';
import { lambdaContext, setWorkflowEnvironment } from './lambda-context.js';
import { tableHolding } from './registry-table.js';

const ID = 'env-3k9x0q2m7ab1';
const HOST = 'env-3k9x0q2m7ab1-alb.local.test';

/** The "load balancer": the probe app's routes, on one port number over both families (as an ALB listener). */
function probeApp(familySeen: string[]) {
  return createServer((req, res) => {
    familySeen.push(`${req.socket.remoteFamily} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    const evidence = {
      endpoint: 'localhost',
      dualStack: false,
      requestedFamily: 'IPv6',
      family: 'IPv6',
      address: '::1',
      port: 4566,
    };
    const summaries: Record<string, unknown> = {
      '/list-buckets': { count: 0, names: [] },
      '/list-ec2': { reservations: 0, instances: 0, items: [], truncated: false },
    };
    const summary = req.url ? summaries[req.url] : undefined;
    if (req.url === '/health') res.end('{"status":"ok"}');
    else if (summary !== undefined) res.end(JSON.stringify({ summary, evidence }));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
}

async function listenOnBothFamilies(make: () => Server): Promise<{ servers: Server[]; port: number }> {
  for (let i = 0; i < 20; i++) {
    const v4 = make();
    await new Promise<void>((r) => v4.listen(0, '127.0.0.1', r));
    const port = (v4.address() as AddressInfo).port;
    const v6 = make();
    const ok = await new Promise<boolean>((r) => {
      v6.once('error', () => r(false));
      v6.listen(port, '::1', () => r(true));
    });
    if (ok) return { servers: [v4, v6], port };
    await new Promise((r) => v4.close(r));
  }
  throw new Error('no port free on both 127.0.0.1 and ::1');
}

let dns: DnsStandIn;
let lb: { servers: Server[]; port: number };
const seen: string[] = [];
const ddbMock = mockClient(DynamoDBDocumentClient);
const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ecsMock = mockClient(ECSClient);

beforeAll(async () => {
  setWorkflowEnvironment();
  dns = await startDnsStandIn({ isLive: (name) => name === HOST });
  lb = await listenOnBothFamilies(() => probeApp(seen));
  Object.assign(process.env, {
    DNS_SERVERS: dns.address,
    LISTENER_PORT: String(lb.port),
  });
});

afterAll(async () => {
  await dns.close();
  await Promise.all(lb.servers.map((s) => new Promise((r) => s.close(r))));
  for (const name of ['DNS_SERVERS', 'LISTENER_PORT']) delete process.env[name];
});

/** The environment and its cloud resources, as the describe calls answer; returns the registry writes. */
function prepareEnvironment(): Record<string, unknown>[] {
  const item = anEnvironment({
    outputs: {
      publicUri: HOST,
      vpcId: 'vpc-1',
      privateSubnetIds: ['subnet-1'],
      loadBalancerArn: 'arn:lb',
      clusterName: 'c',
      serviceName: 's',
    },
  });
  ddbMock.reset();
  const updates = tableHolding(ddbMock, item);
  ec2Mock.on(DescribeVpcsCommand).resolves({
    Vpcs: [
      { Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: 'fd00::/56', Ipv6CidrBlockState: { State: 'associated' } }] },
    ],
  });
  ec2Mock.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [{ Routes: [{ DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-1' }] }],
  });
  elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ IpAddressType: 'dualstack' }] });
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [{ networkConfiguration: { awsvpcConfiguration: { subnets: [], assignPublicIp: 'DISABLED' } } }],
  });
  return updates;
}

type Validation = { checks: { name: string; status: string; detail: string }[] };

describe('ProbeIpv6 then Validate', () => {
  it('sends the IPv6 requests from the prober, probes IPv4 in Validate, judges IPv6 on the answers, sets READY', async () => {
    const updates = prepareEnvironment();
    seen.length = 0;

    // Act: the two tasks as the state machine runs them, the prober's result at $.ipv6 passed to Validate
    const ipv6 = await ipv6Prober({ environmentId: ID }, lambdaContext);
    const afterProber = [...seen];
    const result = await validate({ environmentId: ID, ipv6 }, lambdaContext);

    // Assess: the prober sent the IPv6 requests (and wrote nothing); Validate sent only IPv4 ones
    // (the name has an A record: the AWS probes go over IPv4, from Validate)
    expect(ipv6.probes.map((p: { url: string }) => new URL(p.url).pathname)).toEqual(['/health']);
    expect(afterProber).toEqual(['IPv6 /health']);
    expect(seen.slice(afterProber.length).sort()).toEqual(['IPv4 /health', 'IPv4 /list-buckets', 'IPv4 /list-ec2']);
    expect(result).toEqual({ passed: true, failedChecks: [], secondsToReady: expect.any(Number) });
    const validation = updates.find((u) => u.validation)?.validation as Validation;
    expect(validation.checks.find((c) => c.name === 'dns-aaaa')?.detail).toBe(`${HOST} AAAA ::1`);
    expect(validation.checks.find((c) => c.name === 'http-ipv6')?.detail).toContain('from ::1 (IPv6)');
    expect(updates.map((u) => u.status).filter(Boolean)).toEqual(['VALIDATING', 'READY']);
  });

  it('fails the IPv6 checks with the error when the prober failed as a whole, and never sets READY', async () => {
    const updates = prepareEnvironment();
    const ipv6 = { Error: 'Lambda.Unknown', Cause: 'Task timed out after 35.00 seconds' };

    const result = await validate({ environmentId: ID, ipv6 }, lambdaContext);

    expect(result.passed).toBe(false);
    expect(result.failedChecks).toEqual(['http-ipv6']);
    const validation = updates.find((u) => u.validation)?.validation as Validation;
    expect(validation.checks.find((c) => c.name === 'http-ipv6')?.detail).toContain(
      'the IPv6 prober failed: Lambda.Unknown: Task timed out after 35.00 seconds',
    );
    expect(updates.map((u) => u.status).filter(Boolean)).toEqual(['VALIDATING']);
  });

  it("refuses a Validate input without the prober's answers (the state machine always passes them)", async () => {
    await expect(validate({ environmentId: ID }, lambdaContext)).rejects.toThrow(/ipv6/);
  });
});
