import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { principalOf } from './signing-identity.js';

/**
 * Stand-in for API Gateway (REST API, Lambda proxy integration): turns an HTTP request into the
 * `APIGatewayProxyEvent` the API's Lambda receives on AWS, calls the handler of the matching route, and
 * writes its result back. IAM authorization is not emulated: the caller's principal is the `X-Principal` header,
 * else the request's SigV4 signing identity, else `local-user` (./signing-identity.ts), so this must only listen
 * on loopback.
 */
export interface ApiRoute {
  /** HTTP method, upper case. */
  readonly method: string;
  /** API Gateway resource path, with `{param}` segments. */
  readonly resource: string;
  /** Handler entry file, relative to the repository root. */
  readonly entry: string;
}

export { DEFAULT_PRINCIPAL } from './signing-identity.js';

const STAGE = 'local';
/** API Gateway's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export type InvokeRoute = (route: ApiRoute, event: APIGatewayProxyEvent) => Promise<unknown>;

interface RouteMatch {
  readonly route: ApiRoute;
  readonly pathParameters: Record<string, string> | null;
}

function matchResource(resource: string, path: string): Record<string, string> | undefined {
  const want = resource.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const actual = got[i] as string;
    const param = /^\{(\w+)\}$/.exec(segment);
    if (param?.[1]) {
      try {
        params[param[1]] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (segment !== actual) return undefined;
  }
  return params;
}

/** The route for `method path`, or why there is none (`404`: no such resource, `405`: method not allowed). */
export function matchRoute(
  routes: readonly ApiRoute[],
  method: string,
  path: string,
): RouteMatch | { readonly status: 404 } | { readonly status: 405; readonly allow: string[] } {
  const allow: string[] = [];
  for (const route of routes) {
    const params = matchResource(route.resource, path);
    if (!params) continue;
    if (route.method === method) {
      return { route, pathParameters: Object.keys(params).length > 0 ? params : null };
    }
    allow.push(route.method);
  }
  return allow.length > 0 ? { status: 405, allow } : { status: 404 };
}

function singleAndMulti(entries: Iterable<[string, string | string[] | undefined]>) {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  let any = false;
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) continue;
    any = true;
    multi[name] = [...(multi[name] ?? []), ...values];
    single[name] = values[values.length - 1] as string;
  }
  return { single: any ? single : null, multi: any ? multi : null };
}

export interface RequestFacts {
  readonly method: string;
  /** Path and query string as received (`/environments?owner=x`). */
  readonly url: string;
  /** Raw header pairs as received (names in their original case). */
  readonly rawHeaders: readonly string[];
  readonly body: string;
  readonly sourceIp: string;
}

/** The REST API (v1) proxy event API Gateway would send for this request. */
export function toProxyEvent(request: RequestFacts, match: RouteMatch, stage = STAGE): APIGatewayProxyEvent {
  const url = new URL(request.url, 'http://local');
  const headerPairs: [string, string][] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    headerPairs.push([request.rawHeaders[i] as string, request.rawHeaders[i + 1] as string]);
  }
  const headers = singleAndMulti(headerPairs);
  const query = singleAndMulti([...url.searchParams.entries()]);
  const headerOf = (wanted: string) => headerPairs.find(([name]) => name.toLowerCase() === wanted)?.[1];
  const principal = principalOf({ principal: headerOf('x-principal'), authorization: headerOf('authorization') });
  const userAgent = headerPairs.find(([name]) => name.toLowerCase() === 'user-agent')?.[1] ?? null;
  const now = new Date();
  const requestId = randomUUID();
  return {
    resource: match.route.resource,
    path: url.pathname,
    httpMethod: request.method,
    headers: headers.single ?? {},
    multiValueHeaders: headers.multi ?? {},
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: match.pathParameters,
    stageVariables: null,
    body: request.body === '' ? null : request.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      path: `/${stage}${url.pathname}`,
      stage,
      requestId,
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: match.route.resource,
      resourcePath: match.route.resource,
      identity: {
        accessKey: null,
        accountId: '123456789012',
        apiKey: null,
        apiKeyId: null,
        caller: principal,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: principal,
        userAgent,
        userArn: principal,
      },
    },
  };
}

function sendJson(res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  return (
    typeof value === 'object' && value !== null && typeof (value as { statusCode?: unknown }).statusCode === 'number'
  );
}

/** Writes a Lambda proxy result back as the HTTP response (API Gateway's mapping). */
export function writeProxyResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    headers[name.toLowerCase()] = values.map(String);
  }
  const body = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

export interface ApiGatewayAdapterOptions {
  /** The REST API's routes (`apiRoutes` of the synthesized template, local/control-plane-template.ts). */
  readonly routes: readonly ApiRoute[];
  readonly invoke: InvokeRoute;
  /** Answers `GET /health` (200 when it resolves true). */
  readonly health?: () => boolean;
  readonly onError?: (error: unknown, route: ApiRoute) => void;
}

/** An `http.createServer` listener that behaves like the deployed REST API in front of the handlers. */
export function createApiGatewayAdapter(options: ApiGatewayAdapterOptions) {
  const { routes } = options;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const pathname = new URL(req.url ?? '/', 'http://local').pathname.replace(/(.)\/+$/, '$1');
    if (pathname === '/health' && (method === 'GET' || method === 'HEAD')) {
      const up = options.health?.() ?? true;
      return sendJson(res, up ? 200 : 503, { status: up ? 'ok' : 'starting' });
    }
    const match = matchRoute(routes, method, pathname);
    if ('status' in match) {
      req.resume();
      if (match.status === 405) {
        return sendJson(res, 405, errorBody('MethodNotAllowed', `${method} is not allowed on ${pathname}`), {
          allow: match.allow.join(', '),
        });
      }
      return sendJson(res, 404, errorBody('NotFound', `no route for ${method} ${pathname}`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAYLOAD_BYTES) return sendJson(res, 413, errorBody('PayloadTooLarge', 'request body too large'));
      chunks.push(chunk as Buffer);
    }
    const event = toProxyEvent(
      {
        method,
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      },
      match,
    );
    try {
      const result = await options.invoke(match.route, event);
      if (!isProxyResult(result)) throw new Error('the handler returned no proxy result');
      // API Gateway names every request in its answer.
      res.setHeader('x-amzn-RequestId', event.requestContext.requestId);
      writeProxyResult(res, result);
    } catch (error) {
      // API Gateway answers 502 when the integration fails; nothing internal is shown.
      options.onError?.(error, match.route);
      if (!res.headersSent) sendJson(res, 502, errorBody('InternalError', 'Internal server error'));
    }
  };
}
