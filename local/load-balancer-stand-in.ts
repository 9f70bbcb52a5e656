import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { type DualListener, listenOnLoopback } from './loopback.js';
import { forwardingServer, type TcpTarget } from './tcp-forwarder.js';

/**
 * Stand-in for the environments' Application Load Balancers: one shared HTTP listener on 127.0.0.1 and ::1
 * (the `LISTENER_PORT` the validator connects to) that routes each request by its `Host` header (the
 * stack's `PublicURI`, the ALB's DNS name) to that environment's task, as an ALB behind its DNS name does.
 * With a service, the listener's rules are the blueprint's: `/_dsenv/*` goes to the probe, every other path to
 * the service, over the family the client used (so a service that listens on one family only answers on that one).
 * Plus, per environment, a port on both families that people can open (`outputs.localUrls`).
 */

/** An environment with a service: the service's port (on both loopbacks) and the probe sidecar behind a prefix. */
export interface ServiceRoutes {
  /** Port the service listens on; reached at 127.0.0.1 or ::1 as the client came in. */
  readonly servicePort: number;
  readonly probe: TcpTarget;
  /** @default '/_dsenv/' */
  readonly probePrefix?: string;
}

/** Where a load balancer sends requests: the probe alone (one target) or a service with the probe as sidecar. */
export type LoadBalancerTarget = TcpTarget | ServiceRoutes;

const isRouted = (target: LoadBalancerTarget): target is ServiceRoutes => 'servicePort' in target;

/** The backend one request goes to, by path and by the family it arrived over. */
export function backendFor(target: LoadBalancerTarget, req: IncomingMessage): TcpTarget {
  if (!isRouted(target)) return target;
  if ((req.url ?? '/').startsWith(target.probePrefix ?? '/_dsenv/')) return target.probe;
  return { host: req.socket.localFamily === 'IPv6' ? '::1' : '127.0.0.1', port: target.servicePort };
}
/**
 * Failures a test can switch on for one load balancer name (never set in normal use):
 * - `probe-5xx`: the target answers 500, as a failing service behind a healthy stack does;
 * - `probe-timeout`: the target accepts the request and never answers;
 * - `ipv6-down`: connections that arrive over IPv6 are reset, IPv4 works (a broken IPv6 path).
 */
export type TargetFault = 'probe-5xx' | 'probe-timeout' | 'ipv6-down';

export interface LoadBalancerStandInOptions {
  /** The fault switched on for a load balancer name, if any. @default none */
  readonly faultFor?: (hostname: string) => TargetFault | undefined;
}

export interface LoadBalancerStandIn {
  readonly port: number;
  /** Routes requests whose Host is `hostname` to `target`. */
  register(hostname: string, target: LoadBalancerTarget): void;
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

/** Plays the fault; true when the request was handled (not to be proxied). */
function injectFault(
  fault: TargetFault | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  held: Set<ServerResponse>,
) {
  if (fault === 'probe-5xx') {
    sendError(res, 500, 'InternalServerError', 'the service failed (injected fault)');
    return true;
  }
  if (fault === 'probe-timeout') {
    held.add(res);
    res.on('close', () => held.delete(res));
    return true;
  }
  if (fault === 'ipv6-down' && req.socket.localFamily === 'IPv6') {
    req.socket.destroy();
    return true;
  }
  return false;
}

export async function startLoadBalancerStandIn(
  port = 0,
  options: LoadBalancerStandInOptions = {},
): Promise<LoadBalancerStandIn> {
  const routes = new Map<string, LoadBalancerTarget>();
  /** Requests left unanswered by `probe-timeout`, ended at close. */
  const held = new Set<ServerResponse>();
  let listenerPort = port;
  const listener = await listenOnLoopback(
    () =>
      createServer((req, res) => {
        const hostname = hostnameOf(req.headers.host);
        const target = routes.get(hostname);
        if (!target) return sendError(res, 404, 'NotFound', 'no load balancer answers for this host');
        if (options.faultFor && injectFault(options.faultFor(hostname), req, res, held)) return;
        proxy(req, res, backendFor(target, req), listenerPort);
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
      for (const res of held) res.destroy();
      await listener.close();
    },
  };
}

/**
 * A port on 127.0.0.1 and ::1 for an environment's URLs: every connection forwarded to the probe, or, with a
 * service, each request routed as the load balancer routes it.
 */
export function openEnvironmentPort(target: LoadBalancerTarget, port = 0): Promise<DualListener> {
  if (!isRouted(target)) return listenOnLoopback(() => forwardingServer(() => target).server, port);
  return listenOnLoopback(
    () =>
      createServer((req, res) => {
        proxy(req, res, backendFor(target, req), port);
      }),
    port,
  );
}
