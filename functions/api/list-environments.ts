import * as z from 'zod';
import { listEnvironments } from '../domain/environments.js';
import { apiDeps } from '../shared/api-deps.js';
import { httpHandler } from '../shared/http.js';

/** GET /environments[?limit=1..100][&nextToken=…] — 200 with the caller's environments, newest first. */
const schemas = {
  query: z.strictObject({
    limit: z
      .string()
      .regex(/^[0-9]{1,3}$/, 'limit must be an integer between 1 and 100')
      .transform(Number)
      .pipe(z.number().int().min(1, 'limit must be between 1 and 100').max(100, 'limit must be between 1 and 100'))
      .optional(),
    nextToken: z.string().min(1).max(2048).optional(),
  }),
};

export const handler = httpHandler(schemas, async ({ owner, query }) => {
  const page = await listEnvironments(apiDeps(), owner, query);
  return { statusCode: 200, body: page };
});
