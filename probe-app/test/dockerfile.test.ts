import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const probeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(probeDir, file), 'utf8');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits the Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const name = /\bAS\s+(\S+)$/i.exec(args)?.[1];
      stages.push({ from: args, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1) as Stage;
const argsOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('probe-app Dockerfile', () => {
  it('is multi-stage, every stage on Node 24 slim from the ECR public mirror, for linux/amd64 (X86_64 tasks)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      expect(stage.from).toMatch(/^--platform=linux\/amd64 public\.ecr\.aws\/docker\/library\/node:24-slim AS \S+$/);
    }
  });

  it('compiles TypeScript in a build stage', () => {
    const build = stages.find((s) => argsOf(s, 'RUN').some((r) => r.includes('npm run build')));

    expect(build).toBeDefined();
    expect(build).not.toBe(runtime);
    expect(argsOf(build as Stage, 'RUN').some((r) => /npm ci(?!.*--omit=dev)/.test(r))).toBe(true);
  });

  it('runtime stage holds only production dependencies and dist, chowned to a non-root user', () => {
    const copies = argsOf(runtime, 'COPY');
    const depsStage = stages.find((s) =>
      copies.some((c) => c.includes(`--from=${s.name} `) && c.includes('node_modules')),
    );

    expect(argsOf(runtime, 'RUN')).toEqual([]);
    expect(copies.every((c) => c.includes('--chown=node:node'))).toBe(true);
    expect(copies.map((c) => c.split(/\s+/).at(-2))).toEqual(['/app/node_modules', '/app/dist', 'package.json']);
    expect(argsOf(depsStage as Stage, 'RUN').join(' ')).toMatch(/npm ci .*--omit=dev/);
    expect(argsOf(runtime, 'USER')).toEqual(['node']);
    expect(argsOf(runtime, 'WORKDIR')).toEqual(['/app']);
    expect(argsOf(runtime, 'ENV')).toContain('NODE_ENV=production');
  });

  it('starts the compiled server with an exec-form CMD that matches the build output', () => {
    const cmd = argsOf(runtime, 'CMD');
    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string } };
    const pkg = JSON.parse(read('package.json')) as { main: string };

    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0] as string)).toEqual(['node', 'dist/server.js']);
    expect(pkg.main).toBe(`${tsconfig.compilerOptions.outDir}/server.js`);
    expect(argsOf(runtime, 'HEALTHCHECK')[0]).toMatch(/CMD \[.*\/health/);
  });

  it('.dockerignore keeps node_modules, dist and tests out of the build context', () => {
    const lines = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));

    expect(lines[0]).toBe('*');
    expect(lines.slice(1).sort()).toEqual(['!package-lock.json', '!package.json', '!src/', '!tsconfig.json']);
  });
});
