import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { REPO_ROOT } from '../control-plane/config.js';
import { HANDLER_ENTRY_METADATA } from '../control-plane/constructs/house-function.js';
import { bundleFunction } from '../control-plane/lambda-bundle.js';
import type { ControlPlaneTemplate } from '../local/control-plane-template.js';
import { percentile } from './stats.js';

/**
 * The Lambda bundles as deployed: each function's entry built by control-plane/lambda-bundle.ts (the house
 * function's build) into a temporary folder; its minified size without the source map, what fills it (by
 * package), and its cold initialisation: in a fresh `node` process (this Node, the Lambda runtime's major) with
 * the function's environment, the wall and CPU time of importing the bundle, which builds the handler (median of
 * `runs`). The same is measured with the source map linked and `--enable-source-maps`, the choice not taken.
 */
export interface LambdaFunctionInfo {
  readonly entry: string;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, string>>;
}

/** The functions of the synthesized control plane: entry, memory and environment (references as placeholders). */
export function functionsOf(template: ControlPlaneTemplate): LambdaFunctionInfo[] {
  const byEntry = new Map<string, LambdaFunctionInfo>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const entry = resource.Metadata?.[HANDLER_ENTRY_METADATA];
    if (typeof entry !== 'string' || byEntry.has(entry)) continue;
    const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    const environment = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [
        name,
        typeof value === 'string' || typeof value === 'number' ? String(value) : `placeholder-${logicalId}-${name}`,
      ]),
    );
    byEntry.set(entry, { entry, memoryMb: Number(resource.Properties?.MemorySize ?? 128), environment });
  }
  return [...byEntry.values()].sort((a, b) => a.entry.localeCompare(b.entry));
}

/** Output bytes by package (`@aws-sdk/client-ec2`, `zod`, …; `(project)` for the repository's own code). */
export function bytesByPackage(metafile: Metafile): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const lastModules = input.lastIndexOf('node_modules/');
      const name =
        lastModules < 0
          ? '(project)'
          : (/^((?:@[^/]+\/)?[^/]+)/.exec(input.slice(lastModules + 'node_modules/'.length))?.[1] ?? input);
      totals[name] = (totals[name] ?? 0) + bytesInOutput;
    }
  }
  return totals;
}

export interface ColdInit {
  /** Median wall time of the import, ms; NaN if it failed. */
  readonly ms: number;
  /** Median CPU time (user + system) of the import, ms: steadier than wall time on a loaded machine. */
  readonly cpuMs: number;
  readonly runsMs: readonly number[];
  readonly error?: string;
}

export interface BundleResult {
  readonly entry: string;
  /** What loads at start-up: `index.mjs` and the chunks it imports statically. */
  readonly bytes: number;
  /** All the code, the chunks loaded on demand too. */
  readonly totalBytes: number;
  readonly sourceMapBytes: number;
  /** Largest contributors, bytes. */
  readonly topPackages: readonly { name: string; bytes: number }[];
  /** As deployed: source map not loaded. */
  readonly coldInit: ColdInit;
  /** With the map linked and `--enable-source-maps`. */
  readonly coldInitWithSourceMaps: ColdInit;
}

export interface BundleVariant {
  readonly label: string;
  /** Extra esbuild externals (e.g. the runtime's own AWS SDK). */
  readonly external: readonly string[];
}

/** Imports `file` in a fresh process and prints how long that took (wall and CPU), or exits non-zero. */
const IMPORT_PROBE = `
const [file] = process.argv.slice(1);
const wall = performance.now();
const cpu = process.cpuUsage();
const m = await import(file);
if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ ms: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 }));
`;

function measureColdInit(file: string, env: NodeJS.ProcessEnv, runs: number, nodeArgs: readonly string[]): ColdInit {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const run = spawnSync(
      process.execPath,
      [...nodeArgs, '--input-type=module', '-e', IMPORT_PROBE, pathToFileURL(file).href],
      { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (run.status !== 0) {
      const error = (run.stderr ?? '').trim().split('\n').slice(-3).join(' | ').slice(0, 300);
      return { ms: Number.NaN, cpuMs: Number.NaN, runsMs: wall, error };
    }
    const sample = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { ms: number; cpuMs: number };
    wall.push(sample.ms);
    cpu.push(sample.cpuMs);
  }
  return { ms: percentile(wall, 50), cpuMs: percentile(cpu, 50), runsMs: wall };
}

/** A copy of the bundle whose files link their source maps (what `--enable-source-maps` would read). */
function withLinkedSourceMaps(outfile: string): string {
  const dir = path.dirname(outfile);
  const linked = `${dir}-linked`;
  cpSync(dir, linked, { recursive: true });
  for (const file of readdirSync(linked).filter((name) => name.endsWith('.mjs'))) {
    appendFileSync(path.join(linked, file), `\n//# sourceMappingURL=${file}.map\n`);
  }
  return path.join(linked, path.basename(outfile));
}

/** One function's bundle as deployed (control-plane/lambda-bundle.ts), with its size and its source map's. */
export async function buildBundle(entry: string, outDir: string, extraExternal: readonly string[] = []) {
  const { outfile, metafile, startupBytes, totalBytes } = await bundleFunction(entry, outDir, {
    external: extraExternal,
  });
  return { outfile, bytes: startupBytes, totalBytes, sourceMapBytes: statSync(`${outfile}.map`).size, metafile };
}

export async function measureBundles(
  functions: readonly LambdaFunctionInfo[],
  options: { runs: number; runsWithSourceMaps: number; onBundle?: (result: BundleResult) => void },
): Promise<BundleResult[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'dsenv-bench-bundles-'));
  const results: BundleResult[] = [];
  try {
    for (const [index, fn] of functions.entries()) {
      const bundle = await buildBundle(fn.entry, path.join(root, String(index)));
      const topPackages = Object.entries(bytesByPackage(bundle.metafile))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([name, bytes]) => ({ name, bytes }));
      const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...fn.environment };
      const result: BundleResult = {
        entry: fn.entry,
        bytes: bundle.bytes,
        totalBytes: bundle.totalBytes,
        sourceMapBytes: bundle.sourceMapBytes,
        topPackages,
        coldInit: measureColdInit(bundle.outfile, env, options.runs, []),
        coldInitWithSourceMaps: measureColdInit(withLinkedSourceMaps(bundle.outfile), env, options.runsWithSourceMaps, [
          '--enable-source-maps',
        ]),
      };
      results.push(result);
      options.onBundle?.(result);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}

/** A function built with extra externals: its size and its cold init with the externals loaded from node_modules. */
export interface VariantResult {
  readonly entry: string;
  readonly bytes: number;
  readonly coldInit: ColdInit;
}

/**
 * Every bundle built with extra externals (the what-if of the runtime's own SDK): size and cold init. The bundle is
 * written under the repository's node_modules/.cache, so the externals resolve to the installed packages, loaded
 * unbundled as the runtime would load its own copy.
 */
export async function measureVariant(
  functions: readonly LambdaFunctionInfo[],
  variant: BundleVariant,
  runs: number,
): Promise<{ label: string; results: VariantResult[] }> {
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const root = mkdtempSync(path.join(cache, 'dsenv-bench-variant-'));
  try {
    const results: VariantResult[] = [];
    for (const [index, fn] of functions.entries()) {
      const bundle = await buildBundle(fn.entry, path.join(root, String(index)), variant.external);
      const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...fn.environment };
      results.push({ entry: fn.entry, bytes: bundle.bytes, coldInit: measureColdInit(bundle.outfile, env, runs, []) });
    }
    return { label: variant.label, results };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
