import * as z from 'zod/mini';
import { extendEnvironment } from '../domain/environments.js';
import { EnvironmentId, UpdateEnvironmentBody } from '../schemas/api.js';
import { apiDeps } from '../shared/api-deps.js';
import { scheduler } from '../shared/clients/scheduler.js';
import { httpHandler } from '../shared/http.js';

/** PATCH /environments/{id} — 200 with the new expiresAt (now + ttlMinutes, capped at the maximum lifetime). */
const schemas = { path: z.object({ id: EnvironmentId }), body: UpdateEnvironmentBody };

export const handler = httpHandler(schemas, async ({ owner, path, body }) => {
  const environment = await extendEnvironment(
    { ...apiDeps(), scheduler: scheduler() },
    owner,
    path.id,
    body.ttlMinutes,
  );
  return { statusCode: 200, body: environment };
});
