import { CfnParameter, type Stack, Validations } from 'aws-cdk-lib';
import {
  FARGATE_CPUS,
  HEALTH_PATH_PATTERN,
  HTTP_CODES_PATTERN,
  IMAGE_REFERENCE_PATTERN,
  SECRET_ARN_PATTERN,
  SERVICE_LIMITS,
  VARIABLE_NAME_PATTERN,
} from '../../functions/schemas/service.js';

/** `^…$` of a pattern, also accepting the empty value (an unused optional parameter). */
const optional = (pattern: RegExp) => `^(${pattern.source.replace(/^\^/, '').replace(/\$$/, '')})?$`;

/**
 * The service fields as parameters of the Service Catalog product, with the blueprint's names (ServiceImage,
 * ServicePort, …, ServiceEnv1Name/Value, ServiceSecret1Name/Arn, ContainerCpu, ContainerMemory, DesiredCount) and
 * the request schema's constraints (functions/schemas/service.ts), so the catalog form refuses what the API refuses.
 * An empty ServiceImage launches the probe alone. Returns the registration resource's properties.
 */
export function addServiceProductParameters(scope: Stack): Record<string, string> {
  const properties: Record<string, string> = {};
  const add = (id: string, props: ConstructorParameters<typeof CfnParameter>[2]) => {
    properties[id] = new CfnParameter(scope, id, props).valueAsString;
  };
  const text = { type: 'String', default: '' } as const;
  add('ServiceImage', {
    ...text,
    description: 'Your container image, in ECR in this region (or a pull-through cache prefix). Empty: the probe alone',
    maxLength: 512,
    allowedPattern: optional(IMAGE_REFERENCE_PATTERN),
    constraintDescription: 'a container image reference (registry/repository:tag), or empty',
  });
  add('ServicePort', {
    type: 'Number',
    default: 8080,
    minValue: 1,
    maxValue: 65535,
    description: 'Port your service listens on (not 3000, the probe sidecar’s)',
  });
  add('ServiceHealthPath', {
    type: 'String',
    default: '/',
    allowedPattern: HEALTH_PATH_PATTERN.source,
    description: 'Path that answers a healthy code',
  });
  add('ServiceHealthyHttpCodes', {
    type: 'String',
    default: '200-399',
    allowedPattern: HTTP_CODES_PATTERN.source,
    description: 'Healthy status codes, e.g. 200 or 200-399',
  });
  add('ServiceCommand', { ...text, description: 'Command arguments, comma-separated (empty: the image’s)' });
  for (let i = 1; i <= SERVICE_LIMITS.environment; i += 1) {
    add(`ServiceEnv${i}Name`, {
      ...text,
      allowedPattern: optional(VARIABLE_NAME_PATTERN),
      description: `Variable ${i}`,
    });
    add(`ServiceEnv${i}Value`, {
      ...text,
      maxLength: SERVICE_LIMITS.valueLength,
      description: `Value of variable ${i}`,
    });
  }
  for (let i = 1; i <= SERVICE_LIMITS.secrets; i += 1) {
    add(`ServiceSecret${i}Name`, {
      ...text,
      allowedPattern: optional(VARIABLE_NAME_PATTERN),
      description: `Variable of secret ${i}`,
    });
    add(`ServiceSecret${i}Arn`, {
      ...text,
      allowedPattern: optional(SECRET_ARN_PATTERN),
      description: `Secrets Manager secret or SSM parameter ARN of secret ${i}`,
    });
  }
  add('ContainerCpu', {
    type: 'Number',
    default: '256',
    allowedValues: FARGATE_CPUS.map(String),
    description: 'CPU units',
  });
  add('ContainerMemory', { type: 'Number', default: 512, minValue: 512, maxValue: 30720, description: 'MiB' });
  add('DesiredCount', { type: 'Number', default: 1, minValue: 1, maxValue: 4 });
  Validations.of(scope).acknowledge({
    id: 'CloudFormation-Validate::W2509',
    reason:
      'The ServiceSecret parameters name a variable and the ARN of a secret; no secret value passes through them.',
  });
  return properties;
}
