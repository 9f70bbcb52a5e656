import * as z from 'zod/mini';
import { deleteEnvironment } from '../domain/environments.js';
import { EnvironmentId } from '../schemas/api.js';
import { apiDeps } from '../shared/api-deps.js';
import { scheduler } from '../shared/clients/scheduler.js';
import { stepFunctions } from '../shared/clients/step-functions.js';
import { httpHandler } from '../shared/http.js';

/** DELETE /environments/{id} — 202 with the environment being torn down (idempotent). */
const schemas = { path: z.object({ id: EnvironmentId }) };

export const handler = httpHandler(schemas, async ({ owner, path }) => {
  const environment = await deleteEnvironment(
    { ...apiDeps(), sfn: stepFunctions(), scheduler: scheduler() },
    owner,
    path.id,
  );
  return { statusCode: 202, body: environment };
});
