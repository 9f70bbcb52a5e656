import { defaultProvider } from './credentials.js';

/**
 * What every SDK client shares. Each client has its own module in this folder, so a handler's import graph holds
 * exactly the clients it uses (and its bundle nothing else).
 *
 * Endpoint override point: the SDK itself honours `AWS_ENDPOINT_URL` and the service-specific
 * `AWS_ENDPOINT_URL_<SERVICE>` variables (local mode uses them to reach the emulator and its own
 * stand-ins). Dual-stack endpoints follow the SDK's own setting (`AWS_USE_DUALSTACK_ENDPOINT`), except that
 * they are turned off whenever an override is set: the SDK refuses the combination.
 *
 * Credentials come from the environment only (`./credentials.ts`).
 */
export function endpointOverridden(serviceEnvSuffix?: string): boolean {
  if (process.env.AWS_ENDPOINT_URL) return true;
  return serviceEnvSuffix !== undefined && Boolean(process.env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`]);
}

export function clientConfig(serviceEnvSuffix: string) {
  return {
    ...(endpointOverridden(serviceEnvSuffix) ? { useDualstackEndpoint: false } : {}),
    credentials: defaultProvider(),
    maxAttempts: 3,
  };
}

/**
 * A client built once per container, on first use. Each call site marks it `@__PURE__`, so a
 * bundle that imports a module but never calls its client drops the client.
 */
export function lazyClient<T extends object>(build: () => T): () => T {
  let client: T | undefined;
  return () => {
    client ??= build();
    return client;
  };
}
