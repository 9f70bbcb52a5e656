import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';

/** The repository root (the folder holding cdk.json). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Name of the cdk.json context key holding the deploy-time configuration. */
export const CONFIG_CONTEXT_KEY = 'dsenv';

const minutes = z.number().int().positive();
const RETENTION_VALUES = new Set<number>(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

/** An IAM principal allowed to call the API: an account root, a user or a role ARN. */
const PrincipalArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)$/, 'must be the ARN of an account root, user or role');

/** A principal a Service Catalog portfolio can be shared with: a user, role or group ARN. */
const CatalogPrincipalArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role|group)\/.+$/, 'must be the ARN of a user, role or group');

/**
 * Deploy-time configuration of the control plane (`cdk.json` → `context.dsenv`). Every field has the
 * default documented in docs/design.md, so a partial context is completed, and a wrong one fails synth.
 */
export const ControlPlaneConfig = z
  .strictObject({
    ttl: z
      .strictObject({
        defaultMinutes: minutes.default(240),
        minMinutes: minutes.default(30),
        maxMinutes: minutes.default(10080),
      })
      .default({ defaultMinutes: 240, minMinutes: 30, maxMinutes: 10080 })
      .refine((t) => t.minMinutes <= t.defaultMinutes && t.defaultMinutes <= t.maxMinutes, {
        message: 'ttl must satisfy minMinutes <= defaultMinutes <= maxMinutes',
      }),
    /** Longest an environment may live in total, extensions included. */
    maxLifetimeMinutes: minutes.default(10080),
    /** Image the environments run when a request names none. @default an image built from probe-app/ */
    probeImage: z.string().min(1).optional(),
    /** Principals allowed to invoke the API. Empty: any principal of the account with IAM permission. */
    allowedPrincipals: z.array(PrincipalArn).default([]),
    /** Principals (users, roles, groups) who may launch the Service Catalog product. Empty: nobody yet. */
    catalogPrincipals: z.array(CatalogPrincipalArn).default([]),
    maxActivePerOwner: z.number().int().positive().default(3),
    /** Largest estimated cost of one environment over its lifetime (USD); costlier requests are refused. */
    maxEstimatedCostUsd: z.number().positive().default(50),
    /** Minutes before expiry at which `Expiring Soon` is announced (those that fit in the TTL). */
    expiryWarningMinutes: z.array(z.number().positive()).max(5).default([30, 5]),
    /** Active environments the region (account) may hold at once. */
    regionCapacity: z.number().int().positive().default(5),
    /**
     * Seconds a stack wait sleeps without a stack event before it looks at the stack itself (the safety net for a
     * late or lost event; above a typical create of 4–6 minutes, so it runs only when an event is late).
     */
    heartbeatSeconds: z.number().int().min(1).max(3600).default(480),
    stackTimeoutMinutes: minutes.max(720).default(30),
    maxTeardownAttempts: z.number().int().positive().max(10).default(3),
    /** An environment whose execution has not progressed for this long is repaired by the sweeper. */
    stuckAfterMinutes: minutes.default(60),
    logRetentionDays: z
      .number()
      .int()
      .refine(
        (d) => RETENTION_VALUES.has(d),
        'logRetentionDays must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, …)',
      )
      .default(30),
    /** Protects the registry table from deletion (turn off for throw-away deployments). */
    registryDeletionProtection: z.boolean().default(true),
    /** What a team's own service may use (docs/bring-your-own-service.md). */
    service: z
      .strictObject({
        /** ECR pull-through cache prefixes (`<account>.dkr.ecr.<region>.amazonaws.com/<rule prefix>`) images may use. */
        pullThroughPrefixes: z
          .array(z.string().regex(/^[a-z0-9.-]+\/[a-z0-9._/-]+[^/]$/, 'must be registry/prefix'))
          .default([]),
        /** ARN prefixes of the Secrets Manager secrets and SSM parameters a service may name. Empty: no secrets. */
        secretPrefixes: z
          .array(
            z
              .string()
              .regex(
                /^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:\d{12}:(secret:|parameter\/)/,
                'must be a secret or parameter ARN prefix',
              ),
          )
          .default([]),
      })
      .default({ pullThroughPrefixes: [], secretPrefixes: [] }),
    apiThrottle: z
      .strictObject({
        rateLimit: z.number().positive().default(10),
        burstLimit: z.number().int().positive().default(20),
      })
      .default({ rateLimit: 10, burstLimit: 20 }),
  })
  .refine((c) => c.ttl.maxMinutes <= c.maxLifetimeMinutes, {
    message: 'ttl.maxMinutes must not exceed maxLifetimeMinutes',
  });
export type ControlPlaneConfig = z.infer<typeof ControlPlaneConfig>;

/** Input shape of the context (every field optional). */
export type ControlPlaneConfigInput = z.input<typeof ControlPlaneConfig>;

/** Parses a raw context value; throws an Error naming every invalid field. */
export function parseConfig(raw: unknown): ControlPlaneConfig {
  const result = ControlPlaneConfig.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${CONFIG_CONTEXT_KEY}.${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid control-plane configuration in cdk.json context:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/** Reads and validates the `dsenv` context of the app the node belongs to. The only reader of that context. */
export function readConfig(node: Node): ControlPlaneConfig {
  return parseConfig(node.tryGetContext(CONFIG_CONTEXT_KEY));
}

/**
 * The context of cdk.json, for apps built in-process (tests, local mode): the CDK CLI passes it to
 * `control-plane/app.ts`, but `new App()` alone does not read cdk.json.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}
