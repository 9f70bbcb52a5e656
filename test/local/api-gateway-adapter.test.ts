import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiRoute, createApiGatewayAdapter } from '../../local/api-gateway-adapter.js';
import { apiRoutes, synthesizeControlPlane } from '../../local/control-plane-template.js';

/** The routes of the synthesized API, the only definition local mode uses (control-plane/constructs/api.ts). */
const routes = apiRoutes(synthesizeControlPlane().template);

describe('local API Gateway adapter', () => {
  const received: { route: ApiRoute; event: APIGatewayProxyEvent }[] = [];
  let fail = false;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer(
      createApiGatewayAdapter({
        routes,
        invoke: async (route, event) => {
          received.push({ route, event });
          if (fail) throw new Error('secret internal detail');
          return {
            statusCode: route.method === 'POST' ? 202 : 200,
            headers: { 'Content-Type': 'application/json', 'X-Trace': 'abc' },
            body: JSON.stringify({ handledBy: route.entry }),
          };
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    received.length = 0;
    fail = false;
  });
  afterAll(() => {
    server.close();
  });

  it("takes the routes from the synthesized REST API, each integrated with its route's handler", () => {
    expect([...routes].sort((a, b) => `${a.resource} ${a.method}`.localeCompare(`${b.resource} ${b.method}`))).toEqual([
      { method: 'GET', resource: '/environments', entry: 'functions/api/list-environments.ts' },
      { method: 'POST', resource: '/environments', entry: 'functions/api/create-environment.ts' },
      { method: 'DELETE', resource: '/environments/{id}', entry: 'functions/api/delete-environment.ts' },
      { method: 'GET', resource: '/environments/{id}', entry: 'functions/api/get-environment.ts' },
      { method: 'PATCH', resource: '/environments/{id}', entry: 'functions/api/update-environment.ts' },
      { method: 'GET', resource: '/environments/{id}/events', entry: 'functions/api/list-environment-events.ts' },
    ]);
  });

  it('builds the REST API proxy event for a route with a path parameter and returns the handler result', async () => {
    const res = await fetch(`${base}/environments/env-abc123def456?verbose=1&tag=a&tag=b`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'X-Principal': 'arn:aws:iam::123456789012:user/alice' },
      body: JSON.stringify({ ttlMinutes: 60 }),
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('x-trace')).toBe('abc');
    expect(await res.json()).toEqual({ handledBy: 'functions/api/update-environment.ts' });
    const event = received[0]?.event as APIGatewayProxyEvent;
    expect(event).toMatchObject({
      httpMethod: 'PATCH',
      resource: '/environments/{id}',
      path: '/environments/env-abc123def456',
      pathParameters: { id: 'env-abc123def456' },
      queryStringParameters: { verbose: '1', tag: 'b' },
      multiValueQueryStringParameters: { verbose: ['1'], tag: ['a', 'b'] },
      body: '{"ttlMinutes":60}',
      isBase64Encoded: false,
      requestContext: {
        resourcePath: '/environments/{id}',
        identity: { userArn: 'arn:aws:iam::123456789012:user/alice' },
      },
    });
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('uses local-user as the principal when no X-Principal is sent, and null body/params when absent', async () => {
    const res = await fetch(`${base}/environments`);

    expect(res.status).toBe(200);
    expect(received[0]?.route.entry).toBe('functions/api/list-environments.ts');
    expect(received[0]?.event).toMatchObject({
      requestContext: { identity: { userArn: 'local-user' } },
      body: null,
      pathParameters: null,
      queryStringParameters: null,
    });
  });

  it('answers 404 for an unknown route and 405 (with Allow) for a wrong method, without calling a handler', async () => {
    const unknown = await fetch(`${base}/nope`);
    const wrongMethod = await fetch(`${base}/environments`, { method: 'DELETE' });

    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NotFound' } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST, GET');
    expect(await wrongMethod.json()).toMatchObject({ error: { code: 'MethodNotAllowed' } });
    expect(received).toHaveLength(0);
  });

  it('answers 502 without internal detail when the handler throws, as API Gateway does', async () => {
    fail = true;

    const res = await fetch(`${base}/environments`, { method: 'POST', body: '{}' });

    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'InternalError', message: 'Internal server error' } });
    expect(text).not.toContain('secret');
  });

  it('answers GET /health itself', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(received).toHaveLength(0);
  });
});
