import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientConfig, lazyClient } from './client-options.js';

export const dynamoDb = /* @__PURE__ */ lazyClient(() => new DynamoDBClient(clientConfig('DYNAMODB')));
export const documentClient = /* @__PURE__ */ lazyClient(() =>
  DynamoDBDocumentClient.from(dynamoDb(), { marshallOptions: { removeUndefinedValues: true } }),
);
