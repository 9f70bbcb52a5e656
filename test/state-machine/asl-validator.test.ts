import aslValidator from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlaneTemplate, synthesizeControlPlane } from '../../local/control-plane-template.js';
import { resolveIntrinsics } from '../../local/state-machine-definition.js';

/**
 * The definition as deployed (the template's DefinitionString, intrinsics resolved, nothing rewritten for local
 * mode) passes an Amazon States Language validator: its schema, paths and intrinsic functions.
 */
let definition: Record<string, unknown>;

beforeAll(() => {
  const { template } = synthesizeControlPlane();
  const [machine] = Object.values((template as ControlPlaneTemplate).Resources).filter(
    (r) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  const text = resolveIntrinsics(machine?.Properties?.DefinitionString, template as never);
  definition = JSON.parse(String(text)) as Record<string, unknown>;
}, 120_000);

describe('the synthesized state machine definition', () => {
  it('is valid Amazon States Language', () => {
    const { isValid, errors } = aslValidator(definition);
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('is rejected by the same validator once broken (the validator does check)', () => {
    const states = definition.States as Record<string, Record<string, unknown>>;
    const broken = { ...definition, States: { ...states, CreateStack: { ...states.CreateStack, Next: 'Nowhere' } } };
    expect(aslValidator(broken).isValid).toBe(false);
  });
});
