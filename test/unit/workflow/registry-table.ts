import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type DocumentClientMock = AwsClientStub<DynamoDBDocumentClient>;

interface UpdateInput {
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * The registry table of a handler test holds `item`: a read answers it, and each conditional update answers with the
 * record changed (the `#f…` fields the update sets, as the record module names them) and its version one higher.
 * Returns the changes of each update, in order.
 */
export function tableHolding<T extends { version: number }>(
  ddbMock: DocumentClientMock,
  item: T,
): Record<string, unknown>[] {
  const updates: Record<string, unknown>[] = [];
  let current: Record<string, unknown> = { ...item };
  ddbMock.on(GetCommand).resolves({ Item: item });
  ddbMock.on(UpdateCommand).callsFake((input: UpdateInput) => {
    const changes: Record<string, unknown> = {};
    for (const [alias, field] of Object.entries(input.ExpressionAttributeNames)) {
      const value = input.ExpressionAttributeValues[`:${alias.slice(1)}`];
      if (alias.startsWith('#f') && value !== undefined) changes[field] = value;
    }
    updates.push(changes);
    current = { ...current, ...changes, version: (current.version as number) + 1 };
    return { Attributes: current };
  });
  return updates;
}
