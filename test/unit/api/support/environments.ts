import type { Environment } from '../../../../functions/schemas/environment.js';
import { ALICE } from './events.js';

/** A stored environment record, as the registry returns it. */
export function storedEnvironment(overrides: Partial<Environment> = {}): Environment {
  const id = overrides.id ?? 'env-aaaaaaaaaaa1';
  return {
    id,
    name: 'demo',
    owner: ALICE,
    status: 'READY',
    source: 'api',
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:05:00.000Z',
    expiresAt: '2026-03-01T14:00:00.000Z',
    stackName: `dsenv-${id}`,
    imageUri: 'public.ecr.aws/nginx/nginx:stable',
    blueprint: { name: 'dual-stack-fargate', version: '1.0.0' },
    outputs: { publicUri: 'http://env-aaaaaaaaaaa1-alb.example' },
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:dsenv-lifecycle:${id}-provision-1`,
    version: 4,
    ...overrides,
  };
}
