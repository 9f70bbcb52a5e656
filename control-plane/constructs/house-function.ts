import path from 'node:path';
import { ArnFormat, AssetHashType, DockerImage, Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { type IRole, ManagedPolicy, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  Code,
  type IFunction,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENVIRONMENT_STACK_PREFIX } from '../../functions/domain/naming.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/telemetry.js';
import { REPO_ROOT } from '../config.js';
import { BUNDLE_FILE, bundleFunctionSync } from '../lambda-bundle.js';
import { acknowledgeManagedPolicy, acknowledgeWildcardResources } from './nag-acknowledgements.js';

/**
 * The one Lambda runtime of the control plane. nodejs24.x: accepted by cfn-lint 1.51 (nodejs20.x is
 * rejected there with E2533, its creation being disabled).
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/** CloudFormation metadata key naming the handler's entry file (relative to the repository root). */
export const HANDLER_ENTRY_METADATA = 'dsenv:handler-entry';

/**
 * The function's code: its entry bundled on this machine at synth time. The asset hash is the bundle's (a change
 * anywhere in its import graph redeploys it; nothing else does). There is no Docker fallback.
 */
function houseCode(entry: string): Code {
  return Code.fromAsset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('dsenv-bundles-locally'),
      // Part of the asset's cache key (the local bundler itself is not): without it, every function would get
      // the first function's bundle.
      command: ['bundle', entry],
      local: {
        tryBundle(outputDir) {
          bundleFunctionSync(entry, outputDir);
          return true;
        },
      },
    },
  });
}

export interface HouseFunctionProps {
  /** Handler entry file relative to the repository root, e.g. `functions/workflow/create-stack.ts` (export `handler`). */
  readonly entry: string;
  /** What the function does (shown in the console). */
  readonly description: string;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Environment variables besides the Powertools ones; prefer the `use*` helpers, which also grant.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * VPC to attach the function to.
   * @default - not in a VPC
   */
  readonly vpc?: IVpc;
  /**
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: SubnetSelection;
  /**
   * @default - one security group created by Lambda
   */
  readonly securityGroups?: ISecurityGroup[];
  /**
   * Lets a function in a dual-stack VPC use IPv6 for outbound traffic.
   * @default false
   */
  readonly ipv6AllowedForDualStack?: boolean;
}

/**
 * The house Lambda function: every default of the control plane in one place (runtime, ARM, X-Ray,
 * a log group with retention, ESM bundling with the SDK bundled, Powertools settings), plus helpers
 * that set an environment variable and grant the matching permission in one call.
 *
 * The code is bundled by control-plane/lambda-bundle.ts (the same build `npm run bench` measures), not by
 * `NodejsFunction`: that build needs an esbuild plugin, which `NodejsFunction` cannot take.
 */
export class HouseFunction extends LambdaFunction {
  /** Entry file relative to the repository root. */
  readonly entryPath: string;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    super(scope, id, {
      code: houseCode(props.entry),
      handler: `${path.basename(BUNDLE_FILE, '.mjs')}.handler`,
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups: props.securityGroups,
      ipv6AllowedForDualStack: props.ipv6AllowedForDualStack,
      environment: {
        // The same values as the Powertools constructor arguments (which win): one name in logs, metrics and alarms.
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
    });
    this.entryPath = props.entry;
    logGroup.grantWrite(role);
    if (props.vpc) {
      // Lambda manages the function's network interfaces with the execution role's permissions.
      role.addManagedPolicy(ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
      acknowledgeManagedPolicy(
        role,
        'service-role/AWSLambdaVPCAccessExecutionRole',
        'The AWS-maintained policy for the network interfaces of a function in a VPC; its EC2 actions do not ' +
          'support resource-level permissions.',
      );
    }
    acknowledgeWildcardResources(
      role,
      ['*'],
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource-level permissions; any other ' +
        "'*' resource is granted through allow(), which requires its own reason.",
    );
    (this.node.defaultChild as CfnFunction).addMetadata(HANDLER_ENTRY_METADATA, props.entry);
  }

  /** The execution role (always set: the house function creates it). */
  get executionRole(): IRole {
    return this.role as IRole;
  }

  /** Sets a plain configuration value (no permission involved). */
  withEnv(name: string, value: string | number): this {
    this.addEnvironment(name, String(value));
    return this;
  }

  /** Sets `envName` to the table's name and grants read or read/write on its items (and indexes). */
  useTable(table: ITable, access: 'read' | 'readWrite' = 'readWrite', envName = 'TABLE_NAME'): this {
    this.addEnvironment(envName, table.tableName);
    if (access === 'read') table.grantReadData(this);
    else table.grantReadWriteData(this);
    acknowledgeWildcardResources(
      this.executionRole,
      [`${table.tableArn}/index/*`],
      "Queries the table's global secondary indexes (byOwner, byStatus); the wildcard is the index name.",
    );
    return this;
  }

  /** Sets `IDEMPOTENCY_TABLE_NAME` and grants what Powertools idempotency needs (items only). */
  useIdempotencyTable(table: ITable): this {
    this.addEnvironment('IDEMPOTENCY_TABLE_NAME', table.tableName);
    table.grant(this, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    return this;
  }

  /**
   * Sets `STATE_MACHINE_ARN` and grants StartExecution; with `describe`, also DescribeExecution on
   * the machine's executions (to tell a lost execution from a running one).
   */
  useStateMachine(stateMachine: IStateMachine, options: { describe?: boolean } = {}): this {
    this.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this);
    if (options.describe) {
      stateMachine.grantExecution(this, 'states:DescribeExecution');
      acknowledgeWildcardResources(
        this.executionRole,
        [
          `arn:${Stack.of(this).partition}:states:${Stack.of(this).region}:${Stack.of(this).account}:execution:${Stack.of(this).splitArn(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
        ],
        "Reads the state of this state machine's executions only; the wildcard is the execution name.",
      );
    }
    return this;
  }

  /**
   * Grants SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat on this state machine only, in a policy of its own:
   * the machine invokes its task functions, so the grant must not be something the function depends on (that
   * would be a dependency cycle).
   */
  respondToTasksOf(stateMachine: IStateMachine): this {
    new Policy(this, 'TaskResponses', {
      roles: [this.executionRole],
      statements: [
        new PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: [stateMachine.stateMachineArn],
        }),
      ],
    });
    return this;
  }

  /** Sets `envName` to the role's ARN and grants `iam:PassRole` on exactly that role to `service`. */
  usePassRole(envName: string, role: IRole, service: string): this {
    this.addEnvironment(envName, role.roleArn);
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': service } },
      }),
    );
    return this;
  }

  /** Sets `envName` to the function's name and grants invoking it. */
  useFunction(envName: string, fn: IFunction): this {
    this.addEnvironment(envName, fn.functionName);
    fn.grantInvoke(this);
    acknowledgeWildcardResources(
      this.executionRole,
      [`${fn.functionArn}:*`],
      'Invokes one function; the wildcard covers its versions and aliases (added by grantInvoke).',
    );
    return this;
  }

  /**
   * Adds one least-privilege statement: explicit actions (never `*`); a wildcard in a resource needs
   * `wildcardReason`, recorded as the cdk-nag acknowledgement.
   */
  allow(actions: string[], resources: string[], wildcardReason?: string): this {
    if (actions.some((a) => a.includes('*')))
      throw new Error(`wildcard action in ${this.entryPath}: ${actions.join(', ')}`);
    this.addToRolePolicy(new PolicyStatement({ actions, resources }));
    const wildcards = resources.filter(
      (r) => Stack.of(this).resolve(r) === '*' || JSON.stringify(Stack.of(this).resolve(r)).includes('*'),
    );
    if (wildcards.length > 0) {
      if (!wildcardReason) throw new Error(`wildcard resource without a reason in ${this.entryPath}`);
      acknowledgeWildcardResources(this.executionRole, wildcards, wildcardReason);
    }
    return this;
  }

  /** ARN pattern of the environments' stacks (`dsenv-<id>`), for CloudFormation permissions. */
  static environmentStacksArn(scope: Construct): string {
    const stack = Stack.of(scope);
    return stack.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${ENVIRONMENT_STACK_PREFIX}*/*`,
    });
  }
}
