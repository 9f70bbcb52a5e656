import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoadBalancerStandIn,
  openEnvironmentPort,
  startLoadBalancerStandIn,
} from '../../local/load-balancer-stand-in.js';
import { isListening } from '../../local/loopback.js';

/** A backend that says who it is and how the request reached it. */
function startBackend(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ name, path: req.url, host: req.headers.host, forwardedFor: req.headers['x-forwarded-for'] }),
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

/** GET with an explicit Host header (fetch does not let callers set one). */
function getJson(url: string, host?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host ? { host } : {}, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local load-balancer stand-in', () => {
  let lb: LoadBalancerStandIn;
  let blue: { server: Server; port: number };
  let green: { server: Server; port: number };

  beforeAll(async () => {
    blue = await startBackend('blue');
    green = await startBackend('green');
    lb = await startLoadBalancerStandIn();
    lb.register('blue-alb.elb.amazonaws.com', { host: '127.0.0.1', port: blue.port });
    lb.register('Green-ALB.elb.amazonaws.com', { host: '127.0.0.1', port: green.port });
  });
  afterAll(async () => {
    await lb.close();
    blue.server.close();
    green.server.close();
  });

  it('routes by Host header to the matching target over IPv4 and IPv6', async () => {
    const viaV4 = await getJson(`http://127.0.0.1:${lb.port}/health`, 'blue-alb.elb.amazonaws.com');
    const viaV6 = await getJson(`http://[::1]:${lb.port}/health`, `green-alb.elb.amazonaws.com:${lb.port}`);

    expect(viaV4).toMatchObject({ status: 200, body: { name: 'blue', path: '/health' } });
    expect(viaV6).toMatchObject({ status: 200, body: { name: 'green', path: '/health' } });
    expect(viaV6.body.forwardedFor).toBe('::1');
  });

  it('answers 404 for a host it does not serve, and stops routing an unregistered host', async () => {
    lb.register('temp-alb.elb.amazonaws.com', { host: '127.0.0.1', port: blue.port });
    expect((await getJson(`http://127.0.0.1:${lb.port}/`, 'temp-alb.elb.amazonaws.com')).status).toBe(200);

    lb.unregister('temp-alb.elb.amazonaws.com');

    const after = await getJson(`http://127.0.0.1:${lb.port}/`, 'temp-alb.elb.amazonaws.com');
    expect(after.status).toBe(404);
    expect(after.body).toMatchObject({ error: { code: 'NotFound' } });
  });

  it('opens a per-environment port on both families that forwards to the target and closes completely', async () => {
    const port = await openEnvironmentPort({ host: '127.0.0.1', port: blue.port });

    const viaV4 = await getJson(`http://127.0.0.1:${port.port}/x`);
    const viaV6 = await getJson(`http://[::1]:${port.port}/y`);
    await port.close();

    expect(viaV4.body).toMatchObject({ name: 'blue', path: '/x' });
    expect(viaV6.body).toMatchObject({ name: 'blue', path: '/y' });
    expect(await isListening('127.0.0.1', port.port)).toBe(false);
    expect(await isListening('::1', port.port)).toBe(false);
  });

  it('leaves nothing listening on either family after close', async () => {
    const other = await startLoadBalancerStandIn();
    expect(await isListening('::1', other.port)).toBe(true);

    await other.close();

    expect(await isListening('127.0.0.1', other.port)).toBe(false);
    expect(await isListening('::1', other.port)).toBe(false);
  });
});

describe('local load-balancer stand-in with a service (the blueprint’s listener rules)', () => {
  it('sends /_dsenv/* to the probe and the rest to the service over the family the client came in on', async () => {
    // Prepare: a service listening on IPv4 loopback only, and the probe
    const lb = await startLoadBalancerStandIn();
    const service = await startBackend('service');
    const probe = await startBackend('probe');
    lb.register('svc.example', { servicePort: service.port, probe: { host: '127.0.0.1', port: probe.port } });
    try {
      // Act
      const [v4Root, v6Root, v6Probe, v4Probe] = await Promise.all([
        getJson(`http://127.0.0.1:${lb.port}/`, 'svc.example'),
        getJson(`http://[::1]:${lb.port}/`, 'svc.example'),
        getJson(`http://[::1]:${lb.port}/_dsenv/list-buckets`, 'svc.example'),
        getJson(`http://127.0.0.1:${lb.port}/_dsenv/health`, 'svc.example'),
      ]);

      // Assess
      expect(v4Root).toMatchObject({ status: 200, body: { name: 'service', path: '/' } });
      expect(v6Root).toMatchObject({ status: 502, body: { error: { code: 'BadGateway' } } });
      expect(v6Probe).toMatchObject({ status: 200, body: { name: 'probe', path: '/_dsenv/list-buckets' } });
      expect(v4Probe.body).toMatchObject({ name: 'probe', path: '/_dsenv/health' });
    } finally {
      await lb.close();
      service.server.close();
      probe.server.close();
    }
  });

  it('routes an environment port the same way (its local URLs)', async () => {
    const service = await startBackend('service');
    const probe = await startBackend('probe');
    const port = await openEnvironmentPort({
      servicePort: service.port,
      probe: { host: '127.0.0.1', port: probe.port },
    });
    try {
      const [root, sidecar] = await Promise.all([
        getJson(`http://127.0.0.1:${port.port}/hello`),
        getJson(`http://127.0.0.1:${port.port}/_dsenv/list-ec2`),
      ]);
      expect(root.body).toMatchObject({ name: 'service', path: '/hello' });
      expect(sidecar.body).toMatchObject({ name: 'probe', path: '/_dsenv/list-ec2' });
    } finally {
      await port.close();
      service.server.close();
      probe.server.close();
    }
  });
});
