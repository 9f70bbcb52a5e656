import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** `npm run lint` as a test, so CI (which runs `npm test`) enforces one formatter/linter and the type checker. */
describe('repository hygiene', () => {
  it('passes biome (format and lint) and the TypeScript type check of every project', async () => {
    const result = await run('npm', ['run', '--silent', 'lint'], { maxBuffer: 32 * 1024 * 1024 }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? 1,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`.slice(-4000),
      }),
    );
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 240_000);
});
