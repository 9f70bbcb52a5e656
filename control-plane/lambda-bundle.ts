import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { REPO_ROOT } from './config.js';

/** The file every function's code asset holds (its handler is `index.handler`). */
export const BUNDLE_FILE = 'index.mjs';

/** What every function's bundle (minified, source map apart) should weigh at most, bytes (`npm run bench`). */
export const BUNDLE_TARGET_BYTES = 400_000;

/**
 * What no bundle's start-up code may grow past, bytes (test/cdk/lambda-bundles.test.ts): the target, so that a
 * change that drags a client or a library into a function fails a test.
 */
export const BUNDLE_CEILING_BYTES = BUNDLE_TARGET_BYTES;

/** What a function's cold initialisation (importing its bundle, which builds the handler) should take, ms. */
export const COLD_INIT_TARGET_MS = 100;

/** esbuild output is ESM; this banner gives bundled CommonJS dependencies a `require`. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __dsenvCreateRequire } from 'node:module'; const require = __dsenvCreateRequire(import.meta.url);";

/**
 * The SDK's generated schemas (`@aws-sdk/client-* /dist-es/schemas/schemas_0.js`) write trait keys as computed
 * properties (`{ [_xN]: _Fil }`, `_xN` a string constant of the same file). esbuild must assume a computed key may
 * run code, so it keeps every schema of the service: 550 kB of EC2 in a bundle that sends four EC2 commands
 * (aws/aws-sdk-js-v3#7607; the code generator's fix, smithy-lang/smithy-typescript#1889, emits literal keys).
 * This plugin makes the same change while bundling: a computed key naming one of the file's string constants
 * becomes that string. Nothing else changes, so the schemas mean exactly what they meant.
 */
export const literalSchemaTraitKeys: Plugin = {
  name: 'literal-schema-trait-keys',
  setup(builder) {
    const schemaFile = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
    builder.onLoad({ filter: schemaFile }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const strings = new Map<string, string>();
      for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) {
        if (name !== undefined && literal !== undefined) strings.set(name, literal);
      }
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
        const literal = strings.get(name);
        return literal === undefined ? key : `${literal}:`;
      });
      return { contents, loader: 'js' };
    });
  },
};

/**
 * Each SDK client imports its whole `package.json` (about 2 kB: scripts, dependencies, …) to read one field, its
 * `version`, for the user agent (`packageInfo.version` is the only use in `@aws-sdk/client-* /dist-es`). A default
 * import of JSON keeps every field, so this plugin loads that file as its name and version only.
 */
export const clientPackageVersionOnly: Plugin = {
  name: 'client-package-version-only',
  setup(builder) {
    const clientPackage = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;
    builder.onLoad({ filter: clientPackage }, async (args) => {
      const { name, version } = JSON.parse(await readFile(args.path, 'utf8')) as { name: string; version: string };
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

/**
 * An ESM `import … from 'node:http'` makes Node build the module's ESM facade, which reads every export, including
 * the lazy ones: for `node:http` that loads Node's copy of undici (its `WebSocket`, …), about 40 ms of CPU, the
 * largest single part of a function's cold init; `node:https` builds its global agent, `node:fs` its watchers.
 * `require()` returns the module object without reading anything. This plugin gives every static ESM import of a
 * built-in a module of the bundle that takes the built-in with the banner's `require` and re-exports its exports,
 * each read on its own (marked pure): the bundle keeps, and reads at start-up, only those it imports. A dynamic
 * `import('node:…')` stays as it is: it needs the whole namespace, and it loads only when it runs (the SDK's
 * `import('node:http')` runs for an `http:` endpoint only, never for AWS's).
 */
export const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(builder) {
    const builtins = new Set(builtinModules);
    builder.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'import-statement' || !builtins.has(name)) return undefined;
      return { path: `node:${name}`, namespace: 'builtin-through-require' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({
      contents: builtinModuleSource(args.path),
      loader: 'js',
    }));
  },
};

const bundlerRequire = createRequire(import.meta.url);

/** `const m = require('node:x'); export default m; export { … }` with each export of the built-in (Node's own). */
function builtinModuleSource(specifier: string): string {
  const names = Object.keys(Object.getOwnPropertyDescriptors(bundlerRequire(specifier))).filter((n) => n !== 'default');
  return [
    `const m = require(${JSON.stringify(specifier)});`,
    'export default m;',
    ...names.map((name, i) => `const e${i} = /* @__PURE__ */ (() => m[${JSON.stringify(name)}])();`),
    `export { ${names.map((name, i) => `e${i} as ${JSON.stringify(name)}`).join(', ')} };`,
  ].join('\n');
}

/** The module every bundle takes the SDK's default credential chain from (credentials from the environment). */
export const ENV_CREDENTIALS_MODULE = path.join(REPO_ROOT, 'functions', 'shared', 'clients', 'credentials.ts');

/**
 * In Lambda the credentials are always in the environment (the execution role's, set before the handler loads),
 * and every house client names them (`functions/shared/clients/credentials.ts`). Each SDK client still imports the
 * whole default chain (`@aws-sdk/credential-provider-node`: profiles, SSO, web identity, processes, container and
 * instance metadata, with their nested STS/SSO clients, about 95 kB) for the case it is given none. This plugin
 * resolves that package to the environment provider, so a client built without credentials (a library's) reads
 * the environment as well and the unused chain stays out.
 */
export const environmentCredentialsOnly: Plugin = {
  name: 'environment-credentials-only',
  setup(builder) {
    builder.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: ENV_CREDENTIALS_MODULE }));
  },
};

/**
 * The esbuild options of every function: ESM for the function's Node major, minified and tree-shaken, the AWS SDK
 * bundled (the deployed code runs the SDK version it was tested with), source maps written beside the code but not
 * loaded at start-up (docs/lambda-bundles.md). Code split: what the bundled code imports dynamically (the SDK's
 * event-stream support, loaded by an operation that streams events, which no function calls) is a chunk of its
 * own that loads only if that import runs; `index.mjs` and the chunks it imports statically load at start-up.
 */
export const HOUSE_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  treeShaking: true,
  splitting: true,
  entryNames: path.basename(BUNDLE_FILE, '.mjs'),
  chunkNames: 'chunk-[hash]',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'external',
  sourcesContent: false,
  legalComments: 'none',
  banner: { js: ESM_REQUIRE_BANNER },
  plugins: [literalSchemaTraitKeys, environmentCredentialsOnly, clientPackageVersionOnly, builtinsThroughRequire],
  logLevel: 'silent',
} as const satisfies BuildOptions;

export interface FunctionBundle {
  /** `index.mjs`, the handler's file. */
  readonly outfile: string;
  readonly metafile: Metafile;
  /** Bytes of the code that loads at start-up: `index.mjs` and every chunk it imports statically, at any depth. */
  readonly startupBytes: number;
  /** Bytes of all the code (the chunks imported dynamically too), source maps apart. */
  readonly totalBytes: number;
}

/** What loads with `outfile`: it and the outputs it imports statically, at any depth (paths as in the metafile). */
export function startupOutputs(metafile: Metafile, outfile: string): Set<string> {
  const key = (file: string) => path.relative(process.cwd(), file).split(path.sep).join('/');
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file) || metafile.outputs[file] === undefined) return;
    loaded.add(file);
    for (const imported of metafile.outputs[file].imports) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(key(outfile));
  return loaded;
}

/** Builds one function's entry (relative to the repository root) into `outDir` (`index.mjs`, chunks, `.map`s). */
export async function bundleFunction(
  entry: string,
  outDir: string,
  options: { external?: readonly string[] } = {},
): Promise<FunctionBundle> {
  const result = await build({
    ...HOUSE_ESBUILD_OPTIONS,
    entryPoints: [path.join(REPO_ROOT, entry)],
    external: [...(options.external ?? [])],
    outdir: outDir,
    metafile: true,
  });
  const outfile = path.join(outDir, BUNDLE_FILE);
  const code = Object.entries(result.metafile.outputs).filter(([file]) => !file.endsWith('.map'));
  const startup = startupOutputs(result.metafile, outfile);
  return {
    outfile,
    metafile: result.metafile,
    startupBytes: code.filter(([file]) => startup.has(file)).reduce((sum, [, output]) => sum + output.bytes, 0),
    totalBytes: code.reduce((sum, [, output]) => sum + output.bytes, 0),
  };
}

/**
 * Where the source maps of `entry` are kept when the function is synthesized: beside the cloud assembly's assets,
 * outside the function's code (they are not deployed, so they cost no download and no parsing at start-up).
 */
export function sourceMapDirFor(assetOutputDir: string, entry: string): string {
  return path.join(path.dirname(assetOutputDir), 'source-maps', entry.replace(/[\\/]/g, '__'));
}

/**
 * The same build, synchronously, for CDK's local bundling (esbuild plugins need its asynchronous API, so it runs
 * this module in a child process of the same Node); the source maps are moved out of the asset.
 */
export function bundleFunctionSync(entry: string, outDir: string): void {
  const script = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, entry, outDir, sourceMapDirFor(outDir, entry)], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  if (run.status !== 0) throw new Error(`bundling ${entry} failed: ${run.stderr || run.error?.message}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [entry, outDir, sourceMapDir] = process.argv.slice(2);
  if (entry === undefined || outDir === undefined) throw new Error('usage: lambda-bundle.ts <entry> <outDir> [mapDir]');
  await bundleFunction(entry, outDir);
  if (sourceMapDir !== undefined) {
    await mkdir(sourceMapDir, { recursive: true });
    for (const map of (await readdir(outDir)).filter((name) => name.endsWith('.map'))) {
      await rename(path.join(outDir, map), path.join(sourceMapDir, map));
    }
  }
}
