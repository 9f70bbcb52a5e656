import { describe, expect, it } from 'vitest';
import {
  CatalogError,
  type ProductTemplate,
  productTemplate,
  provisioningArtifactParameters,
  resolveParameters,
} from '../../local/service-catalog-product.js';

/**
 * The local catalog's reading of the product template the control plane defines: the parameters it shows
 * (DescribeProvisioningParameters) and how it checks a launch's values against their constraints, as the catalog
 * does before it starts anything (InvalidParametersException with the constraint's description).
 */
const template = productTemplate({ ttl: { defaultMinutes: 240, minMinutes: 1, maxMinutes: 10080 } });

function refusal(given: { Key: string; Value?: string; UsePreviousValue?: boolean }[], previous = {}): string {
  try {
    resolveParameters(template, given, previous);
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).type).toBe('InvalidParametersException');
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(given)}`);
}

describe('the local catalog’s product parameters', () => {
  it('shows the template’s parameters with their types, defaults and constraints', () => {
    const byKey = Object.fromEntries(provisioningArtifactParameters(template).map((p) => [p.ParameterKey, p]));

    expect(byKey.TtlMinutes).toMatchObject({
      ParameterType: 'Number',
      DefaultValue: '240',
      IsNoEcho: false,
      ParameterConstraints: { AllowedValues: [], MinValue: '1', MaxValue: '10080' },
    });
    expect(byKey.EnvironmentName).toMatchObject({
      ParameterType: 'String',
      ParameterConstraints: { AllowedPattern: '^[a-z][a-z0-9-]{0,30}$' },
    });
    expect(byKey.EnvironmentName).not.toHaveProperty('DefaultValue');
  });

  it('fills defaults and keeps previous values on an update unless a new one is given', () => {
    const defaults = Object.fromEntries(
      Object.entries(template.Parameters ?? {}).flatMap(([key, spec]) =>
        spec.Default === undefined ? [] : [[key, String(spec.Default)]],
      ),
    );
    expect(defaults.TtlMinutes).toBe('240');
    expect(resolveParameters(template, [{ Key: 'EnvironmentName', Value: 'demo' }])).toEqual({
      ...defaults,
      EnvironmentName: 'demo',
    });
    const previous = { ...defaults, EnvironmentName: 'demo', TtlMinutes: '30' };
    expect(resolveParameters(template, [{ Key: 'TtlMinutes', Value: '60' }], previous)).toEqual({
      ...previous,
      TtlMinutes: '60',
    });
    expect(resolveParameters(template, [{ Key: 'TtlMinutes', Value: '5', UsePreviousValue: true }], previous)).toEqual(
      previous,
    );
  });

  it('refuses values outside the constraints with the constraint’s description', () => {
    const ttl = (value: string) =>
      refusal([
        { Key: 'EnvironmentName', Value: 'demo' },
        { Key: 'TtlMinutes', Value: value },
      ]);

    expect(ttl('0')).toMatch(/^Parameter 'TtlMinutes' must be a whole number of minutes from 1 to 10080/);
    expect(ttl('10081')).toMatch(/from 1 to 10080 \(value given: '10081'\)/);
    expect(ttl('soon')).toMatch(/TtlMinutes/);
    expect(refusal([{ Key: 'EnvironmentName', Value: 'Demo_1' }])).toMatch(
      /^Parameter 'EnvironmentName' must match \^\[a-z\]\[a-z0-9-\]\{0,30\}\$/,
    );
  });

  it('refuses an unknown parameter and a missing value', () => {
    expect(
      refusal([
        { Key: 'EnvironmentName', Value: 'demo' },
        { Key: 'InstanceType', Value: 'm5' },
      ]),
    ).toMatch(/'InstanceType' is not a parameter of the product/);
    expect(refusal([])).toMatch(/'EnvironmentName' must have a value/);
  });

  it('checks AllowedValues and lengths when a template declares them', () => {
    const sized: ProductTemplate = {
      Parameters: {
        Size: { Type: 'String', AllowedValues: ['small', 'large'] },
        Tag: { Type: 'String', MaxLength: 3 },
      },
      Resources: {},
    };

    expect(() =>
      resolveParameters(sized, [
        { Key: 'Size', Value: 'huge' },
        { Key: 'Tag', Value: 'ab' },
      ]),
    ).toThrow(/must be one of small, large/);
    expect(() =>
      resolveParameters(sized, [
        { Key: 'Size', Value: 'small' },
        { Key: 'Tag', Value: 'abcd' },
      ]),
    ).toThrow(/at most 3 characters/);
  });
});
