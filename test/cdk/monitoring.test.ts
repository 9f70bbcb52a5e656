import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLER_ENTRY_METADATA } from '../../control-plane/constructs/house-function.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/telemetry.js';
import { buildControlPlane } from './synth.js';

/**
 * The operations an operator relies on: every alarm watches the metric it claims (namespace, name, dimensions)
 * and notifies the one alarm topic, which is an output; the dashboard shows the lifecycle's custom metrics.
 */
// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped JSON, read by the assertions below
type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> };

let template: Template;
let resources: Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const ref = (type: string, match: (r: Resource) => boolean = () => true) => {
  const found = ofType(type).filter(([, r]) => match(r));
  expect(found, type).toHaveLength(1);
  return { Ref: found[0]?.[0] };
};
const topicRef = () => ref('AWS::SNS::Topic');
const alarmsOn = (namespace: string, metricName: string) =>
  ofType('AWS::CloudWatch::Alarm')
    .map(([, r]) => r.Properties)
    .filter((p) => p.Namespace === namespace && p.MetricName === metricName);

beforeAll(() => {
  const { stack } = buildControlPlane();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

describe('alarms', () => {
  it.each([
    ['ExecutionsFailed', 'failed executions'],
    ['ExecutionsTimedOut', 'timed-out executions'],
  ])('alarms on %s of the provisioning state machine (%s)', (metricName) => {
    const [alarm, ...others] = alarmsOn('AWS/States', metricName);
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({
      Dimensions: [{ Name: 'StateMachineArn', Value: ref('AWS::StepFunctions::StateMachine') }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topicRef()],
    });
  });

  it('alarms on the errors and on the throttles of every function of the control plane', () => {
    const functions = ofType('AWS::Lambda::Function').filter(([, f]) => f.Metadata?.[HANDLER_ENTRY_METADATA]);
    expect(functions.length).toBeGreaterThanOrEqual(13);
    for (const metricName of ['Errors', 'Throttles']) {
      const watched = alarmsOn('AWS/Lambda', metricName).map((p) => {
        expect(p.AlarmActions).toEqual([topicRef()]);
        return (p.Dimensions as { Name: string; Value: { Ref: string } }[]).find((d) => d.Name === 'FunctionName')
          ?.Value.Ref;
      });
      expect(watched.sort(), metricName).toEqual(functions.map(([id]) => id).sort());
    }
  });

  it.each([
    [METRIC.orphansFound, 300, 1],
    [METRIC.environmentsFailed, 3600, 3],
  ])(
    'alarms on the custom metric %s as the functions publish it (period %i s, threshold %i)',
    (name, period, threshold) => {
      const [alarm, ...others] = alarmsOn(METRICS_NAMESPACE, name);
      expect(others).toEqual([]);
      expect(alarm).toMatchObject({
        Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
        Statistic: 'Sum',
        Period: period,
        Threshold: threshold,
        AlarmActions: [topicRef()],
      });
    },
  );

  it("alarms on the API stage's 5xx answers", () => {
    const [alarm] = alarmsOn('AWS/ApiGateway', '5XXError');
    expect(alarm).toMatchObject({
      Dimensions: [
        { Name: 'ApiName', Value: resources[ref('AWS::ApiGateway::RestApi').Ref as string]?.Properties.Name },
        { Name: 'Stage', Value: ref('AWS::ApiGateway::Stage') },
      ],
      AlarmActions: [topicRef()],
    });
  });

  it('never lets missing data raise an alarm (a quiet control plane is a healthy one)', () => {
    for (const [, alarm] of ofType('AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('notifies an encrypted topic that CloudWatch may publish to, given as an output', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
          }),
        ]),
      }),
    });
    template.hasOutput('AlarmTopicArn', { Value: topicRef() });
  });
});

describe('dashboard', () => {
  it('shows every alarm and the lifecycle metrics: time to READY, validation failures by check, teardowns, orphans', () => {
    const [[, dashboard] = []] = ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const name of [
      METRIC.timeToReady,
      METRIC.teardownAttempts,
      METRIC.environmentsFailed,
      METRIC.orphansFound,
      'ExecutionsFailed',
      '5XXError',
    ]) {
      expect(body, name).toContain(name);
    }
    expect(body).toContain(
      `SEARCH('{${METRICS_NAMESPACE},service,check} MetricName=\\\\\\"${METRIC.validationCheckFailed}\\\\\\"'`,
    );
    expect(body).toContain('"type\\":\\"alarm\\"');
  });
});
