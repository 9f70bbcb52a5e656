/**
 * EventBridge event-pattern matching for local mode: the rules of the synthesized template decide which events
 * reach their targets, as on AWS. Covers exact values, `prefix`, `suffix`, `wildcard`, `exists` and `anything-but`
 * (of values, or of a `prefix`/`suffix`/`wildcard`), nested objects, and array fields (any element may match).
 * Any other operator throws, so a rule that starts using one is noticed rather than silently mismatched.
 */
export type EventPattern = { readonly [key: string]: readonly unknown[] | EventPattern };

type Operator = Record<string, unknown>;

function wildcardRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

function matchesStringOperator(operator: Operator, value: unknown): boolean | undefined {
  if (typeof value !== 'string') return undefined;
  if (typeof operator.prefix === 'string') return value.startsWith(operator.prefix);
  if (typeof operator.suffix === 'string') return value.endsWith(operator.suffix);
  if (typeof operator.wildcard === 'string') return wildcardRegExp(operator.wildcard).test(value);
  return undefined;
}

function matchesAnythingBut(excluded: unknown, value: unknown): boolean {
  if (value === undefined) return false;
  if (Array.isArray(excluded)) return !excluded.includes(value);
  if (excluded !== null && typeof excluded === 'object') {
    const operator = excluded as Operator;
    const wildcards = Array.isArray(operator.wildcard) ? (operator.wildcard as unknown[]) : [operator.wildcard];
    if (operator.wildcard !== undefined) {
      return typeof value === 'string' && !wildcards.some((w) => wildcardRegExp(String(w)).test(value));
    }
    const matched = matchesStringOperator(operator, value);
    if (matched === undefined) throw new Error(`unsupported anything-but operator: ${JSON.stringify(excluded)}`);
    return !matched;
  }
  return value !== excluded;
}

function matchesCondition(condition: unknown, value: unknown): boolean {
  if (condition === null || typeof condition !== 'object') return value === condition;
  const operator = condition as Operator;
  if ('anything-but' in operator) return matchesAnythingBut(operator['anything-but'], value);
  if ('exists' in operator) return operator.exists ? value !== undefined : value === undefined;
  const matched = matchesStringOperator(operator, value);
  if (matched !== undefined) return matched;
  if ('prefix' in operator || 'suffix' in operator || 'wildcard' in operator) return false;
  throw new Error(`unsupported event-pattern operator: ${JSON.stringify(condition)}`);
}

/** Whether `event` matches `pattern` (every field of the pattern; any of a field's conditions). */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const fields = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const value = typeof fields === 'object' ? fields[key] : undefined;
    if (!Array.isArray(expected)) return matchesPattern(expected as EventPattern, value);
    const values = Array.isArray(value) ? (value.length > 0 ? value : [undefined]) : [value];
    return expected.some((condition) => values.some((v) => matchesCondition(condition, v)));
  });
}
