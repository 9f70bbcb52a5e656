import * as z from 'zod/mini';
import { createEnvironment } from '../domain/environments.js';
import { CreateEnvironmentBody, IdempotencyKey } from '../schemas/api.js';
import { httpHandler } from '../shared/http.js';
import { lifecycleDeps } from '../shared/lifecycle-deps.js';

/**
 * POST /environments — 202 with the new environment (CREATING) and its Location. Idempotency (Powertools, with its
 * JMESPath engine) loads only for a request that sends an Idempotency-Key: the others never pay for it at start.
 */
const schemas = {
  body: CreateEnvironmentBody,
  headers: z.object({ 'idempotency-key': z.optional(IdempotencyKey) }),
};

export const handler = httpHandler(schemas, async ({ owner, body, headers }, context) => {
  const deps = lifecycleDeps();
  const key = headers['idempotency-key'];
  const create = () => createEnvironment(deps, { owner, body });
  const environment =
    key === undefined
      ? await create()
      : await (await import('../shared/idempotency.js')).runIdempotently(
          deps.config.idempotencyTableName,
          { owner, key, body },
          context,
          create,
        );
  return { statusCode: 202, body: environment, headers: { Location: `/environments/${environment.id}` } };
});
