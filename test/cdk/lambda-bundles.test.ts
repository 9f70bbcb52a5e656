import '../unit/api/support/api-environment.js';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesByPackage, functionsOf } from '../../bench/bundles.js';
import { HouseFunction } from '../../control-plane/constructs/house-function.js';
import {
  BUNDLE_CEILING_BYTES,
  bundleFunction,
  type FunctionBundle,
  startupOutputs,
} from '../../control-plane/lambda-bundle.js';
import { handler as sourceGetHandler } from '../../functions/api/get-environment.js';
import { synthesizeControlPlane } from '../../local/control-plane-template.js';
import { apiEvent, lambdaContext } from '../unit/api/support/events.js';
import { handler as sourceCredentialsRoundTrip } from './support/credentials-round-trip.js';
import { handler as sourceEc2RoundTrip } from './support/ec2-round-trip.js';

/**
 * The functions' bundles as deployed (control-plane/lambda-bundle.ts): each holds only the SDK clients its handler
 * calls, none grows past the ceiling, and bundling changes no behaviour (validation messages, the SDK's schemas).
 */

/** The SDK clients each function calls, by entry: its bundle must hold these and no other. */
const CLIENTS: Record<string, readonly string[]> = {
  'functions/api/create-environment.ts': ['dynamodb', 'ec2', 'scheduler', 'sfn'],
  'functions/api/delete-environment.ts': ['dynamodb', 'scheduler', 'sfn'],
  'functions/api/get-environment.ts': ['dynamodb'],
  'functions/api/list-environment-events.ts': ['dynamodb'],
  'functions/api/list-environments.ts': ['dynamodb'],
  'functions/api/update-environment.ts': ['dynamodb', 'scheduler'],
  'functions/workflow/catalog-registration.ts': ['cloudformation', 'dynamodb', 'ec2', 'scheduler', 'sfn'],
  'functions/workflow/check-stack.ts': ['cloudformation', 'dynamodb', 'sfn'],
  'functions/workflow/create-stack.ts': ['cloudformation', 'dynamodb', 'sfn'],
  'functions/workflow/finish-teardown.ts': ['cloudformation', 'dynamodb', 'resource-groups-tagging-api'],
  'functions/workflow/expiry-warning.ts': ['dynamodb'],
  'functions/workflow/ipv6-prober.ts': ['dynamodb'],
  'functions/workflow/lifecycle-publisher.ts': ['dynamodb', 'eventbridge'],
  'functions/workflow/record-failure.ts': ['dynamodb'],
  'functions/workflow/stack-event.ts': ['cloudformation', 'dynamodb', 'sfn'],
  'functions/workflow/start-teardown.ts': ['cloudformation', 'dynamodb', 'scheduler', 'service-catalog', 'sfn'],
  'functions/workflow/sweeper.ts': ['cloudformation', 'dynamodb', 'scheduler', 'service-catalog', 'sfn'],
  'functions/workflow/validate-environment.ts': ['dynamodb', 'ec2', 'ecs', 'elastic-load-balancing-v2'],
};

const clientsIn = (bundle: FunctionBundle) =>
  Object.entries(bytesByPackage(bundle.metafile))
    .filter(([name, bytes]) => name.startsWith('@aws-sdk/client-') && bytes > 0)
    .map(([name]) => name.slice('@aws-sdk/client-'.length))
    .sort();

const root = mkdtempSync(path.join(tmpdir(), 'dsenv-bundles-test-'));
const bundles = new Map<string, FunctionBundle>();
const build = async (entry: string) => {
  const built = bundles.get(entry) ?? (await bundleFunction(entry, path.join(root, String(bundles.size))));
  bundles.set(entry, built);
  return built;
};

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the Lambda bundles', () => {
  const entries = functionsOf(synthesizeControlPlane().template).map((f) => f.entry);

  it('covers every function of the control plane', () => {
    expect(entries).toEqual(Object.keys(CLIENTS).sort());
  });

  it.each(Object.keys(CLIENTS))('%s holds only the clients it calls and stays under the ceiling', async (entry) => {
    const bundle = await build(entry);
    expect(clientsIn(bundle)).toEqual(CLIENTS[entry]);
    expect(bundle.startupBytes).toBeLessThanOrEqual(BUNDLE_CEILING_BYTES);
  });

  it('takes every Node built-in it imports statically with require (an ESM facade reads every export)', async () => {
    for (const entry of Object.keys(CLIENTS)) {
      const { metafile } = await build(entry);
      const esmImports = Object.values(metafile.outputs)
        .flatMap((output) => output.imports)
        .filter((imported) => imported.external && imported.kind === 'import-statement')
        .map((imported) => imported.path);
      expect(esmImports, entry).toEqual([]);
    }
  });

  it('keeps what loads only on demand (the SDK event-stream support) out of the start-up code', async () => {
    const { metafile, outfile } = await build('functions/api/get-environment.ts');
    const startup = startupOutputs(metafile, outfile);
    const holdsEventStreams = (file: string) =>
      Object.keys(metafile.outputs[file]?.inputs ?? {}).some((input) =>
        input.includes('@smithy/core/dist-es/submodules/event-streams/'),
      );
    const code = Object.keys(metafile.outputs).filter((file) => file.endsWith('.mjs'));
    expect(code.filter((file) => !startup.has(file)).some(holdsEventStreams)).toBe(true);
    expect([...startup].filter(holdsEventStreams)).toEqual([]);
  });

  it('answers a bad input as the source handler does (validation survives minifying)', async () => {
    const bundle = await build('functions/api/get-environment.ts');
    const { handler } = (await import(pathToFileURL(bundle.outfile).href)) as { handler: typeof sourceGetHandler };
    const event = () => apiEvent({ method: 'GET', resource: '/environments/{id}', id: 'not-an-id' });
    const bundled = (await handler(event(), lambdaContext)) as APIGatewayProxyResult;
    const source = (await sourceGetHandler(event(), lambdaContext)) as APIGatewayProxyResult;
    expect(bundled.statusCode).toBe(400);
    expect(JSON.parse(bundled.body)).toEqual(JSON.parse(source.body));
  });
});

describe('the SDK schemas with literal trait keys', () => {
  const requests: string[] = [];
  let server: Server;
  let endpoint: string;
  const answer =
    '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><vpcSet>' +
    '<item><vpcId>vpc-1</vpcId><cidrBlock>10.0.0.0/16</cidrBlock><ipv6CidrBlockAssociationSet><item>' +
    '<associationId>a-1</associationId><ipv6CidrBlock>2600:1f18::/56</ipv6CidrBlock></item>' +
    '</ipv6CidrBlockAssociationSet><tagSet><item><key>dsenv:environment-id</key><value>env-1</value></item>' +
    '</tagSet></item></vpcSet></DescribeVpcsResponse>';

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        requests.push(body);
        res.writeHead(200, { 'content-type': 'text/xml' }).end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('send and parse an EC2 call exactly as the unbundled SDK does', async () => {
    const bundle = await build('test/cdk/support/ec2-round-trip.ts');
    const { handler } = (await import(pathToFileURL(bundle.outfile).href)) as { handler: typeof sourceEc2RoundTrip };
    const bundled = await handler(endpoint);
    const source = await sourceEc2RoundTrip(endpoint);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toBe(requests[1]);
    expect(requests[0]).toContain('Filter.1.Value.1=dsenv%3Aenvironment-id');
    expect(bundled).toEqual(source);
    expect(bundled?.[0]?.Tags).toEqual([{ Key: 'dsenv:environment-id', Value: 'env-1' }]);
    expect(bundled?.[0]?.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock).toBe('2600:1f18::/56');
  });
});

/**
 * Packages no bundle needs: the SDK's default credential chain (credentials come from the environment) and an X-Ray
 * SDK (tracing is Lambda's active tracing; docs/lambda-bundles.md).
 */
const NOT_BUNDLED = [
  'aws-xray-sdk-core',
  '@aws-lambda-powertools/tracer',
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
  '@aws-sdk/nested-clients',
];

describe('credentials from the environment', () => {
  const signedWith: string[] = [];
  const userAgents: string[] = [];
  let server: Server;
  let endpoint: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    server = createServer((req, res) => {
      signedWith.push(/Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '(unsigned)');
      userAgents.push(String(req.headers['x-amz-user-agent']));
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"TableNames":[]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A profile the default chain would prefer to the environment's keys, and fail on.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDFROMENVIRONMENT',
      AWS_PROFILE: 'no-such-profile',
      AWS_CONFIG_FILE: path.join(root, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(root, 'no-credentials'),
    });
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('no bundle holds the default credential chain or an X-Ray SDK', async () => {
    for (const entry of Object.keys(CLIENTS)) {
      const packages = bytesByPackage((await build(entry)).metafile);
      expect(
        NOT_BUNDLED.filter((name) => (packages[name] ?? 0) > 0),
        entry,
      ).toEqual([]);
    }
  });

  it('signs with the environment keys (house client from source and bundled, a library client bundled), the version in the user agent', async () => {
    await sourceCredentialsRoundTrip(endpoint);
    const bundle = await build('test/cdk/support/credentials-round-trip.ts');
    const { handler } = (await import(pathToFileURL(bundle.outfile).href)) as {
      handler: typeof sourceCredentialsRoundTrip;
    };
    await handler(endpoint, { bare: true });
    expect(signedWith).toEqual(['AKIDFROMENVIRONMENT', 'AKIDFROMENVIRONMENT', 'AKIDFROMENVIRONMENT']);
    // The bundle reads the client's version from its package.json, cut down to name and version.
    const { version } = createRequire(import.meta.url)('@aws-sdk/client-dynamodb/package.json') as { version: string };
    expect(userAgents.slice(1)).toEqual([`aws-sdk-js/${version}`, `aws-sdk-js/${version}`]);
  });
});

describe('cdk synth', () => {
  it('bundles each house function on this machine into its own index.mjs and chunks, source maps kept outside the assets', () => {
    const outdir = path.join(root, 'cdk.out');
    const app = new App({ outdir });
    const stack = new Stack(app, 'BundlingProbe');
    const entries = ['functions/workflow/record-failure.ts', 'functions/workflow/ipv6-prober.ts'];
    for (const [index, entry] of entries.entries()) {
      new HouseFunction(stack, `Probe${index}`, { entry, description: 'probe', logRetention: RetentionDays.ONE_DAY });
    }
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(2);
    const sizes = assets.map((asset) => {
      const files = readdirSync(path.join(outdir, asset));
      expect(files).toContain('index.mjs');
      expect(files.filter((name) => !/^(index|chunk-[A-Z0-9]+)\.mjs$/.test(name))).toEqual([]);
      return statSync(path.join(outdir, asset, 'index.mjs')).size;
    });
    expect(new Set(sizes).size).toBe(2);
    for (const entry of entries) {
      expect(existsSync(path.join(outdir, 'source-maps', entry.replace(/\//g, '__'), 'index.mjs.map'))).toBe(true);
    }
  }, 180_000); // two child-process builds: slow on a loaded machine
});
