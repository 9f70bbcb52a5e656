import * as z from 'zod/mini';
import { getEnvironment, toView } from '../domain/environments.js';
import { EnvironmentId } from '../schemas/api.js';
import { apiDeps } from '../shared/api-deps.js';
import { httpHandler } from '../shared/http.js';

/** GET /environments/{id} — 200; 404 when it does not exist or belongs to someone else. */
const schemas = { path: z.object({ id: EnvironmentId }) };

export const handler = httpHandler(schemas, async ({ owner, path }) => {
  const environment = await getEnvironment(apiDeps(), owner, path.id);
  return { statusCode: 200, body: toView(environment) };
});
