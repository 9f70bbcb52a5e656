import { ACCOUNT, type IamRequest, REGION } from './template-iam.js';

/** One SDK call a handler made: the client class it went through, the command's class name and its input. */
export interface SentCommand {
  readonly client: string;
  readonly command: string;
  // biome-ignore lint/suspicious/noExplicitAny: SDK command inputs of every service
  readonly input: Record<string, any>;
}

/** A stack id CloudFormation would give a stack addressed by name (IAM sees the stack's full ARN). */
const STACK_UUID = '11111111-2222-3333-4444-555555555555';

/** lib-dynamodb's document commands and the DynamoDB actions they are authorised as. */
const DOCUMENT_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Get: 'GetItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'GetItem',
  TransactWrite: 'PutItem',
};

const arnOr = (value: string, arn: (name: string) => string) => (value.startsWith('arn:') ? value : arn(value));
const tableArn = (input: SentCommand['input']) =>
  `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${input.TableName}${input.IndexName ? `/index/${input.IndexName}` : ''}`;
const stackArn = (name: string) =>
  arnOr(name, (n) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${n}/${STACK_UUID}`);

interface Service {
  /** IAM service prefix. */
  readonly prefix: string;
  /** The IAM action name of an SDK operation, when it is not the operation's own name. */
  readonly action?: (operation: string) => string;
  /** The resource the call is authorised against (`*` for actions without resource-level permissions). */
  readonly resource: (operation: string, input: SentCommand['input']) => string;
  /** The role the call passes to the service, if any (needs iam:PassRole, conditioned on the service). */
  readonly passesRole?: (input: SentCommand['input']) => { roleArn: string; toService: string } | undefined;
  /** The condition keys IAM sets for the call (what a statement's Condition may test). */
  readonly context?: (operation: string, input: SentCommand['input']) => Readonly<Record<string, string>>;
}

/** Every client class of functions/shared/clients/. */
export const SERVICES: Record<string, Service> = {
  DynamoDBDocumentClient: {
    prefix: 'dynamodb',
    action: (operation) => DOCUMENT_ACTIONS[operation] ?? `unknown document command ${operation}`,
    resource: (_, input) => tableArn(input),
  },
  DynamoDBClient: { prefix: 'dynamodb', resource: (_, input) => tableArn(input) },
  SFNClient: {
    prefix: 'states',
    resource: (operation, input) => {
      // Task tokens are opaque on AWS; the contract scenarios' tokens end with `@<state machine ARN>` (taskTokenOf),
      // so that answering one is checked against the state machine it belongs to.
      if (operation.startsWith('SendTask')) return String(input.taskToken).split('@')[1] ?? '*';
      return operation === 'StartExecution'
        ? input.stateMachineArn
        : (input.executionArn ?? input.stateMachineArn ?? '*');
    },
  },
  SchedulerClient: {
    prefix: 'scheduler',
    resource: (_, input) =>
      `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${input.GroupName ?? 'default'}/${input.Name}`,
    passesRole: (input) =>
      input.Target?.RoleArn ? { roleArn: input.Target.RoleArn, toService: 'scheduler.amazonaws.com' } : undefined,
  },
  CloudFormationClient: {
    prefix: 'cloudformation',
    resource: (operation, input) => (operation === 'ListStacks' ? '*' : stackArn(input.StackName)),
    passesRole: (input) =>
      input.RoleARN ? { roleArn: input.RoleARN, toService: 'cloudformation.amazonaws.com' } : undefined,
  },
  EC2Client: { prefix: 'ec2', resource: () => '*' },
  ECSClient: {
    prefix: 'ecs',
    resource: (operation, input) =>
      operation === 'DescribeServices'
        ? `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${input.cluster}/${input.services?.[0]}`
        : '*',
  },
  ElasticLoadBalancingV2Client: { prefix: 'elasticloadbalancing', resource: () => '*' },
  ResourceGroupsTaggingAPIClient: { prefix: 'tag', resource: () => '*' },
  LambdaClient: {
    prefix: 'lambda',
    action: (operation) => (operation === 'Invoke' ? 'InvokeFunction' : operation),
    resource: (_, input) => arnOr(input.FunctionName, (n) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${n}`),
  },
  EventBridgeClient: {
    prefix: 'events',
    resource: (_, input) =>
      arnOr(
        String(input.Entries?.[0]?.EventBusName ?? 'default'),
        (n) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${n}`,
      ),
  },
  ServiceCatalogClient: {
    prefix: 'servicecatalog',
    resource: () => '*',
    // Every provisioned product of the fake account is the caller's own account's: accountLevel is `self`.
    context: () => ({ 'servicecatalog:accountLevel': 'self' }),
  },
};

/** The IAM requests one SDK call needs allowed: its own action, and iam:PassRole for a role it hands over. */
export function iamRequestsOf(sent: SentCommand): IamRequest[] {
  const service = SERVICES[sent.client];
  if (service === undefined) throw new Error(`no IAM mapping for client ${sent.client}`);
  const operation = sent.command.replace(/Command$/, '');
  const context = service.context?.(operation, sent.input);
  const requests: IamRequest[] = [
    {
      action: `${service.prefix}:${service.action?.(operation) ?? operation}`,
      resource: service.resource(operation, sent.input),
      ...(context === undefined ? {} : { context }),
    },
  ];
  const passed = service.passesRole?.(sent.input);
  if (passed !== undefined) {
    requests.push({
      action: 'iam:PassRole',
      resource: passed.roleArn,
      context: { 'iam:PassedToService': passed.toService },
    });
  }
  return requests;
}
