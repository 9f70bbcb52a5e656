import * as z from 'zod/mini';

/**
 * The `service` object of POST /environments: the team's own container, run with the probe as its sidecar.
 * The blueprint receives every field as a parameter (blueprints/dual-stack-fargate/service.yaml), so the bounds
 * here are also the blueprint's: `SERVICE_LIMITS.environment` variable slots and `SERVICE_LIMITS.secrets` secret
 * slots, a command passed as a CloudFormation CommaDelimitedList (no commas inside an argument).
 */
export const SERVICE_LIMITS = {
  environment: 8,
  secrets: 4,
  commandArgs: 16,
  argLength: 256,
  valueLength: 1024,
  /** All variable names and values together, in characters. */
  environmentTotal: 4096,
} as const;

/** The probe's port inside the task; the service must listen on another one (same network namespace). */
export const PROBE_PORT = 3000;
/** Where the probe answers when it is a sidecar; the service's own paths must stay outside it. */
export const PROBE_BASE_PATH = '/_dsenv';

/** Task sizes Fargate accepts (CPU units → memory MiB), for the CPU values the blueprint allows. */
/** The CPU values the blueprint allows. */
export const FARGATE_CPUS = [256, 512, 1024, 2048, 4096] as const;
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};

/** Container image reference: registry/repository[:tag][@digest]. */
export const IMAGE_REFERENCE_PATTERN =
  /^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]{1,128})?(@sha256:[a-f0-9]{64})?$/;

export const HEALTH_PATH_PATTERN = /^\/[A-Za-z0-9._~!$&'()*+;=:@%/-]*$/;
export const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Names the platform sets itself (PORT) or keeps for the runtime (AWS_*, ECS_*, DSENV_*). */
const RESERVED_NAME = /^(PORT|AWS_.*|ECS_.*|DSENV_.*)$/;
export const SECRET_ARN_PATTERN =
  /^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9/_.-]+)$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** Status codes an ALB health check may expect: "200", "200,204", "200-399" (200–499). */
export const HTTP_CODES_PATTERN = /^[2-4]\d\d(-[2-4]\d\d)?(,[2-4]\d\d(-[2-4]\d\d)?)*$/;

const variableName = z.string().check(
  z.regex(VARIABLE_NAME_PATTERN, 'must be a variable name ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)'),
  z.refine((name) => !RESERVED_NAME.test(name), 'is reserved (PORT, AWS_*, ECS_*, DSENV_* are set by the platform)'),
);

const plainValue = z.string().check(
  z.maxLength(SERVICE_LIMITS.valueLength),
  z.refine((v) => !CONTROL_CHARACTERS.test(v), 'must not contain control characters'),
);

/** `"200-399"` → a predicate on status codes. */
export function httpCodeMatcher(codes: string): (status: number) => boolean {
  const ranges = codes.split(',').map((part) => {
    const [from, to] = part.split('-').map(Number);
    return [from ?? 0, to ?? from ?? 0] as const;
  });
  return (status) => ranges.some(([from, to]) => status >= from && status <= to);
}

function validCodes(codes: string): boolean {
  return codes.split(',').every((part) => {
    const [from, to] = part.split('-').map(Number);
    return to === undefined || (from ?? 0) <= to;
  });
}

export const ServiceSpec = z
  .strictObject({
    image: z
      .string()
      .check(
        z.maxLength(512),
        z.regex(IMAGE_REFERENCE_PATTERN, 'service.image must be a container image reference (registry/repository:tag)'),
      ),
    port: z.number().check(
      z.int(),
      z.gte(1),
      z.lte(65535),
      z.refine((p) => p !== PROBE_PORT, `service.port must not be ${PROBE_PORT}: the probe sidecar listens there`),
    ),
    healthPath: z._default(
      z.string().check(
        z.maxLength(1024),
        z.regex(HEALTH_PATH_PATTERN, 'service.healthPath must be a path starting with /'),
        z.refine((p) => !p.startsWith(PROBE_BASE_PATH), `service.healthPath must not be under ${PROBE_BASE_PATH}/`),
      ),
      '/',
    ),
    healthyHttpCodes: z._default(
      z
        .string()
        .check(
          z.maxLength(64),
          z.regex(
            HTTP_CODES_PATTERN,
            'service.healthyHttpCodes must be codes or ranges of 200–499, e.g. "200" or "200-399"',
          ),
          z.refine(validCodes, 'service.healthyHttpCodes has a range that ends before it starts'),
        ),
      '200-399',
    ),
    command: z.optional(
      z
        .array(
          z.string().check(
            z.minLength(1),
            z.maxLength(SERVICE_LIMITS.argLength),
            z.refine(
              (a) => !a.includes(',') && !CONTROL_CHARACTERS.test(a),
              'must not contain commas or control characters',
            ),
          ),
        )
        .check(z.minLength(1), z.maxLength(SERVICE_LIMITS.commandArgs)),
    ),
    environment: z.optional(
      z.record(variableName, plainValue).check(
        z.refine((vars) => Object.keys(vars).length <= SERVICE_LIMITS.environment, {
          message: `service.environment must have at most ${SERVICE_LIMITS.environment} variables`,
        }),
        z.refine(
          (vars) =>
            Object.entries(vars).reduce((n, [k, v]) => n + k.length + v.length, 0) <= SERVICE_LIMITS.environmentTotal,
          { message: `service.environment must be at most ${SERVICE_LIMITS.environmentTotal} characters in all` },
        ),
      ),
    ),
    secrets: z.optional(
      z
        .record(
          variableName,
          z
            .string()
            .check(
              z.maxLength(2048),
              z.regex(SECRET_ARN_PATTERN, 'must be the ARN of a Secrets Manager secret or an SSM parameter'),
            ),
        )
        .check(
          z.refine((s) => Object.keys(s).length <= SERVICE_LIMITS.secrets, {
            message: `service.secrets must have at most ${SERVICE_LIMITS.secrets} entries`,
          }),
        ),
    ),
    cpu: z._default(z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]), 256),
    memory: z._default(z.number().check(z.int(), z.gte(512), z.lte(30720)), 512),
    desiredCount: z._default(z.number().check(z.int(), z.gte(1), z.lte(4)), 1),
  })
  .check(
    z.refine((s) => FARGATE_SIZES[s.cpu]?.includes(s.memory) === true, {
      message: 'service.memory is not a valid Fargate size for service.cpu (e.g. cpu 256: memory 512, 1024 or 2048)',
      path: ['memory'],
    }),
    z.refine((s) => !Object.keys(s.secrets ?? {}).some((name) => name in (s.environment ?? {})), {
      message: 'service.secrets and service.environment must not name the same variable',
      path: ['secrets'],
    }),
  );
export type ServiceSpec = z.infer<typeof ServiceSpec>;
export type ServiceSpecInput = z.input<typeof ServiceSpec>;
