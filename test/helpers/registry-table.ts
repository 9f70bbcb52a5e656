import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The registry table as control-plane/constructs/registry.ts declares it (key `id`, GSIs `byOwner`,
 * `byStatus` and `timeline`), for tests that run the registry against the emulator.
 */
export function registryTableDefinition(tableName: string): CreateTableCommandInput {
  const index = (IndexName: string, hash: string, range: string) => ({
    IndexName,
    KeySchema: [
      { AttributeName: hash, KeyType: 'HASH' as const },
      { AttributeName: range, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['id', 'owner', 'createdAt', 'status', 'expiresAt', 'environmentId', 'eventKey'].map(
      (AttributeName) => ({
        AttributeName,
        AttributeType: 'S' as const,
      }),
    ),
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      index('byOwner', 'owner', 'createdAt'),
      index('byStatus', 'status', 'expiresAt'),
      index('timeline', 'environmentId', 'eventKey'),
    ],
  };
}
