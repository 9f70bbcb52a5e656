// A tiny service with no dependencies: the example of "bring your own service" (docs/bring-your-own-service.md).
// It listens on PORT over IPv4 and IPv6 (one dual-stack socket on ::) and answers:
//   GET /        a greeting (GREETING) and the address family the client came over
//   GET /health  {"status":"ok"}
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const greeting = process.env.GREETING ?? 'Hello from your own service';

function familyOf(address = '') {
  return address.startsWith('::ffff:') || !address.includes(':') ? 'IPv4' : 'IPv6';
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://service').pathname;
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'GET') return send(405, { error: { code: 'MethodNotAllowed', message: 'GET only' } });
  if (path === '/health') return send(200, { status: 'ok' });
  if (path === '/') {
    return send(200, { message: greeting, clientFamily: familyOf(req.socket.remoteAddress), service: 'hello-service' });
  }
  return send(404, { error: { code: 'NotFound', message: `no route ${path}` } });
});

// `::` with ipv6Only false accepts IPv4 clients too (as ::ffff:a.b.c.d).
server.listen({ port, host: '::', ipv6Only: false }, () => {
  console.log(JSON.stringify({ level: 'info', message: 'listening', port, pid: process.pid }));
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
