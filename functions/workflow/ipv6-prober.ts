import { probeHttp } from '../domain/http-probe.js';
import { probeIpv6 } from '../domain/validation.js';
import { EnvironmentTaskInput } from '../schemas/workflow.js';
import { taskHandler } from '../shared/task-handler.js';
import { checkResolver, checkSettings } from './check-wiring.js';
import { registry } from './wiring.js';

/**
 * ProbeIpv6: from inside the control plane's dual-stack VPC, where a Lambda has IPv6 egress (Validate, outside any
 * VPC, has none), sends the IPv6 requests of Validate's checks → `Ipv6Probes`, which Validate reads.
 */
export const handler = taskHandler(EnvironmentTaskInput, ({ environmentId }) => {
  const resolver = checkResolver();
  return probeIpv6(
    {
      registry: registry(),
      resolver,
      probe: (request) => probeHttp(request, { resolver }),
      settings: checkSettings(),
    },
    environmentId,
  );
});
