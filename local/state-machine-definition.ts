import { App } from 'aws-cdk-lib';
import { CONFIG_CONTEXT_KEY, type ControlPlaneConfigInput, cdkJsonContext } from '../control-plane/config.js';
import { HANDLER_ENTRY_METADATA } from '../control-plane/constructs/house-function.js';
import { CONTROL_PLANE_STACK_ID, createControlPlane } from '../control-plane/control-plane-app.js';

/** An Amazon States Language definition, as parsed JSON. */
export interface StateMachineDefinition {
  readonly StartAt: string;
  readonly States: Record<
    string,
    { readonly Type: string; readonly Resource?: string; readonly [key: string]: unknown }
  >;
  readonly [key: string]: unknown;
}

export interface SynthesizedStateMachine {
  /** The provisioner's definition with every intrinsic resolved (fake account 123456789012, us-east-1). */
  readonly definition: StateMachineDefinition;
  /**
   * Task state name → handler entry file relative to the repository root (from the function's
   * `dsenv:handler-entry` metadata), e.g. `CreateStack` → `functions/workflow/create-stack.ts`.
   */
  readonly taskHandlers: Record<string, string>;
}

export interface StateMachineDefinitionOptions {
  /** Overrides of the `dsenv` context (e.g. `{ pollSeconds: 1 }`), merged over cdk.json's values. */
  readonly config?: Partial<ControlPlaneConfigInput>;
}

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';

type Template = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
};

/** Resolves the intrinsics CDK puts in a DefinitionString into plain strings. */
function resolveIntrinsic(value: unknown, template: Template): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': FAKE_REGION,
      'AWS::AccountId': FAKE_ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': CONTROL_PLANE_STACK_ID,
    };
    return pseudo[v.Ref] ?? v.Ref;
  }
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt)) {
    const [logicalId, attribute] = getAtt as [string, string];
    const type = template.Resources[logicalId]?.Type;
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') {
      return `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${logicalId}`;
    }
    throw new Error(`unsupported Fn::GetAtt ${logicalId}.${attribute} (${type}) in the definition`);
  }
  const join = v['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, unknown[]];
    return parts.map((p) => resolveIntrinsic(p, template)).join(separator);
  }
  throw new Error(`unsupported intrinsic in the definition: ${JSON.stringify(value)}`);
}

const INTRINSICS = new Set(['Ref', 'Fn::GetAtt', 'Fn::Join']);

/** A template value (e.g. an EventBridge rule's pattern) with the intrinsics of `resolveIntrinsic` resolved. */
export function resolveIntrinsics(value: unknown, template: Template): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, template));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && INTRINSICS.has(keys[0] as string)) return resolveIntrinsic(value, template);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveIntrinsics(v, template)]));
}

/**
 * Step Functions requires `{`, `}`, `'` and `\\` in intrinsic-function string literals to be escaped
 * with a backslash; aws-local-stepfunctions 3 does not unescape them. Rewrites such literals for it.
 */
function unescapeIntrinsicLiterals(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('States.') ? value.replace(/\\([{}'\\])/g, '$1') : value;
  if (Array.isArray(value)) return value.map(unescapeIntrinsicLiterals);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescapeIntrinsicLiterals(v)]));
  }
  return value;
}

/** Extracts the provisioner's definition and its task → handler map from a synthesized template. */
export function definitionFromTemplate(template: Template): SynthesizedStateMachine {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const definition = unescapeIntrinsicLiterals(
    JSON.parse(resolveIntrinsic(machines[0]?.Properties?.DefinitionString, template)),
  ) as StateMachineDefinition;

  const entryByArn = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const entry = resource.Metadata?.[HANDLER_ENTRY_METADATA];
    if (resource.Type === 'AWS::Lambda::Function' && typeof entry === 'string') {
      entryByArn.set(`arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${logicalId}`, entry);
    }
  }
  const taskHandlers: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    // payloadResponseOnly tasks name the function as Resource; lambda:invoke tasks in Parameters.FunctionName.
    const parameters = state.Parameters as Record<string, unknown> | undefined;
    const arn = state.Resource?.startsWith('arn:aws:lambda:') ? state.Resource : String(parameters?.FunctionName ?? '');
    const entry = entryByArn.get(arn);
    if (!entry) throw new Error(`task ${name} does not invoke a known house function (${arn})`);
    taskHandlers[name] = entry;
  }
  return { definition, taskHandlers };
}

const cache = new Map<string, Promise<SynthesizedStateMachine>>();

/**
 * Synthesizes the control-plane stack in-process (no bundling, no validation plugins: ~1–2 s) and
 * returns the provisioner's runnable definition plus the handler behind each task. Cached per options.
 */
export function synthesizeStateMachine(options: StateMachineDefinitionOptions = {}): Promise<SynthesizedStateMachine> {
  const key = JSON.stringify(options.config ?? {});
  let result = cache.get(key);
  if (!result) {
    result = Promise.resolve().then(() => {
      const base = cdkJsonContext();
      const app = new App({
        context: {
          ...base,
          [CONFIG_CONTEXT_KEY]: { ...(base[CONFIG_CONTEXT_KEY] as object | undefined), ...options.config },
          'aws:cdk:bundling-stacks': [],
        },
        builtinCloudFormationValidation: false,
      });
      const stack = createControlPlane(app, { nag: false });
      const template = app.synth().getStackByName(stack.stackName).template as Template;
      return definitionFromTemplate(template);
    });
    cache.set(key, result);
    result.catch(() => cache.delete(key));
  }
  return result;
}
