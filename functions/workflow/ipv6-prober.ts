import { probeHttp } from '../domain/http-probe.js';
import { ProbeRequest } from '../schemas/workflow.js';
import { taskHandler } from '../shared/task-handler.js';
import { checkResolver } from './check-wiring.js';

/**
 * The IPv6 prober: runs one HTTP probe from inside the control plane's dual-stack VPC, where a Lambda has
 * IPv6 egress (the validator, outside any VPC, has none) → `ProbeResponse`.
 */
export const handler = taskHandler(ProbeRequest, (request) => probeHttp(request, { resolver: checkResolver() }));
