import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { quotedInventory } from '../../../../blueprints/blueprint-inventory.js';
import { loadBlueprint } from '../../../../blueprints/template-loader.js';
import { lambdaContextFor } from '../../../support/index.js';

export const ALICE = 'arn:aws:iam::123456789012:user/alice';
export const BOB = 'arn:aws:iam::123456789012:user/bob';

export interface EventOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  resource: string;
  id?: string;
  /** `null` sends no principal at all. */
  principal?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  isBase64Encoded?: boolean;
}

/** An API Gateway REST (AWS_IAM auth) proxy event, as the real integration delivers it. */
export function apiEvent(options: EventOptions): APIGatewayProxyEvent {
  const hasBody = options.body !== undefined;
  const headers: Record<string, string> = options.headers ?? (hasBody ? { 'Content-Type': 'application/json' } : {});
  const principal = options.principal === undefined ? ALICE : options.principal;
  const path = options.id === undefined ? '/environments' : `/environments/${options.id}`;
  return {
    resource: options.resource,
    path,
    httpMethod: options.method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: options.id === undefined ? null : { id: options.id },
    stageVariables: null,
    body: hasBody ? (typeof options.body === 'string' ? options.body : JSON.stringify(options.body)) : null,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: options.method,
      path,
      stage: 'v1',
      requestId: 'request-1',
      requestTimeEpoch: 0,
      resourceId: 'res',
      resourcePath: options.resource,
      identity: {
        accessKey: null,
        accountId: '123456789012',
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'test',
        // API Gateway types this as string | null; null means "not signed by an IAM principal".
        userArn: principal,
      },
    },
  };
}

export const lambdaContext = lambdaContextFor('api', {
  awsRequestId: 'request-1',
  callbackWaitsForEmptyEventLoop: false,
  logStreamName: 'stream',
});

export interface ParsedResult {
  statusCode: number;
  headers: Record<string, unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary response JSON
  body: any;
}

export function parseResult(result: APIGatewayProxyResult): ParsedResult {
  return { statusCode: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body) };
}

/** The variables the API handlers read (docs/design.md), with the AWS defaults. */
export const API_ENVIRONMENT: Record<string, string> = {
  TABLE_NAME: 'environments',
  IDEMPOTENCY_TABLE_NAME: 'idempotency',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:dsenv-lifecycle',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/dsenv-scheduler',
  SCHEDULE_GROUP: 'dsenv',
  BLUEPRINT_NAME: 'dual-stack-fargate',
  BLUEPRINT_VERSION: '1.0.0',
  DEFAULT_IMAGE_URI: 'public.ecr.aws/nginx/nginx:stable',
  DEFAULT_TTL_MINUTES: '240',
  MIN_TTL_MINUTES: '30',
  MAX_TTL_MINUTES: '10080',
  MAX_LIFETIME_MINUTES: '10080',
  MAX_ACTIVE_PER_OWNER: '3',
  REGION_CAPACITY: '5',
  SERVICE_PULL_THROUGH_PREFIXES: '123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub',
  SERVICE_SECRET_PREFIXES:
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:dsenv/,arn:aws:ssm:us-east-1:123456789012:parameter/dsenv/',
  COST_INVENTORY: JSON.stringify(quotedInventory(loadBlueprint())),
  MAX_ESTIMATED_COST_USD: '50',
  EXPIRY_WARNING_MINUTES: '30,5',
  WARNING_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:dsenv-expiry-warning',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};
