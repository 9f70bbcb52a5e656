import { createConnection, type Server, type Socket } from 'node:net';

/** The two loopback addresses every local endpoint listens on, so each answers over IPv4 and IPv6. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;

export interface DualListener {
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ port, host, ipv6Only: host.includes(':') }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Closes a server and every connection it still holds, so nothing keeps answering on its port. */
export function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Listens one server on one address (a given host, rather than both loopback families). */
export async function listenOn(server: Server, port: number, host: string): Promise<DualListener> {
  const sockets = track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => closeServer(server, sockets),
  };
}

/**
 * Listens with one server per loopback family on the same port: `port` when given (0 or undefined: a port
 * free on both families, retried a few times if the IPv6 side is taken).
 */
export async function listenOnLoopback(makeServer: () => Server, port = 0, attempts = 10): Promise<DualListener> {
  for (let attempt = 1; ; attempt++) {
    const v4 = makeServer();
    const v4Sockets = track(v4);
    const chosen = await listen(v4, port, '127.0.0.1');
    const v6 = makeServer();
    const v6Sockets = track(v6);
    try {
      await listen(v6, chosen, '::1');
    } catch (error) {
      await closeServer(v4, v4Sockets);
      if (port !== 0 || attempt >= attempts) throw error;
      continue;
    }
    return {
      port: chosen,
      close: async () => {
        await Promise.all([closeServer(v4, v4Sockets), closeServer(v6, v6Sockets)]);
      },
    };
  }
}

/** Whether anything accepts TCP connections at host:port (for tests and shutdown checks). */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `http://127.0.0.1:P` / `http://[::1]:P`. */
export function loopbackUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
