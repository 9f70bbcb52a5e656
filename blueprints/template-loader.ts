/**
 * Reads CloudFormation YAML templates into their JSON (long-form) shape.
 *
 * Short-form intrinsic tags become the long form CloudFormation itself evaluates: `!Ref X` → `{Ref: 'X'}`,
 * `!Sub '…'` → `{'Fn::Sub': '…'}`, `!GetAtt A.B.C` → `{'Fn::GetAtt': ['A', 'B.C']}` (split on the FIRST dot, as
 * CloudFormation does), and so on. Also small helpers to walk templates: the blueprint's four files, DependsOn
 * lists, parameter defaults and condition evaluation.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';

export type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };
export type CfnObject = { [key: string]: CfnValue };

export interface CfnParameter {
  Type: string;
  Default?: string | number;
  AllowedValues?: (string | number)[];
  AllowedPattern?: string;
  Description?: string;
  [key: string]: CfnValue | undefined;
}

export interface CfnResource {
  Type: string;
  Properties?: CfnObject;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: CfnObject;
}

export interface CfnOutput {
  Value: CfnValue;
  Description?: string;
  Condition?: string;
  Export?: CfnObject;
}

export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Metadata?: CfnObject;
  Parameters?: Record<string, CfnParameter>;
  Mappings?: Record<string, Record<string, CfnObject>>;
  Conditions?: Record<string, CfnValue>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, CfnOutput>;
}

/** Short-form tags whose long form is `Fn::<Name>`. */
const FN_TAGS = [
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Length',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'ToJsonString',
  'Transform',
] as const;

const collectionToJson = (node: YAMLMap | YAMLSeq): CfnValue => node.toJSON() as CfnValue;

/** One definition per node kind (scalar, sequence, mapping), all producing `{ [key]: value }`. */
const tagsFor = (tag: string, toLongForm: (value: CfnValue) => CfnObject): Tags => [
  { tag, resolve: (value: string) => toLongForm(value) },
  { tag, collection: 'seq', resolve: (node) => toLongForm(collectionToJson(node as YAMLSeq)) as unknown as YAMLSeq },
  { tag, collection: 'map', resolve: (node) => toLongForm(collectionToJson(node as YAMLMap)) as unknown as YAMLMap },
];

const splitGetAtt = (value: CfnValue): CfnValue => {
  if (typeof value !== 'string') return value;
  const dot = value.indexOf('.');
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
};

/** The yaml library's custom tags for every CloudFormation short form. */
export const CLOUDFORMATION_TAGS: Tags = [
  ...tagsFor('!Ref', (value) => ({ Ref: value })),
  ...tagsFor('!Condition', (value) => ({ Condition: value })),
  ...tagsFor('!GetAtt', (value) => ({ 'Fn::GetAtt': splitGetAtt(value) })),
  ...FN_TAGS.flatMap((name) => tagsFor(`!${name}`, (value) => ({ [`Fn::${name}`]: value }))),
];

/** Parses a CloudFormation template (YAML or JSON text) into its long form. */
export const parseTemplate = (text: string): CfnTemplate => {
  // CloudFormation reads YAML 1.1; keep the same schema so e.g. `yes`/`no` mean what they mean there.
  const template = parse(text, { version: '1.1', customTags: CLOUDFORMATION_TAGS, uniqueKeys: true }) as unknown;
  if (!isObject(template) || !isObject(template.Resources)) {
    throw new Error('not a CloudFormation template: no Resources section');
  }
  return template as unknown as CfnTemplate;
};

export const loadTemplate = (path: string): CfnTemplate => parseTemplate(readFileSync(path, 'utf8'));

/** The folder holding the dual-stack-fargate blueprint's four templates. */
export const BLUEPRINT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'dual-stack-fargate');

export const BLUEPRINT_FILES = {
  parent: 'parent.yaml',
  network: 'network.yaml',
  cluster: 'cluster.yaml',
  service: 'service.yaml',
} as const;

export type BlueprintPart = keyof typeof BLUEPRINT_FILES;
export type Blueprint = Record<BlueprintPart, CfnTemplate>;

/** Loads the four templates of the blueprint (from `dir`, by default the one in this repository). */
export const loadBlueprint = (dir: string = BLUEPRINT_DIR): Blueprint => ({
  parent: loadTemplate(join(dir, BLUEPRINT_FILES.parent)),
  network: loadTemplate(join(dir, BLUEPRINT_FILES.network)),
  cluster: loadTemplate(join(dir, BLUEPRINT_FILES.cluster)),
  service: loadTemplate(join(dir, BLUEPRINT_FILES.service)),
});

// ---------------------------------------------------------------------------------------------------- helpers

export const isObject = (value: unknown): value is CfnObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The logical id a `{Ref: X}` points at, or undefined if the value is not a Ref. */
export const refTarget = (value: CfnValue | undefined): string | undefined =>
  isObject(value) && typeof value.Ref === 'string' && Object.keys(value).length === 1 ? value.Ref : undefined;

/** `[logicalId, attribute]` of a `Fn::GetAtt`, or undefined. */
export const getAttTarget = (value: CfnValue | undefined): [string, string] | undefined => {
  if (!isObject(value)) return undefined;
  const args = value['Fn::GetAtt'];
  if (!Array.isArray(args) || args.length !== 2) return undefined;
  const [resource, attribute] = args;
  return typeof resource === 'string' && typeof attribute === 'string' ? [resource, attribute] : undefined;
};

/** A resource's DependsOn as a list. */
export const dependsOn = (resource: CfnResource): string[] =>
  resource.DependsOn === undefined ? [] : Array.isArray(resource.DependsOn) ? resource.DependsOn : [resource.DependsOn];

/** `[logicalId, resource]` pairs of one type. */
export const resourcesOfType = (template: CfnTemplate, type: string): [string, CfnResource][] =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** Parameter values: the template's defaults overridden by `overrides` (values as CloudFormation passes them). */
export const parameterValues = (
  template: CfnTemplate,
  overrides: Record<string, string | number | boolean> = {},
): Record<string, string> => {
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if (parameter.Default !== undefined) values[name] = String(parameter.Default);
  }
  for (const [name, value] of Object.entries(overrides)) values[name] = String(value);
  return values;
};

/**
 * Evaluates the template's Conditions for the given parameter values. Supports what conditions may contain:
 * Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition, Ref to parameters and literals.
 */
export const evaluateConditions = (
  template: CfnTemplate,
  parameters: Record<string, string>,
): Record<string, boolean> => {
  const definitions = template.Conditions ?? {};
  const cache: Record<string, boolean> = {};
  const scalar = (value: CfnValue): string => {
    const ref = refTarget(value);
    if (ref !== undefined) {
      const resolved = parameters[ref];
      if (resolved === undefined) throw new Error(`condition refers to parameter ${ref}, which has no value`);
      return resolved;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new Error(`unsupported value in a condition: ${JSON.stringify(value)}`);
  };
  const evaluate = (expression: CfnValue): boolean => {
    if (!isObject(expression)) throw new Error(`unsupported condition: ${JSON.stringify(expression)}`);
    const [fn, args] = Object.entries(expression)[0] ?? [];
    if (fn === 'Condition' && typeof args === 'string') return named(args);
    if (!Array.isArray(args)) throw new Error(`unsupported condition: ${JSON.stringify(expression)}`);
    switch (fn) {
      case 'Fn::Equals':
        return scalar(args[0] ?? null) === scalar(args[1] ?? null);
      case 'Fn::And':
        return args.every(evaluate);
      case 'Fn::Or':
        return args.some(evaluate);
      case 'Fn::Not':
        return !evaluate(args[0] ?? null);
      default:
        throw new Error(`unsupported condition function ${fn}`);
    }
  };
  const named = (name: string): boolean => {
    if (!(name in cache)) {
      const definition = definitions[name];
      if (definition === undefined) throw new Error(`unknown condition ${name}`);
      cache[name] = evaluate(definition);
    }
    return cache[name] as boolean;
  };
  for (const name of Object.keys(definitions)) named(name);
  return cache;
};

/** Resources that exist for the given parameter values (unconditional ones and those whose condition holds). */
export const activeResources = (
  template: CfnTemplate,
  parameters: Record<string, string>,
): Record<string, CfnResource> => {
  const conditions = evaluateConditions(template, parameters);
  return Object.fromEntries(
    Object.entries(template.Resources).filter(
      ([, resource]) => resource.Condition === undefined || conditions[resource.Condition] === true,
    ),
  );
};

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The template as CloudFormation would deploy it for the given parameter values: resources and outputs whose
 * condition is false are dropped, every `Fn::If` becomes the branch its condition picks, and `Ref AWS::NoValue`
 * removes the property or list item it stands in. Everything else is left as written.
 */
export const resolveConditionals = (template: CfnTemplate, parameters: Record<string, string>): CfnTemplate => {
  const conditions = evaluateConditions(template, parameters);
  const resolve = (value: CfnValue): CfnValue | typeof NO_VALUE => {
    if (Array.isArray(value)) {
      return value.map(resolve).filter((item): item is CfnValue => item !== NO_VALUE);
    }
    if (!isObject(value)) return value;
    if (refTarget(value) === 'AWS::NoValue') return NO_VALUE;
    const branches = value['Fn::If'];
    if (Array.isArray(branches) && typeof branches[0] === 'string') {
      const chosen = conditions[branches[0]] ? branches[1] : branches[2];
      return resolve(chosen ?? null);
    }
    const out: CfnObject = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolve(item);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  };
  const holds = (item: { Condition?: string }) => item.Condition === undefined || conditions[item.Condition] === true;
  const resources = Object.entries(template.Resources).filter(([, r]) => holds(r));
  const outputs = Object.entries(template.Outputs ?? {}).filter(([, o]) => holds(o));
  return {
    ...template,
    Resources: Object.fromEntries(resources.map(([id, r]) => [id, resolve(r as unknown as CfnValue) as never])),
    ...(template.Outputs === undefined
      ? {}
      : { Outputs: Object.fromEntries(outputs.map(([id, o]) => [id, resolve(o as unknown as CfnValue) as never])) }),
  };
};
