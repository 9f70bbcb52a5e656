import { Duration, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CHECK_DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../functions/shared/telemetry.js';

export interface MonitoringProps {
  /** The provisioning state machine (failed and timed-out executions). */
  readonly stateMachine: IStateMachine;
  /** Every function of the control plane, by a stable name used in the alarm ids (errors and throttles of each). */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** The API's deployed stage (5xx answers). */
  readonly apiStage: Stage;
  /**
   * Environments ending FAILED within one hour above which the platform team is alerted.
   * @default 3
   */
  readonly failedEnvironmentsPerHour?: number;
}

/** A custom metric of the control plane (functions/shared/telemetry.ts), with the dimension Powertools adds. */
export function controlPlaneMetric(
  metricName: string,
  options: { statistic?: string; period?: Duration; dimensions?: Record<string, string> } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { ...SERVICE_DIMENSION, ...options.dimensions },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
  });
}

/**
 * What an operator needs to learn that the control plane is unwell: one SNS topic every alarm notifies, the alarms
 * (executions failed or timed out, each function's errors and throttles, orphans found by the sweeper, environments
 * ending FAILED, API 5xx), and one dashboard with the lifecycle's metrics beside them.
 */
export class Monitoring extends Construct {
  /** Subscribe the platform team here (email, chat, pager). */
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic = this.createTopic();
    this.addExecutionAlarms(props.stateMachine);
    this.addFunctionAlarms(props.functions);
    this.addLifecycleAlarms(props);
    this.dashboard = this.createDashboard(props);
  }

  /** An encrypted topic CloudWatch may publish to (its key lets CloudWatch encrypt, as the AWS managed key cannot). */
  private createTopic(): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the control-plane alarm notifications',
      enableKeyRotation: true,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    return new Topic(this, 'AlarmTopic', {
      displayName: 'dsenv control-plane alarms',
      masterKey: key,
      enforceSSL: true,
    });
  }

  private alarm(alarmId: string, metric: IMetric, description: string, threshold = 1): Alarm {
    const alarm = new Alarm(this, alarmId, {
      metric,
      alarmDescription: description,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }

  private addExecutionAlarms(stateMachine: IStateMachine): void {
    const period = Duration.minutes(5);
    this.alarm(
      'ExecutionsFailed',
      stateMachine.metricFailed({ period, statistic: 'Sum' }),
      'A provisioning or teardown execution failed: an environment may be left half-built (see the execution).',
    );
    this.alarm(
      'ExecutionsTimedOut',
      stateMachine.metricTimedOut({ period, statistic: 'Sum' }),
      'A provisioning or teardown execution timed out: CloudFormation or a check hung.',
    );
  }

  private addFunctionAlarms(functions: Readonly<Record<string, IFunction>>): void {
    const period = Duration.minutes(5);
    for (const [name, fn] of Object.entries(functions)) {
      this.alarm(
        `${name}Errors`,
        fn.metricErrors({ period, statistic: 'Sum' }),
        `${name} failed (an error the function did not handle).`,
      );
      this.alarm(
        `${name}Throttles`,
        fn.metricThrottles({ period, statistic: 'Sum' }),
        `${name} was throttled: the account's or the function's concurrency is exhausted.`,
      );
    }
  }

  private addLifecycleAlarms(props: MonitoringProps): void {
    this.alarm(
      'OrphansFound',
      controlPlaneMetric(METRIC.orphansFound),
      'The sweeper found stacks without a live record: something created or kept a stack outside the lifecycle.',
    );
    this.alarm(
      'EnvironmentsFailed',
      controlPlaneMetric(METRIC.environmentsFailed, { period: Duration.hours(1) }),
      'Environments end FAILED more often than usual (validation, stack or teardown failures).',
      props.failedEnvironmentsPerHour ?? 3,
    );
    this.alarm(
      'ApiServerErrors',
      props.apiStage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      'The environments API answered 5xx.',
    );
  }

  private createDashboard(props: MonitoringProps): Dashboard {
    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-control-plane`,
      defaultInterval: Duration.hours(6),
    });
    const { stateMachine, apiStage } = props;
    const fns = Object.entries(props.functions);
    const checkFailures = new MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},${Object.keys(SERVICE_DIMENSION).join(',')},${CHECK_DIMENSION}} MetricName="${METRIC.validationCheckFailed}"', 'Sum', 300)`,
      label: 'by check',
      period: Duration.minutes(5),
    });
    dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
      new GraphWidget({
        title: 'Executions',
        left: [
          stateMachine.metricStarted(),
          stateMachine.metricSucceeded(),
          stateMachine.metricFailed(),
          stateMachine.metricTimedOut(),
        ],
      }),
      new GraphWidget({
        title: 'Time to READY (s)',
        left: ['p50', 'p90', 'Maximum'].map((statistic) =>
          controlPlaneMetric(METRIC.timeToReady, { statistic }).with({ label: statistic }),
        ),
      }),
      new GraphWidget({ title: 'Validation failures by check', left: [checkFailures] }),
      new GraphWidget({
        title: 'Teardowns, failures and orphans',
        left: [METRIC.teardownAttempts, METRIC.environmentsFailed, METRIC.orphansFound].map((m) =>
          controlPlaneMetric(m),
        ),
      }),
      new GraphWidget({
        title: 'API',
        left: [apiStage.metricCount(), apiStage.metricClientError(), apiStage.metricServerError()],
        right: [apiStage.metricLatency({ statistic: 'p90' })],
      }),
      new GraphWidget({ title: 'Function errors', left: fns.map(([n, f]) => f.metricErrors().with({ label: n })) }),
      new GraphWidget({
        title: 'Function throttles',
        left: fns.map(([n, f]) => f.metricThrottles().with({ label: n })),
      }),
    );
    return dashboard;
  }
}
