import { listEnvironments } from '../domain/environments.js';
import { PageQuery } from '../schemas/api.js';
import { apiDeps } from '../shared/api-deps.js';
import { httpHandler } from '../shared/http.js';

/** GET /environments[?limit=1..100][&nextToken=…] — 200 with the caller's environments, newest first. */
const schemas = { query: PageQuery };

export const handler = httpHandler(schemas, async ({ owner, query }) => {
  const page = await listEnvironments(apiDeps(), owner, query);
  return { statusCode: 200, body: page };
});
