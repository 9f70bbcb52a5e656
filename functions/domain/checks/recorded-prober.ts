import type { ValidateInput } from '../../schemas/workflow.js';
import type { HttpProber } from './http.js';

const describeFailure = (error: { Error: string; Cause?: string }) =>
  `the IPv6 prober failed: ${error.Error}${error.Cause ? `: ${error.Cause.slice(0, 300)}` : ''}`;

/**
 * A prober that answers with what the IPv6 prober function answered for the same URL (ProbeIpv6, the state before
 * Validate, sends the checks' IPv6 requests from the control plane's dual-stack VPC). A URL it did not
 * probe, or a prober that failed as a whole, answers `ok: false` with the reason: the check fails, never passes.
 */
export function recordedProber(recorded: ValidateInput['ipv6']): HttpProber {
  return async (request) => {
    if (!('probes' in recorded)) return { ok: false, error: describeFailure(recorded), elapsedMs: 0 };
    const probe = recorded.probes.find((p) => p.url === request.url);
    return probe?.response ?? { ok: false, error: `the IPv6 prober did not probe ${request.url}`, elapsedMs: 0 };
  };
}
