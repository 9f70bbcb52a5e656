import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { ZodMiniType as ZodType } from 'zod/mini';
import { MAX_BODY_BYTES } from '../schemas/api.js';
import { correlate } from './correlation.js';
import {
  BadRequestError,
  ControlPlaneError,
  ForbiddenError,
  InputValidationError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from './errors.js';
import { logger, metrics } from './powertools.js';
import { logMetricsUnlessDisabled } from './task-handler.js';
import { METRIC } from './telemetry.js';

/**
 * The one middleware stack every API handler uses: Powertools logger and metrics, then request checks
 * (caller principal, body size, content type, JSON, Zod schemas for body/path/query/headers), then the handler,
 * with every error mapped to `{"error": {"code", "message"}}` in one place.
 */
export interface RouteSchemas {
  body?: ZodType;
  path?: ZodType;
  query?: ZodType;
  headers?: ZodType;
}

type Parsed<S, K extends keyof RouteSchemas> =
  S extends Record<K, infer T> ? (T extends ZodType ? z.output<T> : undefined) : undefined;

export interface ApiRequest<S extends RouteSchemas> {
  /** The caller's IAM principal (API Gateway `requestContext.identity.userArn`). */
  owner: string;
  body: Parsed<S, 'body'>;
  path: Parsed<S, 'path'>;
  query: Parsed<S, 'query'>;
  headers: Parsed<S, 'headers'>;
}

export interface ApiResponse {
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type ApiEvent<S extends RouteSchemas> = APIGatewayProxyEvent & { request: ApiRequest<S> };

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function errorResult(statusCode: number, code: string, message: string): APIGatewayProxyResult {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify({ error: { code, message } }) };
}

function lowerCaseHeaders(headers: APIGatewayProxyEvent['headers'] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a JSON object',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
};

function bound(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const limit = 'maximum' in issue ? issue.maximum : issue.minimum;
  const exclusive = issue.inclusive === false;
  const direction =
    issue.code === 'too_big' ? (exclusive ? 'less than' : 'at most') : exclusive ? 'greater than' : 'at least';
  const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
  return `must be ${direction} ${String(limit)}${unit}`;
}

/** One clear sentence per issue, naming the field: "ttlMinutes must be an integer", "body has unknown field(s): x". */
function describeIssue(issue: z.core.$ZodIssue, where: string, input: unknown): string {
  const field = issue.path.map(String).join('.');
  const subject = field === '' ? where : where === 'body' ? field : `${where} ${field}`;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${subject} has unknown field(s): ${issue.keys.join(', ')}`;
    case 'invalid_type':
      if (valueAt(input, issue.path) === undefined) return `${subject} is required`;
      return `${subject} must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_big':
    case 'too_small':
      return `${subject} ${bound(issue)}`;
    case 'invalid_key':
      return `${subject} is not a valid name: ${issue.issues[0]?.message ?? issue.message}`;
    default:
      return issue.message.startsWith(field) && field !== '' ? issue.message : `${subject}: ${issue.message}`;
  }
}

function validate<T extends ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const messages = result.error.issues.slice(0, 5).map((issue) => describeIssue(issue, where, value));
  throw new InputValidationError(messages.join('; '));
}

function parseBody(event: APIGatewayProxyEvent, headers: Record<string, string>): unknown {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`request body must not exceed ${MAX_BODY_BYTES} bytes`);
  }
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError('Content-Type must be application/json');
  }
  if (bytes.length === 0) throw new BadRequestError('request body is required');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

export function parseRequest<S extends RouteSchemas>(schemas: S, event: APIGatewayProxyEvent): ApiRequest<S> {
  const owner = event.requestContext?.identity?.userArn;
  if (typeof owner !== 'string' || owner.length === 0) {
    throw new ForbiddenError('the request is not signed by an IAM principal');
  }
  const headers = lowerCaseHeaders(event.headers);
  const pick = <T>(schema: ZodType | undefined, value: () => unknown, where: string): T =>
    (schema === undefined ? undefined : validate(schema, value(), where)) as T;
  return {
    owner,
    path: pick(schemas.path, () => event.pathParameters ?? {}, 'path'),
    query: pick(schemas.query, () => event.queryStringParameters ?? {}, 'query'),
    headers: pick(schemas.headers, () => headers, 'header'),
    body: pick(schemas.body, () => parseBody(event, headers), 'body'),
  };
}

/** Maps any error to the one error body; only client errors (< 500) show their message. */
export function errorToResult(error: unknown): APIGatewayProxyResult {
  if (error instanceof ControlPlaneError && error.statusCode < 500) {
    return errorResult(error.statusCode, error.code, error.message);
  }
  if (error instanceof ControlPlaneError && error.statusCode === 503) {
    return errorResult(503, 'ServiceUnavailable', 'The service is temporarily unavailable; retry later.');
  }
  return errorResult(500, 'InternalError', 'An internal error occurred.');
}

function httpRequestAndErrors<S extends RouteSchemas>(
  schemas: S,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  return {
    before: (request) => {
      // First, so that a rejected request is logged with the caller and the environment it was about.
      correlate({
        owner: request.event.requestContext?.identity?.userArn ?? undefined,
        environmentId: request.event.pathParameters?.id,
      });
      (request.event as ApiEvent<S>).request = parseRequest(schemas, request.event);
    },
    onError: (request) => {
      const result = errorToResult(request.error);
      if (result.statusCode >= 500) logger.error('request failed', { error: request.error });
      else logger.info('request rejected', { statusCode: result.statusCode, message: request.error?.message });
      metrics.addMetric(result.statusCode >= 500 ? METRIC.serverErrors : METRIC.clientErrors, 'Count', 1);
      request.response = result;
    },
  };
}

/** Wraps a route's logic in the standard stack. The logic receives the validated request and returns status + body. */
export function httpHandler<S extends RouteSchemas>(
  schemas: S,
  logic: (request: ApiRequest<S>, context: Context) => Promise<ApiResponse>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetricsUnlessDisabled())
    .use(httpRequestAndErrors(schemas))
    .handler(async (event, context): Promise<APIGatewayProxyResult> => {
      const response = await logic((event as ApiEvent<S>).request, context);
      return {
        statusCode: response.statusCode,
        headers: { ...JSON_HEADERS, ...response.headers },
        body: JSON.stringify(response.body),
      };
    });
}
