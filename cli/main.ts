import { Command, CommanderError, Option } from 'commander';
import { ApiClient, ApiError, allPages } from './api-client.js';
import { parseDurationMinutes, parseDurationSeconds, UsageError } from './duration.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { follow, type Outcome, reporterFor, timelineOf } from './follow.js';
import {
  describeEnvironment,
  describeEvent,
  type Environment,
  environmentsTable,
  type TimelineEvent,
  urlsOf,
} from './views.js';

/**
 * `dsenv`: the environments API from a terminal (docs/cli.md). Each command is one function below; they
 * print the API's bodies unchanged with `-o json`, or text, and return the exit code (./exit-codes.ts).
 */
const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';
const ENVIRONMENT_ID = /^env-[a-z0-9]{12}$/;
const LIVE = ['CREATING', 'VALIDATING', 'READY', 'DELETING'];

interface GlobalOptions {
  endpoint: string;
  region?: string;
  profile?: string;
  output: 'table' | 'json';
}

interface WaitOptions {
  wait?: boolean;
  timeout: string;
  poll: string;
}

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const print = (io: Io, options: GlobalOptions, body: unknown, text: () => string) =>
  io.out(options.output === 'json' ? JSON.stringify(body, null, 2) : text());

function clientOf(options: GlobalOptions): ApiClient {
  return new ApiClient({
    endpoint: options.endpoint,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  });
}

function listAll(client: ApiClient): Promise<Environment[]> {
  return allPages<Environment>(client, '/environments');
}

/** An environment named by id, or by name: the live one of that name, else the newest. */
async function resolveId(client: ApiClient, ref: string): Promise<string> {
  if (ENVIRONMENT_ID.test(ref)) return ref;
  const named = (await listAll(client)).filter((e) => e.name === ref);
  const live = named.filter((e) => LIVE.includes(e.status));
  if (live.length > 1) {
    throw new UsageError(
      `${live.length} live environments are named ${ref}: use an id (${live.map((e) => e.id).join(', ')})`,
    );
  }
  const chosen = live[0] ?? named[0];
  if (chosen === undefined) throw new ApiError(404, 'NotFound', `no environment named ${ref}`, undefined);
  return chosen.id;
}

function outcomeExit(io: Io, outcome: Outcome, environment: Environment, waitedFor: string): ExitCode {
  if (outcome === 'reached') return EXIT.ok;
  if (outcome === 'timedOut') {
    io.err(`timed out: ${environment.id} is ${environment.status}, not ${waitedFor}`);
    return EXIT.timedOut;
  }
  io.err(`${environment.id} is ${environment.status}: ${environment.failureReason ?? 'no reason recorded'}`);
  return EXIT.failed;
}

async function waitFor(
  client: ApiClient,
  id: string,
  wait: WaitOptions,
  target: { success: string[]; failure: string[] },
): Promise<{ environment: Environment; outcome: Outcome }> {
  return follow(client, id, {
    ...target,
    timeoutMs: parseDurationSeconds(wait.timeout) * 1000,
    pollMs: parseDurationSeconds(wait.poll) * 1000,
    reporter: reporterFor(),
  });
}

interface CreateFlags extends WaitOptions {
  ttl?: string;
  image?: string;
  port?: string;
  healthPath?: string;
  env: string[];
  secret: string[];
  cpu?: string;
  memory?: string;
  desiredCount?: string;
  idempotencyKey?: string;
}

const integer = (flag: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, not "${value}"`);
  return Number(value);
};

/** The POST body: name, TTL, and the service's settings as a `service` object when any is given. */
export function createBody(name: string, flags: CreateFlags): Record<string, unknown> {
  const environment = Object.fromEntries(
    flags.env.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new UsageError(`--env takes KEY=VALUE, not "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const service = Object.fromEntries(
    Object.entries({
      image: flags.image,
      port: integer('--port', flags.port),
      healthPath: flags.healthPath,
      environment: flags.env.length > 0 ? environment : undefined,
      secrets: flags.secret.length > 0 ? flags.secret : undefined,
      cpu: integer('--cpu', flags.cpu),
      memory: integer('--memory', flags.memory),
      desiredCount: integer('--desired-count', flags.desiredCount),
    }).filter(([, value]) => value !== undefined),
  );
  return {
    name,
    ...(flags.ttl === undefined ? {} : { ttlMinutes: parseDurationMinutes(flags.ttl) }),
    ...(Object.keys(service).length > 0 ? { service } : {}),
  };
}

async function create(io: Io, options: GlobalOptions, name: string, flags: CreateFlags): Promise<ExitCode> {
  const client = clientOf(options);
  const body = createBody(name, flags);
  const headers = flags.idempotencyKey === undefined ? undefined : { 'Idempotency-Key': flags.idempotencyKey };
  const created = (await client.request<Environment>('POST', '/environments', body, {}, headers)).body;
  if (!flags.wait) {
    print(io, options, created, () => describeEnvironment(created));
    return EXIT.ok;
  }
  io.err(`${created.id} (${created.name}) is CREATING; waiting for READY`);
  const { environment, outcome } = await waitFor(client, created.id, flags, {
    success: ['READY'],
    // A failed create is cleaned up (DELETING) before it ends FAILED.
    failure: ['FAILED', 'DELETED'],
  });
  print(io, options, environment, () =>
    outcome === 'reached'
      ? [`${environment.id} is READY`, ...urlsOf(environment)].join('\n')
      : describeEnvironment(environment),
  );
  return outcomeExit(io, outcome, environment, 'READY');
}

async function remove(io: Io, options: GlobalOptions, ref: string, flags: WaitOptions): Promise<ExitCode> {
  const client = clientOf(options);
  const id = await resolveId(client, ref);
  const deleting = (await client.request<Environment>('DELETE', `/environments/${id}`)).body;
  if (!flags.wait) {
    print(io, options, deleting, () => `${id} is ${deleting.status}`);
    return EXIT.ok;
  }
  const { environment, outcome } = await waitFor(client, id, flags, { success: ['DELETED'], failure: ['FAILED'] });
  print(io, options, environment, () => `${id} is ${environment.status}`);
  return outcomeExit(io, outcome, environment, 'DELETED');
}

async function watch(
  io: Io,
  options: GlobalOptions,
  ref: string,
  flags: WaitOptions & { until: string },
): Promise<ExitCode> {
  const client = clientOf(options);
  const id = await resolveId(client, ref);
  const until = flags.until.toUpperCase();
  const { environment, outcome } = await waitFor(client, id, flags, {
    success: [until],
    failure: ['FAILED', 'DELETED'].filter((status) => status !== until),
  });
  print(io, options, environment, () => `${id} is ${environment.status}`);
  return outcomeExit(io, outcome, environment, until);
}

async function events(io: Io, options: GlobalOptions, ref: string): Promise<ExitCode> {
  const client = clientOf(options);
  const items: TimelineEvent[] = await timelineOf(client, await resolveId(client, ref));
  print(io, options, { items }, () => items.map(describeEvent).join('\n'));
  return EXIT.ok;
}

/** The program, its options and commands; `io` and the exit code are the caller's (tests run it in-process). */
export function program(io: Io, done: (code: ExitCode) => void): Command {
  const root = new Command('dsenv')
    .description('Short-lived, verified dual-stack environments (docs/cli.md)')
    .addOption(new Option('--endpoint <url>', 'base URL of the API').env('DSENV_ENDPOINT').default(DEFAULT_ENDPOINT))
    .option('--region <region>', 'region to sign for (default: from the endpoint, AWS_REGION, us-east-1)')
    .option('--profile <name>', 'AWS shared-config profile of the credentials')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  const globals = () => root.opts<GlobalOptions>();
  const run = (action: () => Promise<ExitCode>) => async () => done(await action());
  const waitOptions = (command: Command) =>
    command
      .option('--timeout <duration>', 'give up waiting after this long (exit 3)', '30m')
      .option('--poll <duration>', 'time between two looks at the environment', '2s');
  const collect = (value: string, previous: string[]) => [...previous, value];

  waitOptions(
    root
      .command('create <name>')
      .description('create an environment (202: it is CREATING)')
      .option('--ttl <duration>', 'time to live, e.g. 30m, 4h, 1d (default: the platform default)')
      .option('--image <uri>', 'container image of the service')
      .option('--port <port>', 'port the container listens on')
      .option('--health-path <path>', 'HTTP path the load balancer checks')
      .option('--env <KEY=VALUE>', 'environment variable of the container (repeatable)', collect, [])
      .option('--secret <arn>', 'Secrets Manager / SSM ARN injected into the container (repeatable)', collect, [])
      .option('--cpu <units>', 'task CPU units (256, 512, 1024, …)')
      .option('--memory <mib>', 'task memory in MiB')
      .option('--desired-count <n>', 'number of tasks')
      .option('--idempotency-key <key>', 'send again safely: the same key answers with the same environment')
      .option('--wait', 'wait until READY, showing progress; exit 2 if it FAILED'),
  ).action((name: string, flags: CreateFlags) => run(() => create(io, globals(), name, flags))());

  root
    .command('list')
    .description("list the caller's environments, newest first")
    .action(
      run(async () => {
        const items = await listAll(clientOf(globals()));
        print(io, globals(), { items }, () => environmentsTable(items));
        return EXIT.ok;
      }),
    );

  root
    .command('get <env>')
    .description('show one environment (by id or name)')
    .action((ref: string) =>
      run(async () => {
        const client = clientOf(globals());
        const environment = (await client.request<Environment>('GET', `/environments/${await resolveId(client, ref)}`))
          .body;
        print(io, globals(), environment, () => describeEnvironment(environment));
        return EXIT.ok;
      })(),
    );

  root
    .command('extend <env> <duration>')
    .description('set the time to live to <duration> from now (e.g. 30m); moves the expiry and its warnings')
    .action((ref: string, duration: string) =>
      run(async () => {
        const client = clientOf(globals());
        const ttlMinutes = parseDurationMinutes(duration);
        const id = await resolveId(client, ref);
        const environment = (await client.request<Environment>('PATCH', `/environments/${id}`, { ttlMinutes })).body;
        print(io, globals(), environment, () => `${id} now expires at ${environment.expiresAt}`);
        return EXIT.ok;
      })(),
    );

  waitOptions(
    root
      .command('delete <env>')
      .description('tear an environment down')
      .option('--wait', 'wait until DELETED (teardown verified); exit 2 if it FAILED'),
  ).action((ref: string, flags: WaitOptions) => run(() => remove(io, globals(), ref, flags))());

  waitOptions(
    root
      .command('watch <env>')
      .description("follow an environment's timeline to the end of its life (DELETED), or --until a status")
      .addOption(
        new Option('--until <status>', 'stop at this status (exit 0)').choices(['READY', 'DELETED']).default('DELETED'),
      ),
  ).action((ref: string, flags: WaitOptions & { until: string }) => run(() => watch(io, globals(), ref, flags))());

  root
    .command('events <env>')
    .description("print an environment's timeline, oldest first")
    .action((ref: string) => run(() => events(io, globals(), ref))());
  return root;
}

/** Runs `argv` (as process.argv) and answers with the exit code. */
export async function run(argv: readonly string[], io: Io = consoleIo()): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  try {
    await program(io, (c) => {
      code = c;
    }).parseAsync([...argv]);
    return code;
  } catch (error) {
    return errorExit(io, error);
  }
}

function errorExit(io: Io, error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError) {
    io.err(`dsenv: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    const id = error.requestId === undefined ? '' : ` (request id ${error.requestId})`;
    io.err(`dsenv: ${error.code}: ${error.message}${id}`);
    return [401, 403, 404].includes(error.status) ? EXIT.notFound : EXIT.usage;
  }
  io.err(`dsenv: ${(error as Error).message ?? String(error)}`);
  return EXIT.usage;
}

function consoleIo(): Io {
  return { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) };
}
