import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeRouteTablesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ipv6Prober } from '../../../functions/workflow/ipv6-prober.js';
import { handler as validate } from '../../../functions/workflow/validate-environment.js';
import { type DnsStandIn, startDnsStandIn } from '../../../local/dns-stand-in.js';
import { anEnvironment } from '../../fixtures/workflow/fakes.js';
import { lambdaContext, setWorkflowEnvironment } from './lambda-context.js';

const ID = 'env-3k9x0q2m7ab1';
const HOST = 'env-3k9x0q2m7ab1-alb.local.test';
const PROBER = 'dsenv-ipv6-prober';

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
const lambdaMock = mockClient(LambdaClient);
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
    IPV6_PROBER_FUNCTION: PROBER,
  });
});

afterAll(async () => {
  await dns.close();
  await Promise.all(lb.servers.map((s) => new Promise((r) => s.close(r))));
  for (const name of ['DNS_SERVERS', 'LISTENER_PORT', 'IPV6_PROBER_FUNCTION']) delete process.env[name];
});

describe('validate-environment handler', () => {
  it('resolves through DNS_SERVERS, probes IPv4 in-process and IPv6 through the prober function, and sets READY', async () => {
    // Prepare: the environment and its cloud resources
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
    ddbMock.on(GetCommand).resolves({ Item: item });
    const updates: Record<string, unknown>[] = [];
    let version = item.version;
    ddbMock
      .on(UpdateCommand)
      .callsFake(
        (input: {
          ExpressionAttributeNames: Record<string, string>;
          ExpressionAttributeValues: Record<string, unknown>;
        }) => {
          const changes: Record<string, unknown> = {};
          for (const [alias, field] of Object.entries(input.ExpressionAttributeNames)) {
            if (alias.startsWith('#f')) changes[field] = input.ExpressionAttributeValues[`:${alias.slice(1)}`];
          }
          updates.push(changes);
          version++;
          return { Attributes: { ...item, ...changes, version } };
        },
      );
    // The prober function, invoked for real (its handler), as Lambda would.
    lambdaMock.on(InvokeCommand).callsFake(async (input: { FunctionName: string; Payload: Uint8Array }) => {
      const result = await ipv6Prober(JSON.parse(new TextDecoder().decode(input.Payload)), lambdaContext);
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) };
    });
    ec2Mock.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        {
          Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: 'fd00::/56', Ipv6CidrBlockState: { State: 'associated' } }],
        },
      ],
    });
    ec2Mock.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [{ Routes: [{ DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-1' }] }],
    });
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ IpAddressType: 'dualstack' }] });
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [{ networkConfiguration: { awsvpcConfiguration: { subnets: [], assignPublicIp: 'DISABLED' } } }],
    });

    // Act
    const result = await validate({ environmentId: ID }, lambdaContext);

    // Assess
    expect(result).toEqual({ passed: true, failedChecks: [], secondsToReady: expect.any(Number) });
    expect(lambdaMock).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: PROBER });
    expect(seen).toContain('IPv4 /health');
    expect(seen).toContain('IPv6 /health');
    const validation = updates.find((u) => u.validation)?.validation as { checks: { name: string; detail: string }[] };
    expect(validation.checks.find((c) => c.name === 'dns-aaaa')?.detail).toBe(`${HOST} AAAA ::1`);
    expect(validation.checks.find((c) => c.name === 'http-ipv6')?.detail).toContain('from ::1 (IPv6)');
    expect(updates.map((u) => u.status).filter(Boolean)).toEqual(['VALIDATING', 'READY']);
  });
});
