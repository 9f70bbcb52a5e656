/**
 * Writes the JSON Schema of every lifecycle event into this folder, from functions/schemas/lifecycle-events.ts.
 * Run `npx tsx events/write-schemas.ts` after changing a detail; test/unit/domain/lifecycle-events.test.ts fails
 * while a file and the schema differ.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LIFECYCLE_DETAIL_TYPES,
  lifecycleEventFileName,
  lifecycleEventJsonSchema,
} from '../functions/schemas/lifecycle-events.js';

const here = path.dirname(fileURLToPath(import.meta.url));
for (const detailType of Object.values(LIFECYCLE_DETAIL_TYPES)) {
  const file = path.join(here, lifecycleEventFileName(detailType));
  writeFileSync(file, `${JSON.stringify(lifecycleEventJsonSchema(detailType), null, 2)}\n`);
}
