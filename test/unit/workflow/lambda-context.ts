import { lambdaContextFor } from '../../support/index.js';

/** The Lambda context a workflow handler receives. */
export const lambdaContext = lambdaContextFor('dsenv-test-function');

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
