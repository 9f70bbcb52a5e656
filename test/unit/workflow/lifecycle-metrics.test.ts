import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  recordFailureRecorded,
  recordFinishedTeardown,
  recordSweep,
  recordTeardownAttempt,
  recordValidation,
} from '../../../functions/shared/lifecycle-metrics.js';
import { metrics } from '../../../functions/shared/powertools.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../../functions/shared/telemetry.js';

/**
 * The lifecycle's custom metrics as CloudWatch receives them (Embedded Metric Format lines): the names, units and
 * dimensions the alarms and the dashboard of control-plane/constructs/monitoring.ts read.
 */
interface EmfLine {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/** Runs `emit` with metrics enabled and returns every EMF line written (stored metrics published at the end). */
function published(emit: () => void): EmfLine[] {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', 'false');
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    emit();
    metrics.publishStoredMetrics();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('CloudWatchMetrics'))
    .map((l) => JSON.parse(l) as EmfLine);
}
const named = (lines: EmfLine[], name: string) =>
  lines.filter((l) => l._aws.CloudWatchMetrics[0]?.Metrics.some((m) => m.Name === name));

afterEach(() => {
  vi.unstubAllEnvs();
  metrics.clearMetrics();
});

describe('lifecycle metrics', () => {
  it('publishes the time to READY in seconds, and one ValidationCheckFailed per failed check with its check name', () => {
    const ready = published(() => recordValidation({ passed: true, failedChecks: [], secondsToReady: 42.5 }));
    const [line] = named(ready, 'TimeToReady');
    expect(line?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['service']],
      Metrics: [{ Name: 'TimeToReady', Unit: 'Seconds' }],
    });
    expect(line).toMatchObject({ service: SERVICE_NAME, TimeToReady: 42.5 });

    const failed = named(
      published(() => recordValidation({ passed: false, failedChecks: ['http-ipv6', 'dns-aaaa'] })),
      'ValidationCheckFailed',
    );
    expect(failed.map((l) => [l.check, l.ValidationCheckFailed, l._aws.CloudWatchMetrics[0]?.Dimensions])).toEqual([
      ['http-ipv6', 1, [['service', 'check']]],
      ['dns-aaaa', 1, [['service', 'check']]],
    ]);
  });

  it('counts teardown attempts, environments ending FAILED (not DELETED) and the orphans a sweep found', () => {
    const lines = published(() => {
      recordTeardownAttempt();
      recordFinishedTeardown({ status: 'DELETED' });
      recordFinishedTeardown({ status: 'FAILED' });
      recordFailureRecorded({ environmentId: 'env-1', stage: 'validate' }, { status: 'VALIDATING' });
      recordFailureRecorded({ environmentId: 'env-1', stage: 'teardown' }, { status: 'FAILED' });
      recordSweep({ scanned: 4, orphanStacksDeleted: 2 }, 2);
    });
    const [line] = lines;
    expect(lines).toHaveLength(1);
    expect(line).toMatchObject({
      TeardownAttempts: 1,
      EnvironmentsFailed: [1, 1],
      OrphansFound: 2,
      'Sweeper.scanned': 4,
      service: SERVICE_NAME,
    });
  });
});
