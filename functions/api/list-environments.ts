import * as z from 'zod/mini';
import { listEnvironments } from '../domain/environments.js';
import { apiDeps } from '../shared/api-deps.js';
import { httpHandler } from '../shared/http.js';

/** GET /environments[?limit=1..100][&nextToken=…] — 200 with the caller's environments, newest first. */
const schemas = {
  query: z.strictObject({
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
  }),
};

export const handler = httpHandler(schemas, async ({ owner, query }) => {
  const page = await listEnvironments(apiDeps(), owner, query);
  return { statusCode: 200, body: page };
});
