import * as z from 'zod';
import { ENVIRONMENT_NAME_PATTERN } from './environment.js';

/** Container image reference: registry/repository[:tag][@digest]. */
const IMAGE_URI_PATTERN =
  /^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]{1,128})?(@sha256:[a-f0-9]{64})?$/;

/** Body of POST /environments. Unknown fields are rejected. TTL bounds are checked against configuration. */
export const CreateEnvironmentBody = z.strictObject({
  name: z.string().regex(ENVIRONMENT_NAME_PATTERN, 'name must match ^[a-z][a-z0-9-]{0,30}$'),
  ttlMinutes: z.number().int().positive().optional(),
  imageUri: z.string().max(512).regex(IMAGE_URI_PATTERN, 'imageUri must be a container image reference').optional(),
});
export type CreateEnvironmentBody = z.infer<typeof CreateEnvironmentBody>;

/** Body of PATCH /environments/{id}. */
export const UpdateEnvironmentBody = z.strictObject({
  ttlMinutes: z.number().int().positive(),
});
export type UpdateEnvironmentBody = z.infer<typeof UpdateEnvironmentBody>;

/** Path parameter {id}. */
export const EnvironmentId = z.string().regex(/^env-[a-z0-9]{12}$/, 'unknown environment id');

/** Idempotency-Key header: printable, bounded. */
export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/, 'Idempotency-Key must be 8–128 characters of [A-Za-z0-9._:-]');

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 8 * 1024;
