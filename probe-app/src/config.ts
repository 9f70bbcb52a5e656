/** The IP family the app's AWS connections must use: 0 lets Node choose (Happy Eyeballs), 4 or 6 forces one. */
export type IpFamily = 0 | 4 | 6;

export interface ProbeConfig {
  /** @default 3000 */
  readonly port: number;
  /** Bind address. @default '::' (both families) */
  readonly host: string;
  /** Whether `host` was chosen by the operator (then a failed bind is not retried on 0.0.0.0). */
  readonly hostExplicit: boolean;
  /** `PROBE_IP_FAMILY`. @default 0 */
  readonly ipFamily: IpFamily;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`; unset lets the SDK's provider chain decide. */
  readonly region?: string;
  /** Endpoint overrides (`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_EC2`, else `AWS_ENDPOINT_URL`). */
  readonly endpoints: { readonly s3?: string; readonly ec2?: string };
  /** Deadline for one AWS call, retries included (`PROBE_TIMEOUT_MS`). @default 5000 */
  readonly timeoutMs: number;
  /** Prefix of every route (`PROBE_BASE_PATH`, e.g. `/_dsenv` when the probe is a service's sidecar). @default '' */
  readonly basePath: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, defaultValue: number, accept: (n: number) => boolean): number {
  const raw = optional(env, name);
  if (raw === undefined) return defaultValue;
  const value = Number(raw);
  if (!Number.isInteger(value) || !accept(value)) throw new Error(`Environment variable ${name} is invalid: ${raw}`);
  return value;
}

function basePath(env: Env): string {
  const raw = optional(env, 'PROBE_BASE_PATH') ?? '';
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(raw)) {
    throw new Error(`Environment variable PROBE_BASE_PATH is invalid: ${raw} (a path like /_dsenv, no trailing slash)`);
  }
  return raw;
}

/** Reads the configuration once, failing fast on a malformed value. */
export function readConfig(env: Env = process.env): ProbeConfig {
  const host = optional(env, 'HOST');
  const shared = optional(env, 'AWS_ENDPOINT_URL');
  return {
    port: integer(env, 'PORT', 3000, (n) => n >= 0 && n <= 65_535),
    host: host ?? '::',
    hostExplicit: host !== undefined,
    ipFamily: integer(env, 'PROBE_IP_FAMILY', 0, (n) => n === 0 || n === 4 || n === 6) as IpFamily,
    region: optional(env, 'AWS_REGION') ?? optional(env, 'AWS_DEFAULT_REGION'),
    endpoints: {
      s3: optional(env, 'AWS_ENDPOINT_URL_S3') ?? shared,
      ec2: optional(env, 'AWS_ENDPOINT_URL_EC2') ?? shared,
    },
    timeoutMs: integer(env, 'PROBE_TIMEOUT_MS', 5000, (n) => n > 0),
    basePath: basePath(env),
  };
}
