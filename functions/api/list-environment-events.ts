import * as z from 'zod/mini';
import { listEnvironmentEvents } from '../domain/environments.js';
import { EnvironmentId, PageQuery } from '../schemas/api.js';
import { apiDeps } from '../shared/api-deps.js';
import { httpHandler } from '../shared/http.js';

/** GET /environments/{id}/events[?limit=1..100][&nextToken=…] — 200 with the environment's timeline, oldest first. */
const schemas = { path: z.object({ id: EnvironmentId }), query: PageQuery };

export const handler = httpHandler(schemas, async ({ owner, path, query }) => {
  const page = await listEnvironmentEvents(apiDeps(), owner, path.id, query);
  return { statusCode: 200, body: page };
});
