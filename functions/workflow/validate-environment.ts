import { validateEnvironment } from '../domain/validation.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { ec2 } from '../shared/clients/ec2.js';
import { ecs } from '../shared/clients/ecs.js';
import { elbv2 } from '../shared/clients/elbv2.js';
import { systemClock } from '../shared/clock.js';
import { getNumberFromEnv } from '../shared/env.js';
import { recordValidation } from '../shared/lifecycle-metrics.js';
import { taskHandler } from '../shared/task-handler.js';
import { checkResolver, probers } from './check-wiring.js';
import { registry } from './wiring.js';

/** Validate: runs the checks (ten, twelve with a service), stores the evidence, READY when all passed → `ValidateResult`. */
export const handler = taskHandler(EnvironmentTaskInput, async ({ environmentId }) => {
  const resolver = checkResolver();
  const result = await validateEnvironment(
    {
      registry: registry(),
      clock: systemClock,
      resolver,
      ...probers(resolver),
      ec2: ec2(),
      elbv2: elbv2(),
      ecs: ecs(),
      settings: { listenerPort: getNumberFromEnv('LISTENER_PORT', 80), checkTimeoutMs: 20_000, probeTimeoutMs: 8_000 },
    },
    environmentId,
  );
  recordValidation(result);
  return result;
});
