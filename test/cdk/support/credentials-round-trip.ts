import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDb } from '../../../functions/shared/clients/dynamodb.js';

/**
 * One DynamoDB call through the house client (functions/shared/clients) and, with `bare`, one through a client
 * given no credentials (as a library builds its own): bundled by control-plane/lambda-bundle.ts or run from source,
 * both must sign with the credentials of the environment, whatever else (a profile) is configured.
 */
export async function handler(endpoint: string, options: { bare?: boolean } = {}) {
  await dynamoDb().send(new ListTablesCommand({}));
  if (options.bare) {
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', maxAttempts: 1 });
    await client.send(new ListTablesCommand({}));
  }
}
