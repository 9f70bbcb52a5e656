import { validateEnvironment } from '../domain/validation.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { ec2, ecs, elbv2, systemClock } from '../shared/clients.js';
import { getNumberFromEnv } from '../shared/env.js';
import { recordValidation } from '../shared/lifecycle-metrics.js';
import { taskHandler } from '../shared/task-handler.js';
import { checkResolver, probers, registry } from './wiring.js';

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
