import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeControlPlane } from '../../local/control-plane-template.js';
import { type EventPattern, matchesPattern } from '../../local/event-pattern.js';
import { type EventRule, eventRulesFromTemplate } from '../../local/eventbridge-stand-in.js';
import stackStatusChange from '../fixtures/workflow/stack-status-change.json' with { type: 'json' };

/** The synthesized stack-status rule, read as local mode reads it, against events of the AWS shape. */
let rule: EventRule;

beforeAll(() => {
  const rules = eventRulesFromTemplate(synthesizeControlPlane().template);
  expect(rules).toHaveLength(1);
  rule = rules[0] as EventRule;
}, 120_000);

const withStack = (stackId: string, status = 'CREATE_COMPLETE') => ({
  ...stackStatusChange,
  resources: [stackId],
  detail: { ...stackStatusChange.detail, 'stack-id': stackId, 'status-details': { status, 'status-reason': '' } },
});
const ROOT =
  'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-3k9x0q2m7ab1/d0a825a0-e4cd-4b2f-b9fb-061c69e99204';

describe('the stack-status rule', () => {
  it('targets the stack-event handler and matches a root stack’s terminal status event', () => {
    expect(rule.targetEntry).toBe('functions/workflow/stack-event.ts');
    expect(matchesPattern(rule.pattern, stackStatusChange)).toBe(true);
    for (const status of ['CREATE_FAILED', 'ROLLBACK_COMPLETE', 'DELETE_COMPLETE', 'DELETE_FAILED']) {
      expect(matchesPattern(rule.pattern, withStack(ROOT, status)), status).toBe(true);
    }
  });

  it('leaves out nested stacks, progress statuses, other stacks and other sources', () => {
    const nested =
      'arn:aws:cloudformation:us-east-1:123456789012:stack/dsenv-env-3k9x0q2m7ab1-NetworkStack-1XY2Z3/e1f2a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b';
    expect(matchesPattern(rule.pattern, withStack(nested))).toBe(false);
    expect(matchesPattern(rule.pattern, withStack(ROOT, 'CREATE_IN_PROGRESS'))).toBe(false);
    expect(matchesPattern(rule.pattern, withStack(ROOT, 'DELETE_IN_PROGRESS'))).toBe(false);
    const other = 'arn:aws:cloudformation:us-east-1:123456789012:stack/SC-123456789012-pp-abc/e1f2a3b4';
    expect(matchesPattern(rule.pattern, withStack(other))).toBe(false);
    const otherAccount = ROOT.replace('123456789012', '210987654321');
    expect(matchesPattern(rule.pattern, withStack(otherAccount))).toBe(false);
    expect(matchesPattern(rule.pattern, { ...stackStatusChange, source: 'aws.ec2' })).toBe(false);
  });
});

describe('matchesPattern', () => {
  it('implements exact values, prefix, suffix, wildcard, exists and anything-but', () => {
    const pattern: EventPattern = {
      a: ['x', 'y'],
      b: [{ prefix: 'pre-' }],
      c: [{ suffix: '.png' }],
      d: [{ wildcard: 'a*c' }],
      e: [{ exists: false }],
      f: [{ 'anything-but': ['no', 'never'] }],
      g: { h: [{ 'anything-but': { prefix: 'tmp' } }] },
    };
    const event = { a: 'y', b: 'pre-1', c: 'i.png', d: 'abbc', f: 'yes', g: { h: 'keep' } };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, a: 'z' })).toBe(false);
    expect(matchesPattern(pattern, { ...event, d: 'abbd' })).toBe(false);
    expect(matchesPattern(pattern, { ...event, e: 1 })).toBe(false);
    expect(matchesPattern(pattern, { ...event, f: 'never' })).toBe(false);
    expect(matchesPattern(pattern, { ...event, g: { h: 'tmp-1' } })).toBe(false);
    // An array field matches when any element does.
    expect(matchesPattern({ r: [{ prefix: 'arn:' }] }, { r: ['x', 'arn:1'] })).toBe(true);
  });

  it('throws on an operator it does not implement, rather than mismatching silently', () => {
    expect(() => matchesPattern({ n: [{ numeric: ['>', 1] }] }, { n: 2 })).toThrow(/unsupported/);
  });
});
