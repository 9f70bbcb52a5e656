import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  QueryLanguage,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RETRYABLE_ERROR_NAMES } from '../../functions/shared/errors.js';
import type { BlueprintStore } from './blueprint-store.js';
import { HouseFunction } from './house-function.js';
import { acknowledgeWildcardResources } from './nag-acknowledgements.js';
import type { Registry } from './registry.js';

/** The Lambda function behind each task of the state machine. */
export interface ProvisionerFunctions {
  readonly createStack: HouseFunction;
  readonly checkStack: HouseFunction;
  readonly validateEnvironment: HouseFunction;
  readonly recordFailure: HouseFunction;
  readonly startTeardown: HouseFunction;
  readonly finishTeardown: HouseFunction;
}

export interface ProvisionerProps {
  readonly registry: Registry;
  readonly blueprints: BlueprintStore;
  /** The role CloudFormation assumes for the environments' stacks (the functions may only pass it). */
  readonly cloudFormationRole: IRole;
  /** Seconds of each Wait state between two stack polls. */
  readonly pollSeconds: number;
  /** CloudFormation's own timeout for a stack creation; bounds the execution time too. */
  readonly stackTimeoutMinutes: number;
  /** DeleteStack attempts before a teardown is declared failed. */
  readonly maxTeardownAttempts: number;
  readonly logRetention: RetentionDays;
}

const STACKS_REASON =
  "Only the environments' stacks (dsenv-env-<id>); the wildcards are the environment id and the stack's unique suffix.";

/** Errors worth retrying on every task: ours (`functions/shared/errors.ts`) and Lambda's own. */
export const RETRYABLE_ERRORS = [
  ...RETRYABLE_ERROR_NAMES,
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.SdkClientException',
];

const TRANSIENT_RETRY: RetryProps = {
  errors: RETRYABLE_ERRORS,
  interval: Duration.seconds(2),
  maxAttempts: 5,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitterStrategy: JitterType.FULL,
};

/**
 * Input of RecordCreateFailure. It is reached from CreateDone? (the check's `reason` in `$.check`)
 * and from the provision tasks' Catch (which stores the error at `$.check.error`), so `$.check` is
 * always present; merging it into the state lifts `reason` or `error` to the top, as
 * `RecordFailureInput` wants, whichever route was taken. JSONPath `Parameters` cannot name an
 * optional path, hence the intrinsic. The state's own `reason` (why the execution was started, e.g.
 * `sweeper`) is blanked first: it is not why provisioning failed.
 */
const CREATE_FAILURE_INPUT = failureInput('create');

/**
 * Input of RecordTeardownFailure, built the same way: the teardown tasks' Catch stores the error at
 * `$.check.error`, so `$.check` is always present, and when the last CheckDelete reported a failed
 * delete its `reason` (the stack events naming the resources that failed to delete) is lifted with
 * the error. Without a failed delete check there is no `reason`, only the error.
 */
const TEARDOWN_FAILURE_INPUT = failureInput('teardown');

function failureInput(stage: 'create' | 'teardown'): string {
  const defaults = `States.StringToJson('\\{"stage":"${stage}","reason":""\\}')`;
  return `States.JsonMerge(States.JsonMerge($, ${defaults}, false), $.check, false)`;
}

/**
 * The provisioning state machine: the lifecycle diagram of docs/design.md, state for state (the
 * state names are a contract with local mode). Every Lambda task returns its bare result
 * (`payloadResponseOnly`) under an explicit result path.
 */
export class Provisioner extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly functions: ProvisionerFunctions;

  constructor(scope: Construct, id: string, props: ProvisionerProps) {
    super(scope, id);
    const handlers = this.createFunctions(props);
    this.functions = handlers;
    const environmentId = JsonPath.stringAt('$.environmentId');
    const poll = WaitTime.duration(Duration.seconds(props.pollSeconds));
    const task = (name: string, fn: IFunction, payload: Record<string, unknown>, resultPath: string) =>
      new LambdaInvoke(this, name, {
        stateName: name,
        lambdaFunction: fn,
        // Every task learns its execution, for the correlation keys of its logs (functions/shared/correlation.ts).
        payload: TaskInput.fromObject({ ...payload, executionArn: JsonPath.executionId }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
      }).addRetry(TRANSIENT_RETRY);

    // ── terminal states ──
    const ready = new Succeed(this, 'Ready', { stateName: 'Ready' });
    const superseded = new Succeed(this, 'Superseded', {
      stateName: 'Superseded',
      comment: 'Another execution owns the environment now (deleted while provisioning, or an overlapping teardown).',
    });
    const tornDown = new Succeed(this, 'TornDown', { stateName: 'TornDown' });
    const teardownFailed = new Fail(this, 'TeardownFailed', {
      stateName: 'TeardownFailed',
      error: 'TeardownFailed',
      causePath: '$.check.error.Cause',
    });

    // ── teardown ──
    const recordTeardownFailure = new LambdaInvoke(this, 'RecordTeardownFailure', {
      stateName: 'RecordTeardownFailure',
      lambdaFunction: handlers.recordFailure,
      payload: TaskInput.fromJsonPathAt(TEARDOWN_FAILURE_INPUT),
      retryOnServiceExceptions: false,
      resultSelector: { 'recorded.$': '$.Payload' },
      resultPath: '$.failure',
    })
      .addRetry(TRANSIENT_RETRY)
      .next(teardownFailed);
    const catchToTeardownFailure = { errors: ['States.ALL'], resultPath: '$.check.error' };

    // Teardowns can overlap (expiry schedule, API DELETE, sweeper): a lost conditional write is retried on fresh
    // state, and a teardown that finds the environment already settled by another one ends as Superseded.
    const conflictRetry = {
      errors: ['ConflictError'],
      interval: Duration.seconds(1),
      maxAttempts: 3,
      backoffRate: 2,
      jitterStrategy: JitterType.FULL,
    };
    const teardownCatchConflict = { errors: ['ConflictError'], resultPath: JsonPath.DISCARD };
    const startTeardown = task('StartTeardown', handlers.startTeardown, { environmentId }, '$.teardown')
      .addRetry(conflictRetry)
      .addCatch(superseded, teardownCatchConflict)
      .addCatch(recordTeardownFailure, catchToTeardownFailure);
    const waitForDelete = new Wait(this, 'WaitForDelete', { stateName: 'WaitForDelete', time: poll });
    const checkDelete = task(
      'CheckDelete',
      handlers.checkStack,
      { environmentId, operation: 'delete' },
      '$.check',
    ).addCatch(recordTeardownFailure, catchToTeardownFailure);
    const finishTeardown = task('FinishTeardown', handlers.finishTeardown, { environmentId }, '$.finish')
      .addRetry(conflictRetry)
      .addRetry({
        errors: ['ResourcesRemainError'],
        interval: Duration.seconds(30),
        maxAttempts: 5,
        backoffRate: 2,
        maxDelay: Duration.minutes(5),
        jitterStrategy: JitterType.FULL,
      })
      .addCatch(superseded, teardownCatchConflict)
      .addCatch(recordTeardownFailure, catchToTeardownFailure);
    const deleteDone = new Choice(this, 'DeleteDone?', { stateName: 'DeleteDone?' })
      .when(Condition.stringEquals('$.check.state', 'IN_PROGRESS'), waitForDelete)
      .when(Condition.stringEquals('$.check.state', 'COMPLETE'), finishTeardown.next(tornDown))
      // FAILED: DeleteStack again; start-teardown counts attempts and throws past the maximum.
      .otherwise(startTeardown);
    startTeardown.next(waitForDelete).next(checkDelete).next(deleteDone);

    // ── provisioning ──
    const catchConflict = { errors: ['ConflictError'], resultPath: JsonPath.DISCARD };
    const catchToCreateFailure = { errors: ['States.ALL'], resultPath: '$.check.error' };

    const recordCreateFailure = new LambdaInvoke(this, 'RecordCreateFailure', {
      stateName: 'RecordCreateFailure',
      lambdaFunction: handlers.recordFailure,
      payload: TaskInput.fromJsonPathAt(CREATE_FAILURE_INPUT),
      retryOnServiceExceptions: false,
      resultSelector: { 'recorded.$': '$.Payload' },
      resultPath: '$.failure',
    })
      .addRetry(TRANSIENT_RETRY)
      .addRetry(conflictRetry)
      .addCatch(superseded, catchConflict)
      .next(startTeardown);
    const recordValidationFailure = task(
      'RecordValidationFailure',
      handlers.recordFailure,
      { environmentId, stage: 'validate' },
      '$.failure',
    )
      .addRetry(conflictRetry)
      .addCatch(superseded, catchConflict)
      .next(startTeardown);

    const createStack = task('CreateStack', handlers.createStack, { environmentId }, '$.stack');
    const waitForCreate = new Wait(this, 'WaitForCreate', { stateName: 'WaitForCreate', time: poll });
    const checkCreate = task('CheckCreate', handlers.checkStack, { environmentId, operation: 'create' }, '$.check');
    const validate = task('Validate', handlers.validateEnvironment, { environmentId }, '$.validation');
    for (const provisionTask of [createStack, checkCreate, validate]) {
      // A lost conditional write is retried on fresh state first: only a conflict that persists (the environment
      // is being deleted) means another execution owns it.
      provisionTask
        .addRetry(conflictRetry)
        .addCatch(superseded, catchConflict)
        .addCatch(recordCreateFailure, catchToCreateFailure);
    }
    const valid = new Choice(this, 'Valid?', { stateName: 'Valid?' })
      .when(Condition.booleanEquals('$.validation.passed', true), ready)
      .otherwise(recordValidationFailure);
    const createDone = new Choice(this, 'CreateDone?', { stateName: 'CreateDone?' })
      .when(Condition.stringEquals('$.check.state', 'IN_PROGRESS'), waitForCreate)
      .when(Condition.stringEquals('$.check.state', 'COMPLETE'), validate.next(valid))
      // FAILED (the check's reason is in $.check.reason)
      .otherwise(recordCreateFailure);
    createStack.next(waitForCreate).next(checkCreate).next(createDone);

    const route = new Choice(this, 'Route', { stateName: 'Route' })
      .when(Condition.stringEquals('$.action', 'provision'), createStack)
      .when(Condition.stringEquals('$.action', 'teardown'), startTeardown);

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-provisioner`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      queryLanguage: QueryLanguage.JSON_PATH,
      comment: 'Provisions, validates and tears down one dual-stack environment (docs/design.md)',
      definitionBody: DefinitionBody.fromChainable(route),
      tracingEnabled: true,
      timeout: Duration.minutes(props.stackTimeoutMinutes * 2 + 30),
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeWildcardResources(
      this.stateMachine.role,
      Object.values(handlers).map((f) => `${f.functionArn}:*`),
      "Invokes the task functions only; the wildcard covers each function's versions (added by LambdaInvoke).",
    );
    acknowledgeWildcardResources(
      this.stateMachine.role,
      ['*'],
      'X-Ray and CloudWatch Logs delivery actions (tracing, vended logs) have no resource-level permissions.',
    );
  }

  /** The functions behind the tasks, each with only the configuration and permissions it uses. */
  private createFunctions(props: ProvisionerProps): ProvisionerFunctions {
    const { registry, blueprints, cloudFormationRole, logRetention } = props;
    const stacksArn = HouseFunction.environmentStacksArn(this);
    const fn = (id: string, file: string, description: string, timeout = Duration.seconds(30)) =>
      new HouseFunction(this, id, { entry: `functions/workflow/${file}`, description, logRetention, timeout });

    const createStack = fn('CreateStackFunction', 'create-stack.ts', 'Creates the environment stack from the blueprint')
      .useTable(registry.table)
      .withEnv('BLUEPRINT_BASE_URL', blueprints.baseUrl)
      .withEnv('STACK_TIMEOUT_MINUTES', props.stackTimeoutMinutes)
      .usePassRole('CFN_ROLE_ARN', cloudFormationRole, 'cloudformation.amazonaws.com')
      .allow(
        ['cloudformation:CreateStack', 'cloudformation:DescribeStacks', 'cloudformation:TagResource'],
        [stacksArn],
        STACKS_REASON,
      );
    // CloudFormation reads the parent template (TemplateURL) with the caller's permissions.
    blueprints.grantReadTemplates(createStack);
    blueprints.acknowledgeTemplateRead(createStack.executionRole);

    const checkStack = fn('CheckStackFunction', 'check-stack.ts', 'Reports the progress of a stack operation')
      .useTable(registry.table)
      .allow(['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'], [stacksArn], STACKS_REASON);

    const validateEnvironment = fn(
      'ValidateEnvironmentFunction',
      'validate-environment.ts',
      'Proves the environment answers over IPv4 and IPv6 and is built as the blueprint says',
      Duration.minutes(2),
    )
      .useTable(registry.table)
      .withEnv('LISTENER_PORT', 80)
      // EC2 and ELB describe calls do not support resource-level permissions.
      .allow(
        ['ec2:DescribeVpcs', 'ec2:DescribeRouteTables', 'elasticloadbalancing:DescribeLoadBalancers'],
        ['*'],
        'EC2 and ELB describe calls do not support resource-level permissions.',
      )
      // The blueprint names an environment's cluster after the environment (env-<id>).
      .allow(
        ['ecs:DescribeServices'],
        [Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: 'env-*/*' })],
        "Only services of the environments' clusters; the wildcards are the environment id and the service name.",
      );

    const recordFailure = fn(
      'RecordFailureFunction',
      'record-failure.ts',
      'Records why provisioning, validation or teardown failed',
    ).useTable(registry.table);

    const startTeardown = fn(
      'StartTeardownFunction',
      'start-teardown.ts',
      'Deletes the environment stack (and its expiry schedule)',
    )
      .useTable(registry.table)
      .withEnv('MAX_TEARDOWN_ATTEMPTS', props.maxTeardownAttempts)
      .usePassRole('CFN_ROLE_ARN', cloudFormationRole, 'cloudformation.amazonaws.com')
      .allow(['cloudformation:DeleteStack', 'cloudformation:DescribeStacks'], [stacksArn], STACKS_REASON);

    const finishTeardown = fn(
      'FinishTeardownFunction',
      'finish-teardown.ts',
      'Verifies nothing tagged with the environment remains and records the receipt',
    )
      .useTable(registry.table)
      .allow(['cloudformation:DescribeStacks'], [stacksArn], STACKS_REASON)
      // The tagging API has no resource-level permissions.
      .allow(['tag:GetResources'], ['*'], 'tag:GetResources does not support resource-level permissions.');

    return { createStack, checkStack, validateEnvironment, recordFailure, startTeardown, finishTeardown };
  }
}
