import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { dynamoDb } from './clients/dynamodb.js';
import { ConflictError, IdempotencyKeyReusedError } from './errors.js';

/** What one idempotent request is identified by: the caller, the Idempotency-Key header and the body it sent. */
export interface IdempotentRequest<B> {
  owner: string;
  key: string;
  body: B;
}

let persistence: DynamoDBPersistenceLayer | undefined;

/**
 * Runs `operation` at most once per (owner, Idempotency-Key) within the record's lifetime (1 hour), with Powertools
 * idempotency persisted in IDEMPOTENCY_TABLE_NAME. A repeat with the same body returns the first result; the same
 * key with a different body → IdempotencyKeyReusedError (422); a repeat while the first is still running →
 * ConflictError (409). A failed operation leaves no record, so it can be retried with the same key.
 */
export async function runIdempotently<B, R>(
  tableName: string,
  request: IdempotentRequest<B>,
  context: Context,
  operation: () => Promise<R>,
): Promise<R> {
  persistence ??= new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: dynamoDb() });
  const config = new IdempotencyConfig({ eventKeyJmesPath: '[owner, key]', payloadValidationJmesPath: 'body' });
  config.registerLambdaContext(context);
  const idempotent = makeIdempotent(async (_request: IdempotentRequest<B>) => operation(), {
    persistenceStore: persistence,
    config,
    keyPrefix: 'create-environment',
  });
  try {
    return await idempotent(request);
  } catch (error) {
    if (error instanceof IdempotencyValidationError) {
      throw new IdempotencyKeyReusedError('this Idempotency-Key was already used with a different request body');
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      throw new ConflictError('a request with this Idempotency-Key is still in progress; retry shortly');
    }
    throw error;
  }
}
