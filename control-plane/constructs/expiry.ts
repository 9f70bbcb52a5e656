import { Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENVIRONMENT_STACK_PREFIX } from '../../functions/domain/naming.js';
import { HouseFunction } from './house-function.js';
import type { Registry } from './registry.js';

const SCHEDULES_REASON = "Only the environments' expiry schedules in this group; the wildcard is the environment id.";

/** What a function may do with the expiry schedules (each one an IAM action of EventBridge Scheduler). */
export type ScheduleAction = 'CreateSchedule' | 'UpdateSchedule' | 'GetSchedule' | 'DeleteSchedule';

export interface ExpiryProps {
  readonly registry: Registry;
  /** The state machine the expiry schedules (and the sweeper) start a teardown on. */
  readonly stateMachine: IStateMachine;
  /** Minutes without progress after which the sweeper repairs an environment. */
  readonly stuckAfterMinutes: number;
  readonly logRetention: RetentionDays;
  /** Minutes before expiry at which `Expiring Soon` is announced (those that fit in an environment's TTL). */
  readonly warningMinutes: readonly number[];
  /**
   * How often the sweeper runs.
   * @default Duration.minutes(5)
   */
  readonly sweepEvery?: Duration;
}

/**
 * When an environment's time is up: the Scheduler group holding one `at()` schedule per environment
 * (created by the API), the role those schedules use to start the teardown, and the sweeper that
 * repairs lost executions and catches any missed expiry.
 */
export class Expiry extends Construct {
  readonly scheduleGroup: ScheduleGroup;
  /** Assumed by EventBridge Scheduler to start executions of the state machine. */
  readonly schedulerRole: Role;
  readonly sweeper: HouseFunction;
  /** Invoked by the warning schedules: records `expiring-soon` on a live environment's timeline. */
  readonly warning: HouseFunction;
  private readonly warningMinutes: readonly number[];
  /** The state machine every expiry schedule starts. */
  private readonly stateMachine: IStateMachine;

  constructor(scope: Construct, id: string, props: ExpiryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stateMachine = props.stateMachine;
    this.scheduleGroup = new ScheduleGroup(this, 'Group', {});
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Assumed by EventBridge Scheduler to start the teardown of an expired environment',
    });
    props.stateMachine.grantStartExecution(this.schedulerRole);

    this.warningMinutes = props.warningMinutes;
    this.warning = new HouseFunction(this, 'Warning', {
      entry: 'functions/workflow/expiry-warning.ts',
      description: 'Records that an environment expires soon (published as Environment Expiring Soon)',
      logRetention: props.logRetention,
      timeout: Duration.seconds(15),
    }).useTable(props.registry.table);
    // The function itself, not its versions (grantInvoke would add `<arn>:*`).
    this.schedulerRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.warning.functionArn] }),
    );

    this.sweeper = new HouseFunction(this, 'Sweeper', {
      entry: 'functions/workflow/sweeper.ts',
      description: 'Restarts lost executions and tears down expired environments',
      logRetention: props.logRetention,
      timeout: Duration.minutes(2),
    })
      .useTable(props.registry.table)
      .useStateMachine(props.stateMachine, { describe: true })
      .withEnv('STUCK_AFTER_MINUTES', props.stuckAfterMinutes)
      // Confirms that a stack missing from its listing is really gone before tearing its environment down.
      .allow(
        ['cloudformation:DescribeStacks'],
        [HouseFunction.environmentStacksArn(this)],
        "Only the environments' stacks (dsenv-env-*); the wildcard is the environment id and stack uuid.",
      );

    new Rule(this, 'SweepSchedule', {
      description: 'Runs the sweeper',
      schedule: Schedule.rate(props.sweepEvery ?? Duration.minutes(5)),
      targets: [new LambdaFunction(this.sweeper, { retryAttempts: 2 })],
    });
  }

  /** ARN pattern of the environments' expiry schedules (`dsenv-<id>-expiry`) in the group. */
  get schedulesArn(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.scheduleGroup.scheduleGroupName}/${ENVIRONMENT_STACK_PREFIX}*`,
    });
  }

  /**
   * Lets `fn` create, change or read expiry schedules with exactly `actions`: SCHEDULE_GROUP, and what a schedule's
   * target is made of (STATE_MACHINE_ARN, SCHEDULER_ROLE_ARN with PassRole to Scheduler).
   */
  allowManageSchedules(fn: HouseFunction, actions: readonly ScheduleAction[]): void {
    fn.withEnv('SCHEDULE_GROUP', this.scheduleGroup.scheduleGroupName)
      .withEnv('STATE_MACHINE_ARN', this.stateMachine.stateMachineArn)
      .usePassRole('SCHEDULER_ROLE_ARN', this.schedulerRole, 'scheduler.amazonaws.com')
      .allow(
        actions.map((action) => `scheduler:${action}`),
        [this.schedulesArn],
        SCHEDULES_REASON,
      );
  }

  /**
   * Lets `fn` set and move the `Expiring Soon` warning schedules (EXPIRY_WARNING_MINUTES, WARNING_FUNCTION_ARN),
   * on top of what `allowManageSchedules` gives.
   */
  allowManageWarnings(fn: HouseFunction): void {
    fn.withEnv('EXPIRY_WARNING_MINUTES', this.warningMinutes.join(','))
      .withEnv('WARNING_FUNCTION_ARN', this.warning.functionArn)
      .allow(
        ['scheduler:UpdateSchedule', 'scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
        [this.schedulesArn],
        SCHEDULES_REASON,
      );
  }

  /** Lets `fn` cancel the warning schedules (EXPIRY_WARNING_MINUTES names them). */
  allowCancelWarnings(fn: HouseFunction): void {
    fn.withEnv('EXPIRY_WARNING_MINUTES', this.warningMinutes.join(','));
  }

  /**
   * What the sweeper's repairs need: it recreates lost schedules, and deletes the stacks that have no live record
   * with CloudFormation's role (`cloudFormationRole`, passed as CFN_ROLE_ARN).
   */
  grantSweeperRepairs(cloudFormationRole: IRole): void {
    this.allowManageSchedules(this.sweeper, ['GetSchedule', 'CreateSchedule']);
    this.sweeper
      .usePassRole('CFN_ROLE_ARN', cloudFormationRole, 'cloudformation.amazonaws.com')
      .allow(['cloudformation:ListStacks'], ['*'], 'ListStacks does not support resource-level permissions.')
      .allow(
        ['cloudformation:DeleteStack'],
        [HouseFunction.environmentStacksArn(this)],
        "Only the environments' stacks (dsenv-env-*); the wildcard is the environment id and stack uuid.",
      );
  }

  /** Lets `fn` delete expiry schedules (SCHEDULE_GROUP). */
  allowDeleteSchedules(fn: HouseFunction): void {
    fn.withEnv('SCHEDULE_GROUP', this.scheduleGroup.scheduleGroupName).allow(
      ['scheduler:DeleteSchedule'],
      [this.schedulesArn],
      SCHEDULES_REASON,
    );
  }
}
