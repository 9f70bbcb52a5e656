import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  QueryLanguage,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  type TaskStateBase,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ENVIRONMENT_STACK_PREFIX } from '../../functions/domain/ids.js';
import { TERMINAL_STACK_STATUSES } from '../../functions/domain/stack-wait.js';
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
  /** ProbeIpv6's function: the IPv6 prober, in the control plane's dual-stack VPC (`Ipv6Prober`). */
  readonly ipv6Prober: HouseFunction;
  readonly recordFailure: HouseFunction;
  readonly startTeardown: HouseFunction;
  readonly finishTeardown: HouseFunction;
  /** Not a task: the EventBridge rule's target, resuming the stack waits. */
  readonly stackEvent: HouseFunction;
}

export interface ProvisionerProps {
  readonly registry: Registry;
  readonly blueprints: BlueprintStore;
  /** The role CloudFormation assumes for the environments' stacks (the functions may only pass it). */
  readonly cloudFormationRole: IRole;
  /** The function that sends Validate's IPv6 probes from a subnet with IPv6 egress (`Ipv6Prober`). */
  readonly ipv6Prober: HouseFunction;
  /**
   * Seconds a stack wait sleeps without news before it looks at the stack itself (the callback tasks'
   * HeartbeatSeconds): the safety net for a late or lost stack event.
   */
  readonly heartbeatSeconds: number;
  /** CloudFormation's own timeout for a stack creation; bounds the execution time too. */
  readonly stackTimeoutMinutes: number;
  /** DeleteStack attempts before a teardown is declared failed. */
  readonly maxTeardownAttempts: number;
  readonly logRetention: RetentionDays;
}

/** The port of the environments' load balancer listener (the blueprint's), which the HTTP checks probe. */
const LISTENER_PORT = 80;

const STACKS_REASON =
  "Only the environments' stacks (dsenv-env-<id>); the wildcards are the environment id and the stack's unique suffix.";

/** Errors worth retrying on every task: ours (`functions/shared/errors.ts`) and Lambda's own. */
export const RETRYABLE_ERRORS = [
  ...RETRYABLE_ERROR_NAMES,
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.SdkClientException',
];

/** A lost conditional write is retried on fresh state. */
const CONFLICT_RETRY: RetryProps = {
  errors: ['ConflictError'],
  interval: Duration.seconds(1),
  maxAttempts: 3,
  backoffRate: 2,
  jitterStrategy: JitterType.FULL,
};

const TRANSIENT_RETRY: RetryProps = {
  errors: RETRYABLE_ERRORS,
  interval: Duration.seconds(2),
  maxAttempts: 5,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitterStrategy: JitterType.FULL,
};

/** Resources still tagged with the environment after its stack is deleted: FinishTeardown looks again, with backoff. */
const RESOURCES_REMAIN_RETRY: RetryProps = {
  errors: ['ResourcesRemainError'],
  interval: Duration.seconds(30),
  maxAttempts: 5,
  backoffRate: 2,
  maxDelay: Duration.minutes(5),
  jitterStrategy: JitterType.FULL,
};

/** A wait whose event is late goes to the look at the stack (CheckCreate/CheckDelete). */
const CATCH_HEARTBEAT = { errors: ['States.HeartbeatTimeout'], resultPath: JsonPath.DISCARD };
/** A conflict that persists: another execution owns the environment (Superseded). */
const CATCH_CONFLICT = { errors: ['ConflictError'], resultPath: JsonPath.DISCARD };
/** Any other error of a provision or teardown task, stored where the failure recorders read it. */
const CATCH_TO_FAILURE = { errors: ['States.ALL'], resultPath: '$.check.error' };

/** Waiting again after a look at the stack, a bounded number of times; then the Catch records the failure. */
function checkAgain(props: Pick<ProvisionerProps, 'heartbeatSeconds' | 'stackTimeoutMinutes'>): RetryProps {
  return {
    errors: ['States.HeartbeatTimeout'],
    interval: Duration.seconds(1),
    maxAttempts: heartbeatChecks(props),
    backoffRate: 1,
  };
}

/**
 * DELETE_FAILED: DeleteStack again (a new attempt, a new ClientRequestToken); StartTeardown counts the attempts and
 * throws StackOperationFailedError past the maximum.
 */
function deleteAgain(maxTeardownAttempts: number): RetryProps {
  return {
    errors: ['StackDeleteFailedError'],
    interval: Duration.seconds(5),
    maxAttempts: maxTeardownAttempts,
    backoffRate: 2,
    jitterStrategy: JitterType.FULL,
  };
}

/** The states an execution ends in. */
interface TerminalStates {
  readonly ready: Succeed;
  readonly superseded: Succeed;
  readonly tornDown: Succeed;
  readonly teardownFailed: Fail;
}

/**
 * Input of RecordCreateFailure. Every provision task's Catch stores the error at `$.check.error` (a failed stack
 * wait's error is `StackOperationFailedError` with the stack's reason as its cause), so `$.check` is always
 * present; merging it into the state lifts `error` to the top, as `RecordFailureInput` wants. JSONPath
 * `Parameters` cannot name an optional path, hence the intrinsic. The state's own `reason` (why the execution was
 * started, e.g. `sweeper`) is blanked first: it is not why provisioning failed.
 */
const CREATE_FAILURE_INPUT = failureInput('create');

/** Input of RecordTeardownFailure, built the same way (the teardown tasks' Catch stores the error at `$.check.error`). */
const TEARDOWN_FAILURE_INPUT = failureInput('teardown');

function failureInput(stage: 'create' | 'teardown'): string {
  const defaults = `States.StringToJson('\\{"stage":"${stage}","reason":""\\}')`;
  return `States.JsonMerge(States.JsonMerge($, ${defaults}, false), $.check, false)`;
}

/** How often a wait whose event is late may look at the stack before the lifecycle fails. */
export function heartbeatChecks(props: Pick<ProvisionerProps, 'heartbeatSeconds' | 'stackTimeoutMinutes'>): number {
  return Math.ceil((props.stackTimeoutMinutes * 60) / props.heartbeatSeconds) + 1;
}

/**
 * The provisioning state machine: the lifecycle diagram of docs/design.md, state for state (the state names are a
 * contract with local mode). Stack operations are callback tasks (`.waitForTaskToken`): the function stores the
 * task token and starts the operation, and the execution sleeps until the stack's status event resumes it (see
 * `StackEvents`). A wait whose event is late (no answer within `heartbeatSeconds`) goes to CheckCreate/CheckDelete,
 * which look at the stack once and wait again, a bounded number of times. Other tasks return their bare result
 * (`payloadResponseOnly`) under an explicit result path.
 */
export class Provisioner extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly functions: ProvisionerFunctions;
  readonly stackEvents: Rule;

  constructor(scope: Construct, id: string, props: ProvisionerProps) {
    super(scope, id);
    const handlers = this.createFunctions(props);
    this.functions = handlers;
    const route = this.defineLifecycle(handlers, props);

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
    for (const fn of [handlers.createStack, handlers.checkStack, handlers.startTeardown, handlers.stackEvent]) {
      fn.respondToTasksOf(this.stateMachine);
    }
    this.stackEvents = this.routeStackEvents(handlers.stackEvent);
    acknowledgeWildcardResources(
      this.stateMachine.role,
      [handlers.createStack, handlers.checkStack, handlers.ipv6Prober, handlers.validateEnvironment]
        .concat([handlers.recordFailure, handlers.startTeardown, handlers.finishTeardown])
        .map((f) => `${f.functionArn}:*`),
      "Invokes the task functions only; the wildcard covers each function's versions (added by LambdaInvoke).",
    );
    acknowledgeWildcardResources(
      this.stateMachine.role,
      ['*'],
      'X-Ray and CloudWatch Logs delivery actions (tracing, vended logs) have no resource-level permissions.',
    );
  }

  /**
   * CloudFormation's status events of the environments' root stacks, terminal statuses only, to the stack-event
   * function. Nested stacks (`dsenv-env-<id>-<LogicalId>-<suffix>`) emit their own events; the resources filter
   * leaves them out (a root stack's name has no dash after the environment id).
   */
  private routeStackEvents(target: HouseFunction): Rule {
    const stack = Stack.of(this);
    return new Rule(this, 'StackStatusChanges', {
      description: "Resumes the provisioner's stack waits when an environment's root stack finishes an operation",
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        resources: Match.anythingButWildcard(`*:stack/${ENVIRONMENT_STACK_PREFIX}*-*/*`),
        detail: {
          'stack-id': Match.prefix(
            `arn:${stack.partition}:cloudformation:${stack.region}:${stack.account}:stack/${ENVIRONMENT_STACK_PREFIX}`,
          ),
          'status-details': { status: [...TERMINAL_STACK_STATUSES] },
        },
      },
      targets: [new LambdaFunction(target, { retryAttempts: 4, maxEventAge: Duration.hours(1) })],
    });
  }

  /** The states, from Route to the terminal ones (docs/design.md, "The state machine"). */
  private defineLifecycle(handlers: ProvisionerFunctions, props: ProvisionerProps): Choice {
    const ends = this.defineTerminalStates();
    const startTeardown = this.defineTeardown(handlers, props, ends);
    const createStack = this.defineProvisioning(handlers, props, ends, startTeardown);
    return new Choice(this, 'Route', { stateName: 'Route' })
      .when(Condition.stringEquals('$.action', 'provision'), createStack)
      .when(Condition.stringEquals('$.action', 'teardown'), startTeardown);
  }

  /** Where an execution ends. */
  private defineTerminalStates(): TerminalStates {
    return {
      ready: new Succeed(this, 'Ready', { stateName: 'Ready' }),
      superseded: new Succeed(this, 'Superseded', {
        stateName: 'Superseded',
        comment: 'Another execution owns the environment now (deleted while provisioning, or an overlapping teardown).',
      }),
      tornDown: new Succeed(this, 'TornDown', { stateName: 'TornDown' }),
      teardownFailed: new Fail(this, 'TeardownFailed', {
        stateName: 'TeardownFailed',
        error: 'TeardownFailed',
        causePath: '$.check.error.Cause',
      }),
    };
  }

  /** StartTeardown, CheckDelete when its event is late, FinishTeardown; a failure is recorded. Returns the first. */
  private defineTeardown(handlers: ProvisionerFunctions, props: ProvisionerProps, ends: TerminalStates): TaskStateBase {
    const environmentId = JsonPath.stringAt('$.environmentId');
    const recordTeardownFailure = this.failureRecorder(
      'RecordTeardownFailure',
      handlers.recordFailure,
      TEARDOWN_FAILURE_INPUT,
    )
      .addCatch(ends.teardownFailed, { errors: ['States.ALL'], resultPath: '$.failure.error' })
      .next(ends.teardownFailed);

    const startTeardown = this.stackWait('StartTeardown', handlers.startTeardown, { environmentId }, props)
      .addRetry(CONFLICT_RETRY)
      .addRetry(deleteAgain(props.maxTeardownAttempts));
    const checkDelete = this.stackWait(
      'CheckDelete',
      handlers.checkStack,
      { environmentId, operation: 'delete' },
      props,
    )
      .addRetry(CONFLICT_RETRY)
      .addRetry(checkAgain(props))
      .addCatch(startTeardown, { errors: ['StackDeleteFailedError'], resultPath: '$.check.error' });
    const finishTeardown = this.task('FinishTeardown', handlers.finishTeardown, { environmentId }, '$.finish')
      .addRetry(CONFLICT_RETRY)
      .addRetry(RESOURCES_REMAIN_RETRY);
    // Teardowns can overlap (expiry schedule, API DELETE, sweeper): a teardown that finds the environment already
    // settled by another one ends as Superseded.
    startTeardown.addCatch(checkDelete, CATCH_HEARTBEAT);
    for (const teardownTask of [startTeardown, checkDelete, finishTeardown]) {
      teardownTask.addCatch(ends.superseded, CATCH_CONFLICT).addCatch(recordTeardownFailure, CATCH_TO_FAILURE);
    }
    startTeardown.next(finishTeardown);
    checkDelete.next(finishTeardown);
    finishTeardown.next(ends.tornDown);
    return startTeardown;
  }

  /**
   * CreateStack, CheckCreate when its event is late, ProbeIpv6, Validate and Valid?; a failure is recorded and the
   * environment torn down (`startTeardown`). Returns the first.
   */
  private defineProvisioning(
    handlers: ProvisionerFunctions,
    props: ProvisionerProps,
    ends: TerminalStates,
    startTeardown: TaskStateBase,
  ): TaskStateBase {
    const environmentId = JsonPath.stringAt('$.environmentId');
    const recordCreateFailure = this.failureRecorder(
      'RecordCreateFailure',
      handlers.recordFailure,
      CREATE_FAILURE_INPUT,
    )
      .addRetry(CONFLICT_RETRY)
      .addCatch(ends.superseded, CATCH_CONFLICT)
      // The reason could not be stored: still clean up (the environment then ends DELETED, its failure logged).
      .addCatch(startTeardown, { errors: ['States.ALL'], resultPath: '$.failure.error' })
      .next(startTeardown);
    const recordValidationFailure = this.task(
      'RecordValidationFailure',
      handlers.recordFailure,
      { environmentId, stage: 'validate' },
      '$.failure',
    )
      .addRetry(CONFLICT_RETRY)
      .addCatch(ends.superseded, CATCH_CONFLICT)
      .addCatch(startTeardown, { errors: ['States.ALL'], resultPath: '$.failure.error' })
      .next(startTeardown);

    const createStack = this.stackWait('CreateStack', handlers.createStack, { environmentId }, props);
    const checkCreate = this.stackWait(
      'CheckCreate',
      handlers.checkStack,
      { environmentId, operation: 'create' },
      props,
    );
    const validate = this.task(
      'Validate',
      handlers.validateEnvironment,
      { environmentId, ipv6: JsonPath.objectAt('$.ipv6') },
      '$.validation',
    );
    // The IPv6 probes go out from the prober's VPC (a function outside a VPC has no IPv6 egress). A prober that
    // fails as a whole does not end the lifecycle: Validate runs, and its IPv6 checks fail with the prober's error.
    const probeIpv6 = this.task('ProbeIpv6', handlers.ipv6Prober, { environmentId }, '$.ipv6');
    probeIpv6.addCatch(validate, { errors: ['States.ALL'], resultPath: '$.ipv6' }).next(validate);
    checkCreate.addRetry(checkAgain(props));
    createStack.addCatch(checkCreate, CATCH_HEARTBEAT);
    for (const provisionTask of [createStack, checkCreate, validate]) {
      // A lost conditional write is retried on fresh state first: only a conflict that persists (the environment
      // is being deleted) means another execution owns it.
      provisionTask
        .addRetry(CONFLICT_RETRY)
        .addCatch(ends.superseded, CATCH_CONFLICT)
        .addCatch(recordCreateFailure, CATCH_TO_FAILURE);
    }
    const valid = new Choice(this, 'Valid?', { stateName: 'Valid?' })
      .when(Condition.booleanEquals('$.validation.passed', true), ends.ready)
      .otherwise(recordValidationFailure);
    createStack.next(probeIpv6);
    checkCreate.next(probeIpv6);
    validate.next(valid);
    return createStack;
  }

  /** A task that returns its function's bare result under `resultPath`. */
  private task(name: string, fn: IFunction, payload: Record<string, unknown>, resultPath: string): TaskStateBase {
    return new LambdaInvoke(this, name, {
      stateName: name,
      lambdaFunction: fn,
      // Every task learns its execution, for the correlation keys of its logs (functions/shared/correlation.ts).
      payload: TaskInput.fromObject({ ...payload, executionArn: JsonPath.executionId }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    }).addRetry(TRANSIENT_RETRY);
  }

  /**
   * A callback task: the function stores the token and starts the stack operation; the stack's event (or the
   * heartbeat check) resumes it with `CheckStackResult` at `$.check`.
   */
  private stackWait(
    name: string,
    fn: IFunction,
    payload: Record<string, unknown>,
    props: Pick<ProvisionerProps, 'heartbeatSeconds'>,
  ): TaskStateBase {
    return new LambdaInvoke(this, name, {
      stateName: name,
      lambdaFunction: fn,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        ...payload,
        executionArn: JsonPath.executionId,
        taskToken: JsonPath.taskToken,
      }),
      heartbeatTimeout: Timeout.duration(Duration.seconds(props.heartbeatSeconds)),
      retryOnServiceExceptions: false,
      resultPath: '$.check',
    }).addRetry(TRANSIENT_RETRY);
  }

  /** RecordCreateFailure or RecordTeardownFailure: stores the error the Catch put at `$.check.error`. */
  private failureRecorder(name: string, fn: IFunction, input: string): TaskStateBase {
    return new LambdaInvoke(this, name, {
      stateName: name,
      lambdaFunction: fn,
      payload: TaskInput.fromJsonPathAt(input),
      retryOnServiceExceptions: false,
      resultSelector: { 'recorded.$': '$.Payload' },
      resultPath: '$.failure',
    }).addRetry(TRANSIENT_RETRY);
  }

  /** The functions behind the tasks, each with only the configuration and permissions it uses. */
  private createFunctions(props: ProvisionerProps): ProvisionerFunctions {
    const stacksArn = HouseFunction.environmentStacksArn(this);
    return {
      createStack: this.createStackFunction(props, stacksArn),
      checkStack: this.workflowFunction(
        props,
        'CheckStackFunction',
        'check-stack.ts',
        'Looks at a stack whose status event is late',
      )
        .useTable(props.registry.table)
        .allow(['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'], [stacksArn], STACKS_REASON),
      validateEnvironment: this.validateEnvironmentFunction(props),
      ipv6Prober: props.ipv6Prober.useTable(props.registry.table, 'read').withEnv('LISTENER_PORT', LISTENER_PORT),
      recordFailure: this.workflowFunction(
        props,
        'RecordFailureFunction',
        'record-failure.ts',
        'Records why provisioning, validation or teardown failed',
      ).useTable(props.registry.table),
      startTeardown: this.workflowFunction(
        props,
        'StartTeardownFunction',
        'start-teardown.ts',
        'Deletes the environment stack (and its expiry and warning schedules)',
      )
        .useTable(props.registry.table)
        .withEnv('MAX_TEARDOWN_ATTEMPTS', props.maxTeardownAttempts)
        .usePassRole('CFN_ROLE_ARN', props.cloudFormationRole, 'cloudformation.amazonaws.com')
        .allow(['cloudformation:DeleteStack', 'cloudformation:DescribeStacks'], [stacksArn], STACKS_REASON),
      finishTeardown: this.workflowFunction(
        props,
        'FinishTeardownFunction',
        'finish-teardown.ts',
        'Verifies nothing tagged with the environment remains and records the receipt',
      )
        .useTable(props.registry.table)
        .allow(['cloudformation:DescribeStacks'], [stacksArn], STACKS_REASON)
        // The tagging API has no resource-level permissions.
        .allow(['tag:GetResources'], ['*'], 'tag:GetResources does not support resource-level permissions.'),
      stackEvent: this.workflowFunction(
        props,
        'StackEventFunction',
        'stack-event.ts',
        "Resumes the execution waiting on an environment stack's operation",
      )
        .useTable(props.registry.table)
        .allow(['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'], [stacksArn], STACKS_REASON),
    };
  }

  /** A house function whose handler is `functions/workflow/<file>`. */
  private workflowFunction(
    props: Pick<ProvisionerProps, 'logRetention'>,
    id: string,
    file: string,
    description: string,
    timeout = Duration.seconds(30),
  ): HouseFunction {
    return new HouseFunction(this, id, {
      entry: `functions/workflow/${file}`,
      description,
      logRetention: props.logRetention,
      timeout,
    });
  }

  /** CreateStack's function: it creates the stack from the blueprint, with the CloudFormation role. */
  private createStackFunction(props: ProvisionerProps, stacksArn: string): HouseFunction {
    const { registry, blueprints, cloudFormationRole } = props;
    const createStack = this.workflowFunction(
      props,
      'CreateStackFunction',
      'create-stack.ts',
      'Creates the environment stack from the blueprint',
    )
      .useTable(registry.table)
      .withEnv('BLUEPRINT_BASE_URL', blueprints.baseUrl)
      .withEnv('STACK_TIMEOUT_MINUTES', props.stackTimeoutMinutes)
      .usePassRole('CFN_ROLE_ARN', cloudFormationRole, 'cloudformation.amazonaws.com')
      .allow(
        [
          'cloudformation:CreateStack',
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:TagResource',
          // A stack created after its environment moved on (deleted meanwhile) is deleted at once.
          'cloudformation:DeleteStack',
        ],
        [stacksArn],
        STACKS_REASON,
      );
    // CloudFormation reads the parent template (TemplateURL) with the caller's permissions.
    blueprints.grantReadTemplates(createStack);
    blueprints.acknowledgeTemplateRead(createStack.executionRole);
    return createStack;
  }

  /** Validate's function: it probes the environment over IPv4, reads the IPv6 prober's answers, describes what was built. */
  private validateEnvironmentFunction(props: ProvisionerProps): HouseFunction {
    return (
      this.workflowFunction(
        props,
        'ValidateEnvironmentFunction',
        'validate-environment.ts',
        'Proves the environment answers over IPv4 and IPv6 and is built as the blueprint says',
        Duration.minutes(2),
      )
        .useTable(props.registry.table)
        .withEnv('LISTENER_PORT', LISTENER_PORT)
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
        )
    );
  }
}
