import { App, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import {
  addRegistrationProductContent,
  type ProductParameterRules,
  REGISTRATION_RESOURCE_TYPE,
} from '../control-plane/constructs/catalog.js';
import type { ControlPlaneTemplate } from './control-plane-template.js';

/**
 * The Service Catalog product as the control plane defines it, read for local mode's catalog stand-in: the
 * product template (parameters with their constraints, the registration resource, outputs) from the same function
 * the Catalog construct uses, and the names of the product, its provisioning artifact and its portfolio from the
 * synthesized control-plane stack. Nothing here is a second copy of either.
 */

/** A CloudFormation parameter, as a template declares it. */
export interface TemplateParameter {
  readonly Type: string;
  readonly Default?: unknown;
  readonly Description?: string;
  readonly AllowedPattern?: string;
  readonly AllowedValues?: readonly unknown[];
  readonly ConstraintDescription?: string;
  readonly MinValue?: number | string;
  readonly MaxValue?: number | string;
  readonly MinLength?: number | string;
  readonly MaxLength?: number | string;
  readonly NoEcho?: boolean | string;
}

export interface ProductTemplate {
  Parameters?: Record<string, TemplateParameter>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** What the catalog shows of the product, its one provisioning artifact and the portfolio that holds it. */
export interface CatalogDescription {
  readonly product: { readonly name: string; readonly owner: string; readonly description: string };
  readonly artifact: { readonly name: string; readonly description: string };
  readonly portfolio: { readonly displayName: string; readonly providerName: string; readonly description: string };
  /** Whether the portfolio sets a launch role for the product (a LAUNCH constraint). */
  readonly hasLaunchConstraint: boolean;
}

/** A parameter value the catalog refuses (`InvalidParametersException`). */
export class CatalogError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The product template the control plane publishes, with the given parameter bounds. */
export function productTemplate(rules: ProductParameterRules): ProductTemplate {
  // No validation plugins: the Catalog construct's synthesis reports on this template, not every `npm start`.
  const app = new App({ builtinCloudFormationValidation: false });
  // As a ProductStack: no bootstrap-version parameter (an SSM parameter type the emulator cannot resolve).
  const stack = new Stack(app, 'Product', {
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  addRegistrationProductContent(stack, { ...rules, serviceToken: 'local:registration-function' });
  return app.synth().getStackByName('Product').template as ProductTemplate;
}

/** The registration resource of the product template: its logical id and its properties. */
export function registrationOf(template: ProductTemplate): { id: string; properties: Record<string, unknown> } {
  const found = Object.entries(template.Resources).find(([, r]) => r.Type === REGISTRATION_RESOURCE_TYPE);
  if (!found) throw new Error(`the product template has no ${REGISTRATION_RESOURCE_TYPE}`);
  return { id: found[0], properties: found[1].Properties ?? {} };
}

/** What the emulator deploys: the template without its custom resources (run by the stand-in) and their outputs. */
export function emulatorTemplate(template: ProductTemplate): ProductTemplate {
  const custom = new Set(
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type.startsWith('Custom::'))
      .map(([id]) => id),
  );
  const resources = Object.fromEntries(Object.entries(template.Resources).filter(([id]) => !custom.has(id)));
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {}).filter(
      ([, o]) => ![...custom].some((id) => JSON.stringify(o).includes(`"${id}"`)),
    ),
  );
  return { ...template, Resources: resources, Outputs: outputs };
}

function propertiesOf(template: ControlPlaneTemplate, type: string): Record<string, unknown> {
  const found = Object.values(template.Resources).find((r) => r.Type === type);
  if (!found) throw new Error(`the control-plane template has no ${type}`);
  return found.Properties ?? {};
}

/** The product, artifact and portfolio as the control-plane stack declares them. */
export function catalogDescription(template: ControlPlaneTemplate): CatalogDescription {
  const product = propertiesOf(template, 'AWS::ServiceCatalog::CloudFormationProduct');
  const portfolio = propertiesOf(template, 'AWS::ServiceCatalog::Portfolio');
  const artifacts = (product.ProvisioningArtifactParameters ?? []) as { Name?: string; Description?: string }[];
  return {
    product: {
      name: String(product.Name ?? ''),
      owner: String(product.Owner ?? ''),
      description: String(product.Description ?? ''),
    },
    artifact: { name: String(artifacts[0]?.Name ?? ''), description: String(artifacts[0]?.Description ?? '') },
    portfolio: {
      displayName: String(portfolio.DisplayName ?? ''),
      providerName: String(portfolio.ProviderName ?? ''),
      description: String(portfolio.Description ?? ''),
    },
    hasLaunchConstraint: Object.values(template.Resources).some(
      (r) => r.Type === 'AWS::ServiceCatalog::LaunchRoleConstraint',
    ),
  };
}

const optionalString = (value: unknown) => (value === undefined ? {} : { value: String(value) });

/** DescribeProvisioningParameters' `ProvisioningArtifactParameters`: the template's parameters and constraints. */
export function provisioningArtifactParameters(template: ProductTemplate) {
  return Object.entries(template.Parameters ?? {}).map(([key, spec]) => {
    const constraints: Record<string, unknown> = {
      AllowedValues: (spec.AllowedValues ?? []).map(String),
    };
    for (const name of [
      'AllowedPattern',
      'ConstraintDescription',
      'MinValue',
      'MaxValue',
      'MinLength',
      'MaxLength',
    ] as const) {
      const value = optionalString(spec[name]);
      if ('value' in value) constraints[name] = value.value;
    }
    return {
      ParameterKey: key,
      ...('value' in optionalString(spec.Default) ? { DefaultValue: String(spec.Default) } : {}),
      ParameterType: spec.Type,
      IsNoEcho: spec.NoEcho === true || spec.NoEcho === 'true',
      Description: spec.Description ?? '',
      ParameterConstraints: constraints,
    };
  });
}

/** What CloudFormation would say of a value that breaks a constraint (the constraint's description if it has one). */
function violation(key: string, spec: TemplateParameter, value: string): string | undefined {
  const say = (generated: string) =>
    `Parameter '${key}' ${spec.ConstraintDescription ?? generated} (value given: '${value}')`;
  if (spec.Type === 'Number') {
    const number = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(number)) return say('must be a number');
    if (spec.MinValue !== undefined && number < Number(spec.MinValue)) {
      return say(`must be a number not less than ${spec.MinValue}`);
    }
    if (spec.MaxValue !== undefined && number > Number(spec.MaxValue)) {
      return say(`must be a number not greater than ${spec.MaxValue}`);
    }
  }
  if (spec.AllowedValues !== undefined && !spec.AllowedValues.map(String).includes(value)) {
    return say(`must be one of ${spec.AllowedValues.join(', ')}`);
  }
  if (spec.AllowedPattern !== undefined && !new RegExp(`^(?:${spec.AllowedPattern})$`).test(value)) {
    return say(`must match pattern ${spec.AllowedPattern}`);
  }
  if (spec.MinLength !== undefined && value.length < Number(spec.MinLength)) {
    return say(`must contain at least ${spec.MinLength} characters`);
  }
  if (spec.MaxLength !== undefined && value.length > Number(spec.MaxLength)) {
    return say(`must contain at most ${spec.MaxLength} characters`);
  }
  return undefined;
}

export interface GivenParameter {
  readonly Key?: unknown;
  readonly Value?: unknown;
  readonly UsePreviousValue?: unknown;
}

/**
 * The launch's (or update's) parameter values: given ones, else the previous ones (an update), else the
 * defaults; each checked against its constraints. Unknown keys, missing values and violations are
 * `InvalidParametersException`, as the catalog answers before it starts anything.
 */
export function resolveParameters(
  template: ProductTemplate,
  given: readonly GivenParameter[],
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const specs = template.Parameters ?? {};
  const values: Record<string, string> = {};
  for (const [key, spec] of Object.entries(specs)) {
    if (previous[key] !== undefined) values[key] = previous[key];
    else if (spec.Default !== undefined) values[key] = String(spec.Default);
  }
  for (const parameter of given) {
    const key = String(parameter.Key ?? '');
    if (!(key in specs)) {
      throw new CatalogError('InvalidParametersException', `Parameter '${key}' is not a parameter of the product`);
    }
    if (parameter.UsePreviousValue === true && previous[key] !== undefined) continue;
    values[key] = String(parameter.Value ?? '');
  }
  for (const [key, spec] of Object.entries(specs)) {
    const value = values[key];
    if (value === undefined) {
      throw new CatalogError('InvalidParametersException', `Parameter '${key}' must have a value`);
    }
    const problem = violation(key, spec, value);
    if (problem !== undefined) throw new CatalogError('InvalidParametersException', problem);
  }
  return values;
}
