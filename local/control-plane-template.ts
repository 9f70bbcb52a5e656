import { App } from 'aws-cdk-lib';
import { CONFIG_CONTEXT_KEY, type ControlPlaneConfigInput, cdkJsonContext } from '../control-plane/config.js';
import { createControlPlane } from '../control-plane/control-plane-app.js';
import { definitionFromTemplate, type SynthesizedStateMachine } from './state-machine-definition.js';

/**
 * The control plane as the CDK app synthesizes it (in-process, no bundling, no validation plugins), read
 * by local mode so that what it creates and configures follows the deployed stack: the state machine,
 * the tables' keys and indexes, and the functions' environment variables.
 */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}
export interface ControlPlaneTemplate {
  readonly Resources: Record<string, TemplateResource>;
}

export interface SynthesizedControlPlane extends SynthesizedStateMachine {
  readonly template: ControlPlaneTemplate;
}

export function synthesizeControlPlane(config: Partial<ControlPlaneConfigInput> = {}): SynthesizedControlPlane {
  const base = cdkJsonContext();
  const app = new App({
    context: {
      ...base,
      [CONFIG_CONTEXT_KEY]: { ...(base[CONFIG_CONTEXT_KEY] as object | undefined), ...config },
      'aws:cdk:bundling-stacks': [],
    },
    builtinCloudFormationValidation: false,
  });
  const stack = createControlPlane(app, { nag: false });
  const template = app.synth().getStackByName(stack.stackName).template as ControlPlaneTemplate;
  return { template, ...definitionFromTemplate(template as Parameters<typeof definitionFromTemplate>[0]) };
}

/** A DynamoDB table of the template, as CreateTable input (minus the name). */
export interface TableDefinition {
  readonly logicalId: string;
  readonly keySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly attributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  readonly globalSecondaryIndexes: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
  }[];
  readonly timeToLiveAttribute?: string;
  readonly streamViewType?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
}

/** A function the template triggers from a table's change stream (an `AWS::Lambda::EventSourceMapping`). */
export interface StreamTrigger {
  readonly tableLogicalId: string;
  /** Handler entry of the function (its `dsenv:handler-entry` metadata). */
  readonly entry: string;
  readonly batchSize: number;
}

export function streamTriggers(template: ControlPlaneTemplate): StreamTrigger[] {
  return Object.values(template.Resources).flatMap((r) => {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') return [];
    const p = r.Properties ?? {};
    const table = referencedLogicalId(p.EventSourceArn);
    const fn = referencedLogicalId(p.FunctionName);
    const entry = fn === undefined ? undefined : template.Resources[fn]?.Metadata?.['dsenv:handler-entry'];
    if (table === undefined || template.Resources[table]?.Type !== 'AWS::DynamoDB::Table') return [];
    if (typeof entry !== 'string') return [];
    return [{ tableLogicalId: table, entry, batchSize: Number(p.BatchSize ?? 100) }];
  });
}

/** A method of the template's REST API and the handler entry of the function it integrates. */
export interface TemplateRoute {
  readonly method: string;
  /** Resource path as API Gateway writes it, e.g. `/environments/{id}`. */
  readonly resource: string;
  readonly entry: string;
}

/** The function a Lambda-proxy integration URI (`…/functions/<Fn::GetAtt Arn>/invocations`) points at. */
function integratedFunction(uri: unknown): string | undefined {
  const parts = (uri as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join']?.[1] ?? [];
  return parts.map(referencedLogicalId).find((id) => id !== undefined && !id.startsWith('AWS::'));
}

/** The REST API's routes as the template defines them (methods, resource paths, integrated functions). */
export function apiRoutes(template: ControlPlaneTemplate): TemplateRoute[] {
  const pathOf = (resourceId: string | undefined): string => {
    const resource = resourceId === undefined ? undefined : template.Resources[resourceId];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = referencedLogicalId(resource.Properties?.ParentId);
    const above = template.Resources[parent ?? '']?.Type === 'AWS::ApiGateway::Resource' ? pathOf(parent) : '';
    return `${above}/${String(resource.Properties?.PathPart)}`;
  };
  return Object.values(template.Resources).flatMap((r) => {
    if (r.Type !== 'AWS::ApiGateway::Method') return [];
    const p = r.Properties ?? {};
    const fn = integratedFunction((p.Integration as { Uri?: unknown } | undefined)?.Uri);
    const entry = fn === undefined ? undefined : template.Resources[fn]?.Metadata?.['dsenv:handler-entry'];
    if (typeof entry !== 'string' || typeof p.HttpMethod !== 'string') return [];
    return [{ method: p.HttpMethod, resource: pathOf(referencedLogicalId(p.ResourceId)) || '/', entry }];
  });
}

/** Logical ids of the template's EventBridge buses. */
export function eventBuses(template: ControlPlaneTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::EventBus')
    .map(([logicalId]) => logicalId);
}

export function tableDefinitions(template: ControlPlaneTemplate): TableDefinition[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' || r.Type === 'AWS::DynamoDB::GlobalTable')
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
      const stream = p.StreamSpecification as { StreamViewType?: TableDefinition['streamViewType'] } | undefined;
      return {
        logicalId,
        keySchema: p.KeySchema as TableDefinition['keySchema'],
        attributeDefinitions: p.AttributeDefinitions as TableDefinition['attributeDefinitions'],
        globalSecondaryIndexes: ((p.GlobalSecondaryIndexes as TableDefinition['globalSecondaryIndexes']) ?? []).map(
          (g) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection }),
        ),
        ...(ttl?.Enabled && ttl.AttributeName ? { timeToLiveAttribute: ttl.AttributeName } : {}),
        ...(stream?.StreamViewType ? { streamViewType: stream.StreamViewType } : {}),
      };
    });
}

/** A logical id of the template referenced by an intrinsic (`Ref`/`Fn::GetAtt`), when that is all it is. */
function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
  return undefined;
}

export interface FunctionEnvironment {
  /** Literal values, the same in every function that sets them. */
  readonly literals: Record<string, string>;
  /** Variables whose value is a reference: name → the logical id referenced (when it is a plain Ref/GetAtt). */
  readonly references: Record<string, string | undefined>;
}

/** The union of the environment variables of the template's Lambda functions. */
export function functionEnvironment(template: ControlPlaneTemplate): FunctionEnvironment {
  const literals: Record<string, string> = {};
  const references: Record<string, string | undefined> = {};
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(variables)) {
      if (typeof value === 'string' || typeof value === 'number') literals[name] ??= String(value);
      else references[name] ??= referencedLogicalId(value);
    }
  }
  return { literals, references };
}
