import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { metrics } from '../../../functions/shared/powertools.js';
import { taskHandler } from '../../../functions/shared/task-handler.js';
import { lambdaContext, setWorkflowEnvironment } from './lambda-context.js';

setWorkflowEnvironment();
const handler = taskHandler(z.object({}), async () => {
  metrics.addMetric('Work', 'Count', 1);
  return 'done';
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('metrics publishing of the standard handler stack', () => {
  it('skips publishing (and its "No application metrics" warning) when POWERTOOLS_METRICS_DISABLED is true (local mode)', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const publish = vi.spyOn(metrics, 'publishStoredMetrics');

    await handler({}, lambdaContext);

    expect(publish).not.toHaveBeenCalled();
  });

  it('publishes the stored metrics after each invocation when metrics are enabled', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const publish = vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);

    await handler({}, lambdaContext);

    expect(publish).toHaveBeenCalledTimes(1);
  });
});
