import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allFunctionLengths, functionLengths } from './function-length.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIRS = ['functions', 'control-plane', 'local', 'bench'] as const;
const MAX_LINES = 80;

/**
 * Functions still over MAX_LINES, each with the reason. The list only shrinks: an entry whose function is short now
 * (or gone) fails the test until it is removed.
 */
const ALLOWED_LONG: Readonly<Record<string, string>> = {};

describe('function length', () => {
  const lengths = allFunctionLengths(ROOT, DIRS);
  const long = lengths.filter((f) => f.lines > MAX_LINES);

  it(`no function in ${DIRS.join(', ')} is over ${MAX_LINES} lines except the allowed ones`, () => {
    const unexpected = long.filter((f) => ALLOWED_LONG[f.key] === undefined).map((f) => `${f.key} (${f.lines} lines)`);
    expect(unexpected, 'split these into named steps').toEqual([]);
  });

  it('every allowed function is still long (the allow-list only shrinks)', () => {
    const longKeys = new Set(long.map((f) => f.key));
    const stale = Object.keys(ALLOWED_LONG).filter((key) => !longKeys.has(key));
    expect(stale, 'remove these from ALLOWED_LONG').toEqual([]);
  });

  it('measures declarations, methods, constructors and assigned arrow functions, nested ones too', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const source = [
      `export function outer(): void {\n${body(3)}\n  const inner = () => {\n${body(2)}\n  };\n  inner();\n}`,
      `class Thing {\n  constructor() {\n${body(1)}\n  }\n  method(): void {}\n}`,
    ].join('\n');

    const measured = Object.fromEntries(functionLengths('x.ts', source).map((f) => [f.key, f.lines]));

    expect(measured).toEqual({
      'x.ts:outer': 10,
      'x.ts:inner': 4,
      'x.ts:Thing.constructor': 3,
      'x.ts:Thing.method': 1,
    });
  });
});
