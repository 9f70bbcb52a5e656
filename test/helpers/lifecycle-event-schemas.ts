import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPO_ROOT } from '../../control-plane/config.js';
import { type LifecycleDetailType, lifecycleEventFileName } from '../../functions/schemas/lifecycle-events.js';

/** The JSON Schema file of a lifecycle event (events/), as checked in. */
export function lifecycleEventSchemaFile(detailType: LifecycleDetailType): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', lifecycleEventFileName(detailType)), 'utf8'));
}

const ajv = new Ajv2020({ strict: true, formats: { 'date-time': true } });

/** The schema violations of `event` against the checked-in schema of its detail-type (empty when valid). */
export function lifecycleEventViolations(event: { 'detail-type': string; [key: string]: unknown }): string[] {
  const validate = ajv.getSchema(event['detail-type']) ?? compile(event['detail-type'] as LifecycleDetailType);
  return validate(event) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

function compile(detailType: LifecycleDetailType) {
  const schema = lifecycleEventSchemaFile(detailType);
  ajv.addSchema(schema, detailType);
  return ajv.getSchema(detailType) as NonNullable<ReturnType<typeof ajv.getSchema>>;
}
