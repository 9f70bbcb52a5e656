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

/**
 * The other way round, for the Service Catalog product (whose parameters have the blueprint's names): the request
 * form of the service the parameters describe, or undefined when `ServiceImage` is empty (the probe alone). The
 * result still has to pass `ServiceSpec`, which checks it as it checks a request body.
 */
export function serviceFromParameters(
  properties: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  const text = (key: string) => {
    const value = properties[key];
    return value === undefined || value === null ? '' : String(value);
  };
  const number = (key: string) => (text(key) === '' ? undefined : Number(text(key)));
  if (text('ServiceImage') === '') return undefined;
  const slots = (kind: string, valueKey: string) =>
    Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [
        text(`Service${kind}${i + 1}Name`),
        text(`Service${kind}${i + 1}${valueKey}`),
      ]).filter(([name]) => name !== ''),
    );
  const environment = slots('Env', 'Value');
  const secrets = slots('Secret', 'Arn');
  const defined = (entries: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined && v !== ''));
  return defined({
    image: text('ServiceImage'),
    port: number('ServicePort'),
    healthPath: text('ServiceHealthPath'),
    healthyHttpCodes: text('ServiceHealthyHttpCodes'),
    command: text('ServiceCommand') === '' ? undefined : text('ServiceCommand').split(','),
    environment: Object.keys(environment).length > 0 ? environment : undefined,
    secrets: Object.keys(secrets).length > 0 ? secrets : undefined,
    cpu: number('ContainerCpu'),
    memory: number('ContainerMemory'),
    desiredCount: number('DesiredCount'),
  });
}
