import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { percentile } from './stats.js';

/**
 * An HTTP proxy between the control plane and the emulator that times every request: the control plane is
 * given the proxy's URL as its emulator, so each SDK call (and each call of the probes, which reach the
 * emulator through the same endpoint) is recorded with its operation and its round-trip time. It adds one
 * loopback hop (well under a millisecond) to every call.
 */
export interface EmulatorRequest {
  /** Epoch ms (sub-millisecond precision) when the request was sent on to the emulator. */
  readonly start: number;
  /** Epoch ms when the emulator's response had been read completely. */
  readonly end: number;
  /** `CreateStack`, `DynamoDB_20120810.Query`, `GET /schedules`…  */
  readonly operation: string;
  readonly status: number;
}

export interface EmulatorTimingProxy {
  /** Use as the emulator endpoint (keeps `localhost`, which the emulator needs for path-style S3 URLs). */
  readonly endpoint: string;
  requests(): readonly EmulatorRequest[];
  close(): Promise<void>;
}

const now = () => performance.timeOrigin + performance.now();

/** The operation a request names: its X-Amz-Target, its query-protocol `Action`, else method and first path part. */
export function operationOf(method: string, url: string, headers: IncomingMessage['headers'], body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target !== '') return target;
  const query = new URL(url, 'http://emulator').searchParams.get('Action');
  if (query) return query;
  if (String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action');
    if (action) return action;
  }
  const firstSegment = new URL(url, 'http://emulator').pathname.split('/')[1] ?? '';
  return `${method} /${firstSegment}`;
}

/** Requests by operation: how many, p50/p99 and total round-trip time; the most total time first. */
export function operationSummary(requests: readonly EmulatorRequest[]) {
  const byOperation: Record<string, number[]> = {};
  for (const r of requests) {
    const list = byOperation[r.operation] ?? [];
    list.push(r.end - r.start);
    byOperation[r.operation] = list;
  }
  return Object.fromEntries(
    Object.entries(byOperation)
      .map(([operation, ms]) => {
        const totalMs = ms.reduce((sum, m) => sum + m, 0);
        return [operation, { n: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), totalMs }] as const;
      })
      .sort((a, b) => b[1].totalMs - a[1].totalMs),
  );
}
export type OperationSummary = ReturnType<typeof operationSummary>;

export async function startEmulatorTimingProxy(emulatorUrl: string): Promise<EmulatorTimingProxy> {
  const target = new URL(emulatorUrl);
  const targetHost = target.hostname === 'localhost' ? '127.0.0.1' : target.hostname.replace(/^\[|\]$/g, '');
  const targetPort = Number(target.port || 80);
  const agent = new Agent({ keepAlive: true });
  const recorded: EmulatorRequest[] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const operation = operationOf(req.method ?? 'GET', req.url ?? '/', req.headers, body.toString('utf8'));
    const start = now();
    const upstream = request(
      { host: targetHost, port: targetPort, method: req.method, path: req.url, headers: req.headers, agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          recorded.push({ start, end: now(), operation, status: response.statusCode ?? 0 });
          res.writeHead(response.statusCode ?? 502, response.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    upstream.on('error', (error) => {
      recorded.push({ start, end: now(), operation, status: 0 });
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`emulator unreachable: ${error.message}`);
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => forward(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://localhost:${port}`,
    requests: () => recorded,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      agent.destroy();
    },
  };
}
