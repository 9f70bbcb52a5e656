/**
 * Follows values across the blueprint's nested stacks, the way CloudFormation resolves them at deploy time:
 * a child's `Ref Parameter` becomes what the parent passes for it (or the child's default), a parent's
 * `Fn::GetAtt [Child, Outputs.X]` becomes the child's output X, a parent's `Fn::If` becomes the branch its
 * condition picks, and a parent parameter becomes its override or default. Tests use it to check the wiring; the
 * cost model uses it to count what the templates create.
 */
import {
  BLUEPRINT_FILES,
  type Blueprint,
  type BlueprintPart,
  type CfnValue,
  evaluateConditions,
  getAttTarget,
  isObject,
  parameterValues,
  refTarget,
  resolveConditionals,
} from './template-loader.js';

/** A value and the template it belongs to. */
export interface Located {
  part: BlueprintPart;
  value: CfnValue;
}

export type ParameterOverrides = Record<string, string | number | boolean>;

const CHILD_PARTS = ['network', 'cluster', 'service'] as const satisfies readonly BlueprintPart[];
export type ChildPart = (typeof CHILD_PARTS)[number];

/** The file a nested stack's TemplateURL names (the last path segment of its `Fn::Sub`), if any. */
export const nestedTemplateFile = (templateUrl: CfnValue | undefined): string | undefined => {
  const sub = isObject(templateUrl) ? templateUrl['Fn::Sub'] : templateUrl;
  return typeof sub === 'string' ? sub.split('/').pop() : undefined;
};

/** Which child template a parent resource (an `AWS::CloudFormation::Stack`) nests. */
export const childPartOf = (blueprint: Blueprint, stackLogicalId: string): ChildPart | undefined => {
  const resource = blueprint.parent.Resources[stackLogicalId];
  if (resource?.Type !== 'AWS::CloudFormation::Stack') return undefined;
  const file = nestedTemplateFile(resource.Properties?.TemplateURL);
  return CHILD_PARTS.find((part) => BLUEPRINT_FILES[part] === file);
};

/** The parent's logical id of the nested stack that loads `part`. */
export const nestedStackOf = (blueprint: Blueprint, part: ChildPart): string | undefined =>
  Object.keys(blueprint.parent.Resources).find((id) => childPartOf(blueprint, id) === part);

/**
 * Resolves `value` (found in `part`) through parameters and nested outputs until it is a resource reference,
 * a literal, or an expression that only AWS can evaluate. `overrides` are the parent's parameter values.
 */
export const traceValue = (
  blueprint: Blueprint,
  part: BlueprintPart,
  value: CfnValue,
  overrides: ParameterOverrides = {},
): Located => {
  const template = blueprint[part];
  const ref = refTarget(value);
  if (ref !== undefined && template.Parameters?.[ref] !== undefined) {
    const parameter = template.Parameters[ref];
    if (part === 'parent') {
      const given = overrides[ref] ?? parameter.Default;
      return given === undefined ? { part, value } : { part, value: given };
    }
    const stack = nestedStackOf(blueprint, part);
    const passed = stack === undefined ? undefined : blueprint.parent.Resources[stack]?.Properties?.Parameters;
    const passedValue = isObject(passed) ? passed[ref] : undefined;
    if (passedValue !== undefined) return traceValue(blueprint, 'parent', passedValue, overrides);
    return parameter.Default === undefined ? { part, value } : { part, value: parameter.Default };
  }
  const choice = isObject(value) ? value['Fn::If'] : undefined;
  if (part === 'parent' && Array.isArray(choice) && typeof choice[0] === 'string') {
    const holds = evaluateConditions(template, parameterValues(template, overrides))[choice[0]];
    return traceValue(blueprint, part, (holds ? choice[1] : choice[2]) ?? null, overrides);
  }
  const getAtt = getAttTarget(value);
  if (part === 'parent' && getAtt !== undefined && getAtt[1].startsWith('Outputs.')) {
    const child = childPartOf(blueprint, getAtt[0]);
    const output = child === undefined ? undefined : blueprint[child].Outputs?.[getAtt[1].slice('Outputs.'.length)];
    if (child !== undefined && output !== undefined) return traceValue(blueprint, child, output.Value, overrides);
  }
  return { part, value };
};

/**
 * Resolves a value that stands for a list (a list parameter fed by a comma-joined output, a `Fn::Join` with ',',
 * or an array) into its traced items.
 */
export const traceList = (
  blueprint: Blueprint,
  part: BlueprintPart,
  value: CfnValue,
  overrides: ParameterOverrides = {},
): Located[] => {
  const traced = traceValue(blueprint, part, value, overrides);
  const items = (located: Located): Located[] => {
    const { value: current } = located;
    if (Array.isArray(current)) {
      return current.map((item) => traceValue(blueprint, located.part, item, overrides));
    }
    const join = isObject(current) ? current['Fn::Join'] : undefined;
    if (Array.isArray(join) && join[0] === ',' && Array.isArray(join[1])) {
      return join[1].flatMap((item) => items(traceValue(blueprint, located.part, item, overrides)));
    }
    if (typeof current === 'string') return current.split(',').map((item) => ({ part: located.part, value: item }));
    return [located];
  };
  return items(traced);
};

/** Like traceValue, but the result must be a number (a numeric parameter default or override). */
export const traceNumber = (
  blueprint: Blueprint,
  part: BlueprintPart,
  value: CfnValue,
  overrides: ParameterOverrides = {},
): number => {
  const { value: traced } = traceValue(blueprint, part, value, overrides);
  const number = typeof traced === 'number' ? traced : typeof traced === 'string' ? Number(traced) : Number.NaN;
  if (!Number.isFinite(number)) throw new Error(`${JSON.stringify(value)} in ${part} does not resolve to a number`);
  return number;
};

/** The resource a traced value references (`Ref` or `Fn::GetAtt`), as `{part, logicalId}`. */
export const referencedResource = (located: Located): { part: BlueprintPart; logicalId: string } | undefined => {
  const id = refTarget(located.value) ?? getAttTarget(located.value)?.[0];
  return id === undefined ? undefined : { part: located.part, logicalId: id };
};

/** The parent's parameter values as the child `part` receives them (defaults and overrides applied). */
export const childParameterValues = (
  blueprint: Blueprint,
  part: ChildPart,
  overrides: ParameterOverrides = {},
): Record<string, string> => {
  const values: Record<string, string> = {};
  for (const name of Object.keys(blueprint[part].Parameters ?? {})) {
    const { value } = traceValue(blueprint, part, { Ref: name }, overrides);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[name] = String(value);
    }
  }
  return values;
};

/**
 * The four templates as deployed for the parent parameter values `overrides`: each child with the values the
 * parent passes it (blueprints/template-loader.ts `resolveConditionals`). With no overrides: the default,
 * probe-only environment.
 */
export const resolveBlueprint = (blueprint: Blueprint, overrides: ParameterOverrides = {}): Blueprint => {
  const childValues = (part: ChildPart) => ({
    ...parameterValues(blueprint[part]),
    ...childParameterValues(blueprint, part, overrides),
  });
  return {
    parent: resolveConditionals(blueprint.parent, parameterValues(blueprint.parent, overrides)),
    network: resolveConditionals(blueprint.network, childValues('network')),
    cluster: resolveConditionals(blueprint.cluster, childValues('cluster')),
    service: resolveConditionals(blueprint.service, childValues('service')),
  };
};
