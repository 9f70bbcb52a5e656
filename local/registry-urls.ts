import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Writes an environment's local URLs into its registry record (`outputs.localUrls`, which the API shows)
 * or removes them. Only that attribute is touched and `version` is left alone, so the handlers' conditional
 * writes are not disturbed; a handler that rewrites `outputs` may drop them, and the next pass puts them back.
 */
export async function publishLocalUrls(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  environmentId: string,
  urls: readonly string[] | undefined,
): Promise<void> {
  const { Item } = await documentClient.send(
    new GetCommand({ TableName: tableName, Key: { id: environmentId }, ProjectionExpression: 'outputs' }),
  );
  if (!Item) return;
  const outputs = (Item.outputs ?? undefined) as { localUrls?: string[] } | undefined;
  const current = outputs?.localUrls;
  if (urls === undefined) {
    if (current === undefined) return;
    await documentClient
      .send(
        new UpdateCommand({
          TableName: tableName,
          Key: { id: environmentId },
          UpdateExpression: 'REMOVE #outputs.#localUrls',
          ConditionExpression: 'attribute_exists(#outputs.#localUrls)',
          ExpressionAttributeNames: { '#outputs': 'outputs', '#localUrls': 'localUrls' },
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      });
    return;
  }
  if (current && current.length === urls.length && current.every((u, i) => u === urls[i])) return;
  await documentClient
    .send(
      outputs === undefined
        ? new UpdateCommand({
            TableName: tableName,
            Key: { id: environmentId },
            UpdateExpression: 'SET #outputs = :outputs',
            ConditionExpression: 'attribute_exists(id) AND attribute_not_exists(#outputs)',
            ExpressionAttributeNames: { '#outputs': 'outputs' },
            ExpressionAttributeValues: { ':outputs': { localUrls: [...urls] } },
          })
        : new UpdateCommand({
            TableName: tableName,
            Key: { id: environmentId },
            UpdateExpression: 'SET #outputs.#localUrls = :urls',
            ConditionExpression: 'attribute_exists(#outputs)',
            ExpressionAttributeNames: { '#outputs': 'outputs', '#localUrls': 'localUrls' },
            ExpressionAttributeValues: { ':urls': [...urls] },
          }),
    )
    .catch((error: Error) => {
      // The record changed shape meanwhile: the next pass tries again.
      if (error.name !== 'ConditionalCheckFailedException') throw error;
    });
}
