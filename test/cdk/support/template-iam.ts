/**
 * Reads a synthesized template the way AWS would see it once deployed: intrinsic functions resolved to plausible
 * names and ARNs (one account, one region), and an IAM policy evaluator good enough for the statements CDK writes
 * (Allow/Deny, `*` and `?` wildcards, StringEquals/StringLike conditions).
 */

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

// biome-ignore lint/suspicious/noExplicitAny: template properties are untyped JSON
export type TemplateResource = { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, unknown> };
export type TemplateResources = Record<string, TemplateResource>;

const PSEUDO: Record<string, string> = {
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'DsenvControlPlane',
};

/** What `Ref` answers for a resource type (a name by default, an ARN where CloudFormation gives one). */
function refOf(id: string, type: string | undefined): string {
  if (type === 'AWS::StepFunctions::StateMachine') return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
  return id;
}

/** What `Fn::GetAtt` answers. */
function attributeOf(id: string, type: string | undefined, attribute: string): string {
  if (attribute === 'Arn') {
    switch (type) {
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${ACCOUNT}:role/${id}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${id}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${id}`;
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${id}`;
      default:
        return `arn:aws:unknown:${REGION}:${ACCOUNT}:${id}`;
    }
  }
  if (attribute === 'RegionalDomainName') return `${id}.s3.${REGION}.amazonaws.com`;
  return `${id}-${attribute}`;
}

/** Resolves the intrinsic functions CDK writes (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split). */
export function intrinsicResolver(resources: TemplateResources): (value: unknown) => unknown {
  const reference = (name: string): string => {
    const [id = '', attribute] = name.split('.');
    if (PSEUDO[name] !== undefined) return PSEUDO[name];
    const type = resources[id]?.Type;
    return attribute === undefined ? refOf(id, type) : attributeOf(id, type, attribute);
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return reference(v.Ref);
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return reference(`${getAtt[0]}.${getAtt[1]}`);
    const join = v['Fn::Join'];
    if (Array.isArray(join)) return (resolve(join[1]) as unknown[]).map(String).join(String(join[0]));
    const sub = v['Fn::Sub'];
    if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => reference(name));
    const select = v['Fn::Select'];
    if (Array.isArray(select)) return (resolve(select[1]) as unknown[])[Number(select[0])];
    const split = v['Fn::Split'];
    if (Array.isArray(split)) return String(resolve(split[1])).split(String(split[0]));
    return Object.fromEntries(Object.entries(v).map(([key, inner]) => [key, resolve(inner)]));
  };
  return resolve;
}

export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: Record<string, Record<string, string | string[]>>;
}

/** One authorisation request, as IAM evaluates a call (plus the context keys a condition may test). */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

const asList = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];

/** The statements of every AWS::IAM::Policy attached to the role, resolved. */
export function statementsOfRole(resources: TemplateResources, roleId: string): Statement[] {
  const resolve = intrinsicResolver(resources);
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        asList(r.Properties?.Roles).some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })),
    )
    .flatMap((policy) => asList(policy.Properties?.PolicyDocument?.Statement))
    .map((raw: Record<string, unknown>) => ({
      effect: raw.Effect as 'Allow' | 'Deny',
      actions: asList(raw.Action as string | string[]),
      resources: asList(resolve(raw.Resource) as string | string[]),
      ...(raw.Condition ? { condition: resolve(raw.Condition) as Statement['condition'] } : {}),
    }));
}

function wildcardMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function conditionHolds(condition: Statement['condition'], context: IamRequest['context']): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    if (operator !== 'StringEquals' && operator !== 'StringLike') return false;
    for (const [key, expected] of Object.entries(keys)) {
      const actual = context?.[key];
      if (actual === undefined) return false;
      const ok = asList(expected).some((e) =>
        operator === 'StringEquals' ? e === actual : wildcardMatches(e, actual),
      );
      if (!ok) return false;
    }
  }
  return true;
}

function statementMatches(statement: Statement, request: IamRequest): boolean {
  return (
    statement.actions.some((a) => wildcardMatches(a, request.action, true)) &&
    statement.resources.some((r) => wildcardMatches(r, request.resource)) &&
    conditionHolds(statement.condition, request.context)
  );
}

/** IAM's answer for one request: an explicit Deny wins, otherwise some Allow must match. */
export function isAllowed(statements: readonly Statement[], request: IamRequest): boolean {
  const matching = statements.filter((s) => statementMatches(s, request));
  return matching.some((s) => s.effect === 'Allow') && !matching.some((s) => s.effect === 'Deny');
}
