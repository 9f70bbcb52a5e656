import * as z from 'zod/mini';
import { ENVIRONMENT_ID_PATTERN } from '../domain/naming.js';
import { ENVIRONMENT_NAME_PATTERN } from './environment.js';
import { IMAGE_REFERENCE_PATTERN, ServiceSpec } from './service.js';

/** Body of POST /environments. Unknown fields are rejected. TTL bounds are checked against configuration. */
export const CreateEnvironmentBody = z.strictObject({
  name: z.string().check(z.regex(ENVIRONMENT_NAME_PATTERN, 'name must match ^[a-z][a-z0-9-]{0,30}$')),
  ttlMinutes: z.optional(z.number().check(z.int(), z.positive())),
  /** The probe's image (the whole environment without `service`, its sidecar with one). */
  imageUri: z.optional(
    z
      .string()
      .check(z.maxLength(512), z.regex(IMAGE_REFERENCE_PATTERN, 'imageUri must be a container image reference')),
  ),
  /** The team's own container (docs/bring-your-own-service.md). */
  service: z.optional(ServiceSpec),
});
export type CreateEnvironmentBody = z.infer<typeof CreateEnvironmentBody>;

/** Body of PATCH /environments/{id}. */
export const UpdateEnvironmentBody = z.strictObject({
  ttlMinutes: z.number().check(z.int(), z.positive()),
});
export type UpdateEnvironmentBody = z.infer<typeof UpdateEnvironmentBody>;

/** Query of a paginated GET: `?limit=1..100&nextToken=…`. */
export const PageQuery = z.strictObject({
  limit: z.optional(
    z.pipe(
      z.pipe(
        z.string().check(z.regex(/^[0-9]{1,3}$/, 'limit must be an integer between 1 and 100')),
        z.transform(Number),
      ),
      z
        .number()
        .check(z.int(), z.gte(1, 'limit must be between 1 and 100'), z.lte(100, 'limit must be between 1 and 100')),
    ),
  ),
  nextToken: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** Path parameter {id}. */
export const EnvironmentId = z.string().check(z.regex(ENVIRONMENT_ID_PATTERN, 'unknown environment id'));

/** Idempotency-Key header: printable, bounded. */
export const IdempotencyKey = z
  .string()
  .check(z.regex(/^[A-Za-z0-9._:-]{8,128}$/, 'Idempotency-Key must be 8–128 characters of [A-Za-z0-9._:-]'));

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 8 * 1024;
