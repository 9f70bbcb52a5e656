import { recordedProber } from '../domain/checks/index.js';
import { probeHttp } from '../domain/http-probe.js';
import { validateEnvironment } from '../domain/validation.js';
import { ValidateInput } from '../schemas/workflow.js';
import { ec2 } from '../shared/clients/ec2.js';
import { ecs } from '../shared/clients/ecs.js';
import { elbv2 } from '../shared/clients/elbv2.js';
import { systemClock } from '../shared/clock.js';
import { recordValidation } from '../shared/lifecycle-metrics.js';
import { taskHandler } from '../shared/task-handler.js';
import { checkResolver, checkSettings } from './check-wiring.js';
import { registry } from './wiring.js';

/**
 * Validate: runs the checks (ten, twelve with a service), stores the evidence, READY when all passed →
 * `ValidateResult`. IPv4 probes go out from here; the IPv6 ones were sent by the IPv6 prober (ProbeIpv6, the step
 * before), whose answers come in the input.
 */
export const handler = taskHandler(ValidateInput, async ({ environmentId, ipv6 }) => {
  const resolver = checkResolver();
  const result = await validateEnvironment(
    {
      registry: registry(),
      clock: systemClock,
      resolver,
      probeIpv4: (request) => probeHttp(request, { resolver }),
      probeIpv6: recordedProber(ipv6),
      ec2: ec2(),
      elbv2: elbv2(),
      ecs: ecs(),
      settings: checkSettings(),
    },
    environmentId,
  );
  recordValidation(result);
  return result;
});
