import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { type DualListener, listenOnLoopback } from './loopback.js';
import { forwardingServer, type TcpTarget } from './tcp-forwarder.js';

/**
 * Stand-in for the environments' Application Load Balancers: one shared HTTP listener on 127.0.0.1 and ::1
 * (the `LISTENER_PORT` the validator connects to) that routes each request by its `Host` header (the
 * stack's `PublicURI`, the ALB's DNS name) to that environment's probe, as an ALB behind its DNS name does.
 * Plus, per environment, a TCP port on both families that people can open (`outputs.localUrls`).
 */
export interface LoadBalancerStandIn {
  readonly port: number;
  /** Routes requests whose Host is `hostname` to `target`. */
  register(hostname: string, target: TcpTarget): void;
  unregister(hostname: string): void;
  /** Hostnames that currently route somewhere (lower case). */
  hostnames(): string[];
  close(): Promise<void>;
}

function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const withoutPort = hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : hostHeader.split(':')[0];
  return (withoutPort ?? '').toLowerCase().replace(/\.$/, '');
}

function sendError(res: ServerResponse, statusCode: number, code: string, message: string): void {
  res.writeHead(statusCode, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message } }));
}

function proxy(req: IncomingMessage, res: ServerResponse, target: TcpTarget, listenerPort: number): void {
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  const upstream = request(
    {
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: {
        ...req.headers,
        'x-forwarded-for': forwardedFor,
        'x-forwarded-proto': 'http',
        'x-forwarded-port': String(listenerPort),
      },
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) sendError(res, 502, 'BadGateway', 'the target did not answer');
    else res.destroy();
  });
  req.pipe(upstream);
}

export async function startLoadBalancerStandIn(port = 0): Promise<LoadBalancerStandIn> {
  const routes = new Map<string, TcpTarget>();
  let listenerPort = port;
  const listener = await listenOnLoopback(
    () =>
      createServer((req, res) => {
        const target = routes.get(hostnameOf(req.headers.host));
        if (!target) return sendError(res, 404, 'NotFound', 'no load balancer answers for this host');
        proxy(req, res, target, listenerPort);
      }),
    port,
  );
  listenerPort = listener.port;
  return {
    port: listener.port,
    register: (hostname, target) => routes.set(hostname.toLowerCase().replace(/\.$/, ''), target),
    unregister: (hostname) => routes.delete(hostname.toLowerCase().replace(/\.$/, '')),
    hostnames: () => [...routes.keys()],
    close: async () => {
      routes.clear();
      await listener.close();
    },
  };
}

/** A port on 127.0.0.1 and ::1 that forwards every connection to `target` (an environment's URLs). */
export function openEnvironmentPort(target: TcpTarget, port = 0): Promise<DualListener> {
  return listenOnLoopback(() => forwardingServer(() => target).server, port);
}
