import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProbeResolver, probeHttp } from '../../../functions/domain/http-probe.js';

/** Answers /health with the family the request arrived on, so a test can tell the two listeners apart. */
function listener(host: string, holdConnection?: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = holdConnection
    ? createServer().on('connection', holdConnection)
    : createServer((req, res) => {
        res.statusCode = req.url === '/health' ? 200 : 503;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'ok', listener: host, host: req.headers.host, path: req.url }));
      });
  return new Promise((resolve) =>
    server.listen(0, host, () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

const NAME = 'env-3k9x0q2m7ab1-alb.example.test';
/** A resolver stub: the name has an A record 127.0.0.1 and an AAAA record ::1. */
const resolver: ProbeResolver = {
  resolve4: async (hostname: string) => (hostname === NAME ? ['127.0.0.1'] : []),
  resolve6: async (hostname: string) => (hostname === NAME ? ['::1'] : []),
} as ProbeResolver;

let v4: { server: Server; port: number };
let v6: { server: Server; port: number };
let silent: { server: Server; port: number };
const heldSockets: Socket[] = [];

beforeAll(async () => {
  v4 = await listener('127.0.0.1');
  v6 = await listener('::1');
  silent = await listener('127.0.0.1', (socket) => void heldSockets.push(socket));
});

afterAll(async () => {
  for (const s of heldSockets) s.destroy();
  await Promise.all([v4, v6, silent].map(({ server }) => new Promise((r) => server.close(r))));
});

describe('probeHttp', () => {
  it('never reaches the IPv6 listener over family 4: the IPv4 side of its port refuses', async () => {
    const response = await probeHttp(
      { url: `http://${NAME}:${v6.port}/health`, family: 4, timeoutMs: 2000 },
      { resolver },
    );
    expect(response.ok).toBe(false);
    expect(response.error).toMatch(/^ECONNREFUSED.*127\.0\.0\.1/);
  });

  it('reaches the IPv4 listener when asked for family 4, and says it connected over IPv4', async () => {
    const response = await probeHttp(
      { url: `http://${NAME}:${v4.port}/health`, family: 4, timeoutMs: 2000 },
      { resolver },
    );
    expect(response).toMatchObject({ ok: true, statusCode: 200, remoteAddress: '127.0.0.1', remoteFamily: 'IPv4' });
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({
      listener: '127.0.0.1',
      host: `${NAME}:${v4.port}`,
      path: '/health',
    });
  });

  it('reaches the IPv6 listener when asked for family 6, and says it connected over IPv6', async () => {
    const response = await probeHttp(
      { url: `http://${NAME}:${v6.port}/health`, family: 6, timeoutMs: 2000 },
      { resolver },
    );
    expect(response).toMatchObject({ ok: true, statusCode: 200, remoteAddress: '::1', remoteFamily: 'IPv6' });
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ listener: '::1' });
  });

  it('reports a name without a record of the family as not ok, without connecting', async () => {
    const noAaaa = { ...resolver, resolve6: async () => [] } as unknown as ProbeResolver;
    const response = await probeHttp(
      { url: `http://${NAME}:${v6.port}/health`, family: 6, timeoutMs: 2000 },
      { resolver: noAaaa },
    );
    expect(response.ok).toBe(false);
    expect(response.error).toMatch(/ENOTFOUND.*no AAAA record/);
    expect(response.remoteAddress).toBeUndefined();
  });

  it('reports a refused connection as not ok with ECONNREFUSED', async () => {
    // Nothing listens on the IPv6 side of the silent listener's port.
    const response = await probeHttp(
      { url: `http://${NAME}:${silent.port}/health`, family: 6, timeoutMs: 2000 },
      { resolver },
    );
    expect(response.ok).toBe(false);
    expect(response.error).toMatch(/^ECONNREFUSED/);
  });

  it('gives up on a server that accepts but never answers, within the timeout', async () => {
    const response = await probeHttp(
      { url: `http://${NAME}:${silent.port}/health`, family: 4, timeoutMs: 300 },
      { resolver },
    );
    expect(response.ok).toBe(false);
    expect(response.error).toMatch(/ETIMEDOUT: no answer within 300 ms/);
    expect(response.remoteFamily).toBe('IPv4');
    expect(response.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(response.elapsedMs).toBeLessThan(2000);
  });

  it('connects to an IP literal of the requested family without asking the resolver', async () => {
    const failing = {
      resolve4: async () => Promise.reject(new Error('must not be asked')),
      resolve6: async () => [],
    } as unknown as ProbeResolver;
    const response = await probeHttp(
      { url: `http://[::1]:${v6.port}/health`, family: 6, timeoutMs: 2000 },
      { resolver: failing },
    );
    expect(response).toMatchObject({ ok: true, remoteFamily: 'IPv6' });
  });

  it('reports a non-2xx answer as not ok with its status code', async () => {
    const response = await probeHttp(
      { url: `http://${NAME}:${v4.port}/missing`, family: 4, timeoutMs: 2000 },
      { resolver },
    );
    expect(response).toMatchObject({ ok: false, statusCode: 503, remoteFamily: 'IPv4' });
  });
});
