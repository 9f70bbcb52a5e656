import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildControlPlane } from './synth.js';

/**
 * cfn-lint checks ignored on the synthesized template, each with its reason:
 * - W3005: CDK adds DependsOn entries that are also implied by Ref/GetAtt (redundant, harmless).
 */
const IGNORED_CFN_LINT_CHECKS = ['W3005'];

describe('synthesized control plane', () => {
  it('passes cfn-lint with no error and no unexplained warning', () => {
    const { app, stack, outdir } = buildControlPlane();
    app.synth();
    const templatePath = path.join(outdir, stack.templateFile);

    let output = '';
    let status = 0;
    try {
      output = execFileSync(
        'cfn-lint',
        ['--format', 'parseable', '--ignore-checks', ...IGNORED_CFN_LINT_CHECKS, '--', templatePath],
        {
          encoding: 'utf8',
        },
      );
    } catch (error) {
      const e = error as { status: number; stdout: string };
      status = e.status;
      output = e.stdout;
    }
    expect(output.trim(), output).toBe('');
    expect(status).toBe(0);
  });

  it('reports no unacknowledged cdk-nag AwsSolutions finding, and every acknowledgement has a reason', () => {
    const { app, outdir } = buildControlPlane({ nag: true });
    let failure: Error | undefined;
    try {
      app.synth();
    } catch (error) {
      failure = error as Error;
    }
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: {
        pluginName: string;
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
        suppressedViolations: unknown[];
      }[];
    };
    const nag = report.pluginReports.find((r) => r.pluginName.includes('AwsSolutions'));
    const unacknowledged = (nag?.violations ?? []).flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`),
    );
    expect(unacknowledged).toEqual([]);
    expect(failure).toBeUndefined();
    expect(nag?.suppressedViolations.length).toBeGreaterThan(0);

    const reasons = app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(reasons.length).toBeGreaterThan(0);
    for (const [rule, reason] of reasons) expect(reason.length, rule).toBeGreaterThan(30);
  });
});
