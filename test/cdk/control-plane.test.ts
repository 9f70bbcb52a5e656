import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_RUNTIME } from '../../control-plane/constructs/house-function.js';
import { buildControlPlane } from './synth.js';

// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped JSON, read by the assertions below
type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

let template: Template;
let resources: Record<string, Resource>;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
/** Every statement of the inline/default policies attached to a role (by logical id). */
function statementsOfRole(roleId: string): Statement[] {
  const inline = (resources[roleId]?.Properties.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
  const attached = ofType('AWS::IAM::Policy')
    .filter(([, p]) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}
const lambdaRoleIds = () =>
  ofType('AWS::Lambda::Function')
    .filter(([, f]) => f.Metadata?.['dsenv:handler-entry'])
    .map(([, f]) => (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);

beforeAll(() => {
  const { stack } = buildControlPlane();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

describe('API', () => {
  it('requires AWS_IAM authorization on every method', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    expect(methods.length).toBe(6);
    for (const [, method] of methods) expect(method.Properties.AuthorizationType).toBe('AWS_IAM');
  });

  it('validates POST and PATCH bodies against models mirroring the handler schemas', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'CreateEnvironmentBody',
      Schema: Match.objectLike({
        required: ['name'],
        additionalProperties: false,
        properties: Match.objectLike({ name: Match.objectLike({ pattern: '^[a-z][a-z0-9-]{0,30}$' }) }),
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'UpdateEnvironmentBody',
      Schema: Match.objectLike({ required: ['ttlMinutes'], additionalProperties: false }),
    });
    for (const verb of ['POST', 'PATCH']) {
      template.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: verb,
        RequestValidatorId: Match.anyValue(),
        RequestModels: { 'application/json': Match.anyValue() },
      });
    }
  });

  it('throttles and access-logs the stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 })]),
      TracingEnabled: true,
    });
  });

  it('has no resource policy by default and restricts invoke to allowedPrincipals when set', () => {
    expect(ofType('AWS::ApiGateway::RestApi')[0]?.[1].Properties.Policy).toBeUndefined();
    const allowed = 'arn:aws:iam::111122223333:role/platform-team';
    const restricted = Template.fromStack(buildControlPlane({ config: { allowedPrincipals: [allowed] } }).stack);
    restricted.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { AWS: allowed }, Action: 'execute-api:Invoke' }),
          Match.objectLike({ Effect: 'Deny', Condition: { ArnNotLike: { 'aws:PrincipalArn': [allowed] } } }),
        ]),
      },
    });
  });
});

describe('Lambda functions', () => {
  it('all run the one runtime on ARM with active tracing and a log group with retention', () => {
    const functions = ofType('AWS::Lambda::Function').filter(([, f]) => f.Metadata?.['dsenv:handler-entry']);
    expect(functions.length).toBe(18);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: LAMBDA_RUNTIME.name,
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
    for (const [, group] of ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('name their handler entry in metadata, one per handler file of the design', () => {
    const entries = ofType('AWS::Lambda::Function')
      .map(([, f]) => f.Metadata?.['dsenv:handler-entry'])
      .filter(Boolean)
      .sort();
    expect(entries).toEqual(
      [
        'functions/api/create-environment.ts',
        'functions/api/delete-environment.ts',
        'functions/api/get-environment.ts',
        'functions/api/list-environment-events.ts',
        'functions/api/list-environments.ts',
        'functions/api/update-environment.ts',
        'functions/workflow/catalog-registration.ts',
        'functions/workflow/check-stack.ts',
        'functions/workflow/create-stack.ts',
        'functions/workflow/expiry-warning.ts',
        'functions/workflow/finish-teardown.ts',
        'functions/workflow/ipv6-prober.ts',
        'functions/workflow/lifecycle-publisher.ts',
        'functions/workflow/record-failure.ts',
        'functions/workflow/stack-event.ts',
        'functions/workflow/start-teardown.ts',
        'functions/workflow/sweeper.ts',
        'functions/workflow/validate-environment.ts',
      ].sort(),
    );
  });

  it('never grant a wildcard action', () => {
    for (const roleId of lambdaRoleIds()) {
      for (const statement of statementsOfRole(roleId)) {
        for (const action of actionsOf(statement)) expect(action, `${roleId}: ${action}`).not.toContain('*');
      }
    }
  });

  it('get only the environment variables they use', () => {
    const envOf = (entry: string) => {
      const fn = ofType('AWS::Lambda::Function').find(([, f]) => f.Metadata?.['dsenv:handler-entry'] === entry);
      return Object.keys(fn?.[1].Properties.Environment?.Variables ?? {}).sort();
    };
    expect(envOf('functions/api/get-environment.ts')).toEqual(
      [
        // No NODE_OPTIONS: source maps stay out of the start-up path (docs/lambda-bundles.md).
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'TABLE_NAME',
      ].sort(),
    );
    expect(envOf('functions/workflow/create-stack.ts')).toEqual(
      expect.arrayContaining(['BLUEPRINT_BASE_URL', 'CFN_ROLE_ARN', 'STACK_TIMEOUT_MINUTES', 'TABLE_NAME']),
    );
    expect(envOf('functions/workflow/create-stack.ts')).not.toContain('STATE_MACHINE_ARN');
    expect(envOf('functions/workflow/validate-environment.ts')).not.toContain('IPV6_PROBER_FUNCTION');
    expect(envOf('functions/workflow/ipv6-prober.ts')).toEqual(expect.arrayContaining(['LISTENER_PORT', 'TABLE_NAME']));
    expect(envOf('functions/api/create-environment.ts')).toEqual(
      expect.arrayContaining(['IDEMPOTENCY_TABLE_NAME', 'SCHEDULER_ROLE_ARN', 'SCHEDULE_GROUP', 'STATE_MACHINE_ARN']),
    );
  });

  it('runs the IPv6 prober as ProbeIpv6, reading the registry only, and Validate without invoking any function', () => {
    const roleOf = (entry: string) => {
      const fn = ofType('AWS::Lambda::Function').find(([, f]) => f.Metadata?.['dsenv:handler-entry'] === entry);
      if (fn === undefined) throw new Error(`no function runs ${entry}`);
      return (fn[1].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    };
    const actions = (entry: string) => statementsOfRole(roleOf(entry)).flatMap(actionsOf);
    expect(actions('functions/workflow/validate-environment.ts').filter((a) => a.startsWith('lambda:'))).toEqual([]);
    const proberTableActions = actions('functions/workflow/ipv6-prober.ts').filter((a) => a.startsWith('dynamodb:'));
    expect(proberTableActions).toContain('dynamodb:GetItem');
    expect(proberTableActions.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
    // The definition's ProbeIpv6 state invokes the prober's function and hands its answers to Validate.
    const [, machine] = ofType('AWS::StepFunctions::StateMachine')[0] as [string, Resource];
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    const proberId = ofType('AWS::Lambda::Function').find(
      ([, f]) => f.Metadata?.['dsenv:handler-entry'] === 'functions/workflow/ipv6-prober.ts',
    )?.[0] as string;
    expect(definition).toMatch(new RegExp(`ProbeIpv6.*${proberId}`));
    expect(definition).toContain('\\"ipv6.$\\":\\"$.ipv6\\"');
  });

  it('lets the IPv6 prober reach DynamoDB through a gateway endpoint (no NAT gateway, no IPv4 egress)', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.dynamodb'])]) }),
    });
  });

  it('runs the IPv6 prober in a dual-stack VPC with IPv6 egress and no NAT gateway', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.objectLike({ Ipv6AllowedForDualStack: true }),
    });
    template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::Route', {
      DestinationIpv6CidrBlock: '::/0',
      EgressOnlyInternetGatewayId: Match.anyValue(),
    });
  });
});

describe('CloudFormation role', () => {
  const blueprintActions = [
    'ec2:CreateVpc',
    'ecs:CreateCluster',
    'elasticloadbalancing:CreateLoadBalancer',
    'iam:CreateRole',
  ];

  it('is assumed by CloudFormation and is the only role holding the blueprint permissions', () => {
    const holders = ofType('AWS::IAM::Role')
      .filter(([id]) => statementsOfRole(id).some((s) => actionsOf(s).some((a) => blueprintActions.includes(a))))
      .map(([id, role]) => ({ id, trust: role.Properties.AssumeRolePolicyDocument.Statement }));
    expect(holders).toHaveLength(1);
    expect(holders[0]?.trust).toEqual([
      expect.objectContaining({ Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
  });

  it('is passed (only to CloudFormation) by the functions that create and delete stacks', () => {
    const cfnRoleId = ofType('AWS::IAM::Role').find(([id]) => id.startsWith('CloudFormationRole'))?.[0];
    const passesCfnRole = (s: Statement) =>
      actionsOf(s).includes('iam:PassRole') && JSON.stringify(s.Resource).includes(`"${cfnRoleId}"`);
    const passers = lambdaRoleIds().filter((roleId) => statementsOfRole(roleId).some(passesCfnRole));
    expect(passers.sort()).toEqual([
      // The sweeper deletes orphan stacks.
      expect.stringMatching(/^ExpirySweeperRole/),
      expect.stringMatching(/^ProvisionerCreateStackFunctionRole/),
      expect.stringMatching(/^ProvisionerStartTeardownFunctionRole/),
    ]);
    for (const roleId of passers) {
      const pass = statementsOfRole(roleId).find(passesCfnRole);
      expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } });
    }
  });
});

describe('registry', () => {
  it('keeps environments on demand, encrypted, with PITR, the two indexes and deletion protection', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: 'byOwner',
          KeySchema: [
            { AttributeName: 'owner', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
        }),
        Match.objectLike({
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'expiresAt', KeyType: 'RANGE' },
          ],
        }),
      ]),
    });
  });

  it('has an idempotency table whose records expire on `expiration`', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
  });
});

describe('state machine', () => {
  it('is a traced Standard machine logging ALL to a /aws/vendedlogs/states/ group, with a timeout', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    const groups = ofType('AWS::Logs::LogGroup')
      .map(([, g]) => g.Properties.LogGroupName)
      .filter(Boolean);
    expect(groups).toEqual([expect.stringMatching(/^\/aws\/vendedlogs\/states\//)]);
    const definition = JSON.stringify(ofType('AWS::StepFunctions::StateMachine')[0]?.[1].Properties.DefinitionString);
    expect(definition).toMatch(/\\"TimeoutSeconds\\":\d+/);
  });

  it("sends the environments' root-stack status events (terminal statuses) to the stack-event function", () => {
    const [[, rule] = []] = ofType('AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
    const pattern = JSON.parse(JSON.stringify(rule?.Properties.EventPattern));
    expect(pattern).toMatchObject({
      source: ['aws.cloudformation'],
      'detail-type': ['CloudFormation Stack Status Change'],
      resources: [{ 'anything-but': { wildcard: '*:stack/dsenv-env-*-*/*' } }],
      detail: {
        'status-details': {
          status: [
            'CREATE_COMPLETE',
            'CREATE_FAILED',
            'ROLLBACK_COMPLETE',
            'ROLLBACK_FAILED',
            'DELETE_COMPLETE',
            'DELETE_FAILED',
          ],
        },
      },
    });
    expect(JSON.stringify(pattern.detail['stack-id'])).toContain(':stack/dsenv-env-');
    const targetId = rule?.Properties.Targets[0].Arn['Fn::GetAtt'][0];
    expect(resources[targetId]?.Metadata?.['dsenv:handler-entry']).toBe('functions/workflow/stack-event.ts');
  });

  it('lets only the functions that resume waits answer task tokens, and only of this state machine', () => {
    const [[machineId] = []] = ofType('AWS::StepFunctions::StateMachine');
    const answering = ofType('AWS::Lambda::Function')
      .filter(([, f]) => f.Metadata?.['dsenv:handler-entry'])
      .filter(([, f]) => {
        const roleId = (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const statements = statementsOfRole(roleId).filter((s) =>
          actionsOf(s).some((a) => a.startsWith('states:SendTask')),
        );
        for (const s of statements) expect(s.Resource).toEqual({ Ref: machineId });
        return statements.length > 0;
      })
      .map(([, f]) => f.Metadata?.['dsenv:handler-entry'])
      .sort();
    expect(answering).toEqual([
      'functions/workflow/check-stack.ts',
      'functions/workflow/create-stack.ts',
      'functions/workflow/stack-event.ts',
      'functions/workflow/start-teardown.ts',
    ]);
  });
});

describe('expiry', () => {
  it('runs the sweeper every 5 minutes and lets Scheduler start executions through its own role', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      }),
    });
  });
});

describe('blueprint store', () => {
  it('deploys the four templates under a versioned prefix of a private, TLS-only, versioned bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: Match.stringLikeRegexp('^dual-stack-fargate/[0-9a-f]{12}/$'),
      Prune: false,
    });
  });
});
