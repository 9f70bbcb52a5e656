import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Renders a (possibly tokenized) IAM resource the way cdk-nag names it in its granular findings. */
function nagForm(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = v['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(nagForm).join(join[0]);
    }
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 findings for the given wildcard resources on `scope`
 * (a role, a function or a parent construct), each with the same reason.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const rendered = nagForm(stack.resolve(resource));
    if (!rendered.includes('*')) continue;
    Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${rendered}]`, reason });
  }
}

/** Acknowledges cdk-nag's AwsSolutions-IAM4 finding for one AWS managed policy on `scope`. */
export function acknowledgeManagedPolicy(scope: IConstruct, policyName: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`,
    reason,
  });
}
