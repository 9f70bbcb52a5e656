import type { Context } from 'aws-lambda';

/** The Lambda context a handler receives (only what Powertools reads). */
export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'dsenv-test-function',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dsenv-test-function',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/dsenv-test-function',
  logStreamName: '2026/11/25/[$LATEST]abc',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** Environment of the workflow functions (design.md, "Configuration"). */
export function setWorkflowEnvironment(): void {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    TABLE_NAME: 'dsenv-environments',
    BLUEPRINT_BASE_URL: 'https://bucket.s3.us-east-1.amazonaws.com/blueprints/dual-stack-fargate/1.0.0',
    CFN_ROLE_ARN: 'arn:aws:iam::123456789012:role/dsenv-cfn',
    STACK_TIMEOUT_MINUTES: '30',
    SCHEDULE_GROUP: 'dsenv-expiry',
    EXPIRY_WARNING_MINUTES: '30,5',
    MAX_TEARDOWN_ATTEMPTS: '3',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
}
