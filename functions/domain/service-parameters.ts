import type { Parameter } from '@aws-sdk/client-cloudformation';
import type { ServiceSpec } from '../schemas/service.js';

/**
 * The blueprint parameters that carry a service (blueprints/dual-stack-fargate/parent.yaml): CloudFormation
 * cannot build a list of name/value pairs from one parameter, so variables and secrets travel in numbered slots
 * (`ServiceEnv1Name`/`ServiceEnv1Value`, …, `ServiceSecret1Name`/`ServiceSecret1Arn`, …) and the command as a
 * CommaDelimitedList. Without a service no parameter is passed: the blueprint's defaults are the probe-only
 * environment.
 */
export function serviceParameters(service: ServiceSpec | undefined): Parameter[] {
  if (service === undefined) return [];
  const parameter = (ParameterKey: string, value: string | number): Parameter => ({
    ParameterKey,
    ParameterValue: String(value),
  });
  const slots = (kind: string, valueKey: string, entries: Record<string, string> | undefined) =>
    Object.entries(entries ?? {}).flatMap(([name, value], i) => [
      parameter(`Service${kind}${i + 1}Name`, name),
      parameter(`Service${kind}${i + 1}${valueKey}`, value),
    ]);
  return [
    parameter('ServiceImage', service.image),
    parameter('ServicePort', service.port),
    parameter('ServiceHealthPath', service.healthPath),
    parameter('ServiceHealthyHttpCodes', service.healthyHttpCodes),
    ...(service.command === undefined ? [] : [parameter('ServiceCommand', service.command.join(','))]),
    ...slots('Env', 'Value', service.environment),
    ...slots('Secret', 'Arn', service.secrets),
    parameter('ContainerCpu', service.cpu),
    parameter('ContainerMemory', service.memory),
    parameter('DesiredCount', service.desiredCount),
  ];
}
