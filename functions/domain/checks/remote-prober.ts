import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ProbeResponse } from '../../schemas/workflow.js';
import type { HttpProber } from './http.js';

/**
 * A prober that sends the request as a Lambda Invoke of the IPv6 prober function, which runs `probeHttp` inside
 * the control plane's dual-stack VPC (a Lambda outside a VPC has no IPv6 egress). A function error becomes
 * `ok: false` with the function's message; an SDK failure is thrown (the check fails with it).
 */
export function lambdaProber(lambda: Pick<LambdaClient, 'send'>, functionName: string): HttpProber {
  return async (request) => {
    const started = Date.now();
    const output = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(request)) }),
    );
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    if (output.FunctionError) {
      let message = text;
      try {
        const parsed = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        message = `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage ?? ''}`;
      } catch {
        // keep the raw text
      }
      return {
        ok: false,
        error: `prober ${functionName} failed: ${message.slice(0, 300)}`,
        elapsedMs: Date.now() - started,
      };
    }
    return ProbeResponse.parse(JSON.parse(text));
  };
}
