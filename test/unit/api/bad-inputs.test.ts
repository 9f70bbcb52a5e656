import './support/api-environment.js';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as createHandler } from '../../../functions/api/create-environment.js';
import { handler as deleteHandler } from '../../../functions/api/delete-environment.js';
import { handler as getHandler } from '../../../functions/api/get-environment.js';
import { handler as listHandler } from '../../../functions/api/list-environments.js';
import { handler as updateHandler } from '../../../functions/api/update-environment.js';
import { apiEvent, type EventOptions, lambdaContext } from './support/events.js';

interface BadInput {
  name: string;
  route: 'create' | 'get' | 'list' | 'delete' | 'update';
  body?: unknown;
  rawBody?: string;
  noBody?: boolean;
  bodyRepeat?: { prefix: string; repeat: string; count: number; suffix: string };
  base64Repeat?: { repeat: string; count: number };
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  id?: string;
  query?: Record<string, string>;
  principal?: string | null;
  expect: { status: number; code: string; messageContains?: string };
}

const cases: BadInput[] = JSON.parse(
  readFileSync(new URL('../../fixtures/api/bad-inputs.json', import.meta.url), 'utf8'),
);

const routes: Record<
  BadInput['route'],
  {
    handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
    method: EventOptions['method'];
    resource: string;
  }
> = {
  create: { handler: createHandler, method: 'POST', resource: '/environments' },
  list: { handler: listHandler, method: 'GET', resource: '/environments' },
  get: { handler: getHandler, method: 'GET', resource: '/environments/{id}' },
  delete: { handler: deleteHandler, method: 'DELETE', resource: '/environments/{id}' },
  update: { handler: updateHandler, method: 'PATCH', resource: '/environments/{id}' },
};

function bodyOf(c: BadInput): unknown {
  if (c.noBody) return undefined;
  if (c.bodyRepeat) return c.bodyRepeat.prefix + c.bodyRepeat.repeat.repeat(c.bodyRepeat.count) + c.bodyRepeat.suffix;
  if (c.base64Repeat) return Buffer.from(c.base64Repeat.repeat.repeat(c.base64Repeat.count)).toString('base64');
  if (c.rawBody !== undefined) return c.rawBody;
  return c.body;
}

// Every client the handlers use is mocked with no behaviour: any call at all would be a failure of validation.
const documentClient = mockClient(DynamoDBDocumentClient);
const dynamoDb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const scheduler = mockClient(SchedulerClient);
const ec2 = mockClient(EC2Client);

describe('bad input is rejected before anything is read, written or started', () => {
  beforeEach(() => {
    for (const mock of [documentClient, dynamoDb, sfn, scheduler, ec2]) mock.reset();
  });

  it('has a broad fixture set', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const route = routes[c.route];
    const body = bodyOf(c);
    const event = apiEvent({
      method: route.method,
      resource: route.resource,
      id: c.id,
      query: c.query,
      principal: c.principal,
      body,
      isBase64Encoded: c.isBase64Encoded,
      headers: c.headers ?? (body === undefined ? {} : { 'Content-Type': 'application/json' }),
    });

    const result = await route.handler(event, lambdaContext);

    const parsed = JSON.parse(result.body);
    const { messageContains, ...expected } = c.expect;
    expect({ status: result.statusCode, code: parsed.error?.code }).toEqual(expected);
    if (messageContains !== undefined) expect(parsed.error.message).toContain(messageContains);
    expect(Object.keys(parsed)).toEqual(['error']);
    expect(parsed.error.message).toEqual(expect.any(String));
    expect(parsed.error.message).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    expect(documentClient.calls()).toHaveLength(0);
    expect(dynamoDb.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(scheduler.calls()).toHaveLength(0);
    expect(ec2.calls()).toHaveLength(0);
  });
});
