import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { closeServer } from './loopback.js';

/**
 * A TCP forwarder: accepts on `listenHost:listenPort` and pipes each connection to `target`. Local mode uses
 * it for the per-environment URLs (both loopback families → the probe) and for the probe's path to the
 * emulator over `[::1]`, so the probe's AWS calls really travel over IPv6.
 */
export interface TcpTarget {
  readonly host: string;
  readonly port: number;
}

export interface TcpForwarder {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function forwardingServer(target: () => TcpTarget): { server: Server; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const { host, port } = target();
    const upstream = createConnection({ host, port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return { server, sockets };
}

export async function startTcpForwarder(listenHost: string, target: TcpTarget, listenPort = 0): Promise<TcpForwarder> {
  const { server, sockets } = forwardingServer(() => target);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: listenPort, host: listenHost, ipv6Only: listenHost.includes(':') }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listenPort;
  return { host: listenHost, port, close: () => closeServer(server, sockets) };
}
