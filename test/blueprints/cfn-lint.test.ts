import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BLUEPRINT_DIR, BLUEPRINT_FILES } from '../../blueprints/template-loader.js';

const run = promisify(execFile);

interface LintFinding {
  Rule: { Id: string };
  Message: string;
  Filename: string;
  Location: { Start: { LineNumber: number } };
}

/** Runs cfn-lint (informational checks included) and returns its findings; exit codes 2/4/8 mean findings. */
const lint = async (paths: string[]): Promise<LintFinding[]> => {
  try {
    const { stdout } = await run('cfn-lint', ['--format', 'json', '--include-checks', 'I', '--', ...paths]);
    return JSON.parse(stdout || '[]') as LintFinding[];
  } catch (error) {
    const { stdout, code } = error as { stdout?: string; code?: number };
    if (stdout === undefined || stdout === '' || code === undefined || code === 1) throw error;
    return JSON.parse(stdout) as LintFinding[];
  }
};

describe('cfn-lint', () => {
  it('reports no error, warning or informational finding on any of the four templates', async () => {
    // Prepare
    const paths = Object.values(BLUEPRINT_FILES).map((file) => join(BLUEPRINT_DIR, file));

    // Act
    const findings = await lint(paths);

    // Assess
    const described = findings.map((f) => `${f.Rule.Id} ${f.Filename}:${f.Location.Start.LineNumber} ${f.Message}`);
    expect(described).toEqual([]);
  });

  it('does catch a broken template, so a clean result means something', async () => {
    // Prepare: a subnet with a misspelt property and a Ref to nothing.
    const dir = mkdtempSync(join(tmpdir(), 'dsenv-lint-'));
    const path = join(dir, 'broken.yaml');
    writeFileSync(
      path,
      [
        'Resources:',
        '  Subnet:',
        '    Type: AWS::EC2::Subnet',
        '    Properties:',
        '      VpcIdd: !Ref Nothing',
        '',
      ].join('\n'),
    );

    // Act
    const findings = await lint([path]);

    // Assess
    expect(findings.filter((f) => f.Rule.Id.startsWith('E')).length).toBeGreaterThan(0);
  });
});
