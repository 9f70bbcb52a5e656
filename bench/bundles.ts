import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { HANDLER_ENTRY_METADATA, HOUSE_BUNDLING } from '../control-plane/constructs/house-function.js';
import type { ControlPlaneTemplate } from '../local/control-plane-template.js';
import { REPO_ROOT } from '../local/lambda-runtime.js';
import { percentile } from './stats.js';

/**
 * The Lambda bundles as deployed: each function's entry built with the house function's esbuild options
 * (HOUSE_BUNDLING) into a temporary folder; its minified size without the source map, what fills it (by
 * package), and its cold initialisation: a fresh `node` process importing the bundle (with the function's
 * environment, NODE_OPTIONS included), minus a bare `node` start, median of `runs`.
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

export interface BundleResult {
  readonly entry: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Largest contributors, bytes. */
  readonly topPackages: readonly { name: string; bytes: number }[];
  /** Median cold initialisation (import in a fresh process minus a bare start), ms; NaN if the import failed. */
  readonly coldInitMs: number;
  readonly coldInitRunsMs: readonly number[];
  readonly importError?: string;
}

export interface BundleVariant {
  readonly label: string;
  /** Extra esbuild externals (e.g. the runtime's own AWS SDK). */
  readonly external: readonly string[];
}

function timeNode(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { ms: number; status: number | null; stderr: string } {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  return { ms: performance.now() - started, status: run.status, stderr: run.stderr ?? '' };
}

/** Median wall time of a bare `node -e ""`, ms. */
export function bareNodeStartMs(runs: number): number {
  return percentile(
    Array.from({ length: runs }, () => timeNode(['-e', ''], {}).ms),
    50,
  );
}

export async function buildBundle(entry: string, outDir: string, extraExternal: readonly string[] = []) {
  const outfile = path.join(outDir, 'index.mjs');
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: HOUSE_BUNDLING.format === 'esm' ? 'esm' : 'cjs',
    target: HOUSE_BUNDLING.target,
    mainFields: HOUSE_BUNDLING.mainFields,
    minify: HOUSE_BUNDLING.minify,
    sourcemap: HOUSE_BUNDLING.sourceMap,
    banner: { js: HOUSE_BUNDLING.banner },
    external: [...HOUSE_BUNDLING.externalModules, ...extraExternal],
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  const mapFile = `${outfile}.map`;
  return {
    outfile,
    bytes: statSync(outfile).size,
    sourceMapBytes: HOUSE_BUNDLING.sourceMap ? statSync(mapFile).size : 0,
    metafile: result.metafile,
  };
}

export async function measureBundles(
  functions: readonly LambdaFunctionInfo[],
  options: { runs: number; bareStartMs: number; onBundle?: (result: BundleResult) => void },
): Promise<BundleResult[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'dsenv-bench-bundles-'));
  const results: BundleResult[] = [];
  try {
    for (const [index, fn] of functions.entries()) {
      const outDir = path.join(root, String(index));
      const bundle = await buildBundle(fn.entry, outDir);
      const packages = Object.entries(bytesByPackage(bundle.metafile))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([name, bytes]) => ({ name, bytes }));
      const url = pathToFileURL(bundle.outfile).href;
      const script = `import(${JSON.stringify(url)}).then((m) => { if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); } })`;
      const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...fn.environment };
      const runs: number[] = [];
      let importError: string | undefined;
      for (let i = 0; i < options.runs; i += 1) {
        const run = timeNode(['-e', script], env);
        if (run.status !== 0) {
          importError = run.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
          break;
        }
        runs.push(run.ms - options.bareStartMs);
      }
      const result: BundleResult = {
        entry: fn.entry,
        bytes: bundle.bytes,
        sourceMapBytes: bundle.sourceMapBytes,
        topPackages: packages,
        coldInitMs: importError ? Number.NaN : percentile(runs, 50),
        coldInitRunsMs: runs,
        ...(importError ? { importError } : {}),
      };
      results.push(result);
      options.onBundle?.(result);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}

/** Sizes of every bundle built with extra externals (for the report's what-if: the runtime's own SDK). */
export async function measureVariant(
  functions: readonly LambdaFunctionInfo[],
  variant: BundleVariant,
): Promise<{ label: string; bytes: Record<string, number> }> {
  const root = mkdtempSync(path.join(tmpdir(), 'dsenv-bench-variant-'));
  try {
    const bytes: Record<string, number> = {};
    for (const [index, fn] of functions.entries()) {
      bytes[fn.entry] = (await buildBundle(fn.entry, path.join(root, String(index)), variant.external)).bytes;
    }
    return { label: variant.label, bytes };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
