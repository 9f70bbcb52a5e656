import { createServer } from 'node:http';
import { isIP } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ControlPlaneConfigInput } from '../control-plane/config.js';
import { REGISTRATION_ENTRY } from '../control-plane/constructs/catalog.js';
import { stackNameFor } from '../functions/domain/ids.js';
import { createApiGatewayAdapter } from './api-gateway-adapter.js';
import {
  createControlPlaneResources,
  emulatorClientConfig,
  functionEntriesByArn,
  resolveReferences,
} from './control-plane-resources.js';
import {
  apiRoutes,
  type ControlPlaneTemplate,
  functionEnvironment,
  type SynthesizedControlPlane,
  synthesizeControlPlane,
  type TemplateRoute,
} from './control-plane-template.js';
import { startDnsStandIn } from './dns-stand-in.js';
import { checkEmulator, EmulatorCheckError } from './emulator-check.js';
import { startEmulator } from './emulator-process.js';
import { type EventBridgeStandIn, eventRulesFromTemplate, startEventBridgeStandIn } from './eventbridge-stand-in.js';
import { type FargateTaskStandIn, startFargateTaskStandIn } from './fargate-task-stand-in.js';
import { concurrentInvocations, invoke, REPO_ROOT } from './lambda-runtime.js';
import { startLoadBalancerStandIn, type TargetFault } from './load-balancer-stand-in.js';
import { type DualListener, listenOn, listenOnLoopback } from './loopback.js';
import { publishLocalUrls } from './registry-urls.js';
import { startSchedulerStandIn } from './scheduler-stand-in.js';
import { catalogDescription } from './service-catalog-product.js';
import { type ServiceCatalogStandIn, startServiceCatalogStandIn } from './service-catalog-stand-in.js';
import { type StepFunctionsStandIn, startStepFunctionsStandIn } from './step-functions-stand-in.js';
import { startStreamTriggers } from './stream-stand-in.js';
import { startTcpForwarder } from './tcp-forwarder.js';

/**
 * Local mode: the whole lifecycle on one machine. The API and workflow handlers run in this process with
 * the environment they have on AWS (read from the synthesized control-plane stack), their SDK calls going
 * to the emulator (moto, extended by local/emulator/) and to the stand-ins below for what it does not run:
 * API Gateway, Step Functions, Scheduler firing, Fargate tasks, load balancers and public DNS.
 */
export interface LocalControlPlaneOptions {
  /** Emulator to use. @default process.env.AWS_ENDPOINT_URL, else one started (and stopped) here */
  readonly emulatorEndpoint?: string;
  /** API port. 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Listen on this address only. @default 127.0.0.1 and ::1 */
  readonly host?: string;
  /** Port of the shared load-balancer listener (`LISTENER_PORT`). @default a free port */
  readonly listenerPort?: number;
  /** How often the EventBridge stand-in looks at every stack for status changes. @default 1000 */
  readonly pollMs?: number;
  /**
   * How long a stack wait sleeps without a stack event before it looks at the stack (the callback tasks'
   * heartbeat; only a lost event waits that long). @default 10000
   */
  readonly heartbeatMs?: number;
  /** Interval before a retried task. @default 300 */
  readonly retryIntervalMs?: number;
  /** How often due schedules are fired. @default 1000 */
  readonly schedulerIntervalMs?: number;
  /** How often the emulator's stacks are checked for tasks to start or stop. @default 1000 */
  readonly taskIntervalMs?: number;
  /** How often the sweeper runs (it also runs at start-up). @default 5000 */
  readonly sweepIntervalMs?: number;
  /** Powertools log level of the handlers. @default process.env.LOG_LEVEL ?? 'WARN' */
  readonly logLevel?: string;
  /** Where the launcher's own lines go. @default console.log */
  readonly log?: (line: string) => void;
  /** Also pass the probes' output lines to `log`. @default false */
  readonly verbose?: boolean;
  /**
   * Deploy-time configuration (the cdk.json `dsenv` context) to synthesize with, over the local defaults,
   * e.g. `{ maxActivePerOwner: 50, regionCapacity: 60 }` for load tests.
   * @default cdk.json's, with local TTL bounds
   */
  readonly config?: Partial<ControlPlaneConfigInput>;
  /**
   * The file mapping images to the local commands that stand for them (docs/bring-your-own-service.md); the API
   * refuses a service whose image it does not name.
   * @default process.env.LOCAL_IMAGE_COMMANDS, else local/images.json
   */
  readonly imageCommands?: string;
  /**
   * For tests: runs before each workflow task (after the task stand-in has caught up), e.g. to deliver an event at
   * an exact point of the workflow. The task waits for it. @default none
   */
  readonly beforeTask?: (state: string, payload: unknown) => Promise<void>;
}

export interface LocalControlPlane {
  readonly apiUrl: string;
  readonly emulatorUrl: string;
  /** Port of the shared load-balancer listener. */
  readonly listenerPort: number;
  /** `host:port` of the local DNS. */
  readonly dnsServer: string;
  /** The Step Functions stand-in (executions and their event logs, for tests and benchmarks). */
  readonly stepFunctions: StepFunctionsStandIn;
  /** The EventBridge stand-in delivering the stacks' status events (and its fault switches, for tests). */
  readonly stackEvents: EventBridgeStandIn;
  /** The Service Catalog stand-in (`AWS_ENDPOINT_URL_SERVICE_CATALOG`): its product and provisioned products. */
  readonly serviceCatalog: ServiceCatalogStandIn;
  /** Environments whose task (probe) is running. */
  liveEnvironments(): readonly {
    environmentId: string;
    publicUri: string;
    probePid: number;
    /** The service's process, when the environment runs one. */
    servicePid?: number;
    localUrls: readonly string[];
  }[];
  /** Runs the sweeper once, now. */
  sweep(): Promise<unknown>;
  /**
   * Fault switches for tests: make an environment's service answer 5xx, hang, or lose its IPv6 path (see
   * `TargetFault`); `undefined` switches it off. Nothing changes unless a fault is set.
   */
  setTargetFault(environmentId: string, fault: TargetFault | undefined): void;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Variables of the deployed functions that mean nothing in one local process. */
const NOT_LOCAL = new Set(['NODE_OPTIONS', 'AWS_CA_BUNDLE']);

/** The environment a workflow task is for (every task's payload names it). */
function environmentIdOf(payload: unknown): string | undefined {
  const id = (payload as { environmentId?: unknown } | null | undefined)?.environmentId;
  return typeof id === 'string' ? id : undefined;
}

function scheduledEvent() {
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/local-sweep'],
    detail: {},
  };
}

/** The parts started so far: each registers how it stops; they stop in the reverse order of their start. */
interface Parts {
  onStop(stop: () => Promise<void>): void;
  /** Sets a process environment variable, restored once every part has stopped. */
  setEnv(name: string, value: string | undefined): void;
  /** Stops every part started so far (once; later calls share it), then restores the environment. */
  stop(): Promise<void>;
}

function partsInStartOrder(log: (line: string) => void): Parts {
  const cleanups: (() => Promise<void>)[] = [];
  const savedEnv = new Map<string, string | undefined>();
  const restore = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  let stopping: Promise<void> | undefined;
  return {
    onStop: (stop) => {
      cleanups.push(stop);
    },
    setEnv: (name, value) => {
      if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
      restore(name, value);
    },
    stop: () => {
      stopping ??= (async () => {
        for (const cleanup of cleanups.reverse()) {
          try {
            await cleanup();
          } catch (error) {
            log(`stop: ${(error as Error).message}`);
          }
        }
        for (const [name, value] of savedEnv) restore(name, value);
      })();
      return stopping;
    },
  };
}

/** What every start-up step receives: the options, where lines go, and the parts to register with. */
interface Launch {
  readonly options: LocalControlPlaneOptions;
  readonly log: (line: string) => void;
  readonly parts: Parts;
}

/**
 * What parts started early call on parts started later: the load balancer asks which environment a host name is
 * (the task stand-in knows), the Step Functions stand-in lets the task and event stand-ins catch up. Bound once
 * those run; until then they do nothing.
 */
interface LateBindings {
  environmentOfHost: (hostname: string) => string | undefined;
  reconcileTasks: (environmentId: string | undefined) => Promise<void>;
  observeStack: (environmentId: string) => void;
}

type NetworkStandIns = Awaited<ReturnType<typeof startNetworkStandIns>>;
type EmulatorClients = ReturnType<typeof emulatorClients>;

/** Starts local mode's parts in order, one step each; `stop()` (or a failed start) stops them in reverse. */
export async function startLocalControlPlane(options: LocalControlPlaneOptions = {}): Promise<LocalControlPlane> {
  const log = options.log ?? ((line: string) => console.log(`[local] ${line}`));
  const launch: Launch = { options, log, parts: partsInStartOrder(log) };
  const late: LateBindings = {
    environmentOfHost: () => undefined,
    reconcileTasks: async () => undefined,
    observeStack: () => undefined,
  };
  try {
    const emulatorUrl = await useEmulator(launch);
    const imageCommands = imageCommandsFile(options);
    // The control plane as deployed: state machine, tables, function environment.
    const synthesized = synthesizeControlPlane({
      ttl: { defaultMinutes: 240, minMinutes: 1, maxMinutes: 10080 },
      ...options.config,
    });
    const { template } = synthesized;
    const { values: referenced } = resolveReferences(template);
    const network = await startNetworkStandIns(launch, emulatorUrl, late);
    const stepFunctions = await startStepFunctions(launch, synthesized, referenced, late);
    setTemplateEnvironment(launch, template, referenced);
    await setLocalEnvironment(launch, { network, emulatorUrl, stepFunctions, imageCommands });
    const resources = await createControlPlaneResources(emulatorUrl, template);
    await startStreams(launch, template, emulatorUrl);
    const clients = emulatorClients(launch, emulatorUrl);
    const fargate = startTasks(launch, { clients, network, imageCommands, tableName: resources.tableName });
    const stackEvents = startStackEvents(launch, clients.cloudFormation, template);
    bindLate(late, { fargate, stackEvents, log });
    const serviceCatalog = await startServiceCatalog(launch, clients.cloudFormation, template);
    startSchedules(launch, { clients, stepFunctions, template, groupName: resources.scheduleGroup });
    const sweep = startSweeper(launch);
    await catchUp(launch, fargate, sweep);
    // Stopping halts the executions before the parts their tasks use (the task processes, the load balancer): a
    // validation cut short by a stopping launcher must not be taken for a failed one and tear its environment down.
    launch.parts.onStop(() => stepFunctions.close());
    const api = await startApi(launch, apiRoutes(template));
    const started = { emulatorUrl, network, stepFunctions, stackEvents, serviceCatalog, fargate, sweep, api };
    return localControlPlane(launch.parts, started);
  } catch (error) {
    await launch.parts.stop();
    throw error;
  }
}

/** The emulator given (checked), else one started here. */
async function useEmulator({ options, log, parts }: Launch): Promise<string> {
  const given = options.emulatorEndpoint ?? process.env.AWS_ENDPOINT_URL;
  if (given) {
    await checkEmulator(given);
    return given;
  }
  const emulator = await startEmulator();
  parts.onStop(() => emulator.stop());
  log(`emulator started at ${emulator.endpoint}`);
  return emulator.endpoint;
}

function imageCommandsFile(options: LocalControlPlaneOptions): string {
  return path.resolve(
    options.imageCommands ?? process.env.LOCAL_IMAGE_COMMANDS ?? path.join(REPO_ROOT, 'local', 'images.json'),
  );
}

/** Stand-ins for the network around the environments: load balancer, DNS, and the emulator over IPv6. */
async function startNetworkStandIns({ options, parts }: Launch, emulatorUrl: string, late: LateBindings) {
  const emulator = new URL(emulatorUrl);
  const emulatorHost = emulator.hostname === 'localhost' ? '127.0.0.1' : emulator.hostname.replace(/^\[|\]$/g, '');
  const emulatorPort = Number(emulator.port || 80);
  const targetFaults = new Map<string, TargetFault>();
  const loadBalancer = await startLoadBalancerStandIn(options.listenerPort ?? 0, {
    faultFor: (hostname) => {
      if (targetFaults.size === 0) return undefined;
      const environmentId = late.environmentOfHost(hostname);
      return environmentId === undefined ? undefined : targetFaults.get(environmentId);
    },
  });
  parts.onStop(() => loadBalancer.close());
  const dns = await startDnsStandIn({ isLive: (name) => loadBalancer.hostnames().includes(name) });
  parts.onStop(() => dns.close());
  const emulatorOverIpv6 = await startTcpForwarder('::1', { host: emulatorHost, port: emulatorPort });
  parts.onStop(() => emulatorOverIpv6.close());
  return { targetFaults, loadBalancer, dns, emulatorOverIpv6 };
}

/** Step Functions: the synthesized definition, each task bound to the handler it invokes on AWS. */
async function startStepFunctions(
  { options, log, parts }: Launch,
  synthesized: SynthesizedControlPlane,
  referenced: Record<string, string>,
  late: LateBindings,
): Promise<StepFunctionsStandIn> {
  const stateMachineArn = referenced.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('the template sets no STATE_MACHINE_ARN');
  const tasks = Object.fromEntries(
    Object.entries(synthesized.taskHandlers).map(([state, entry]) => [
      state,
      (payload: unknown) => invoke(entry, payload),
    ]),
  );
  const stepFunctions = await startStepFunctionsStandIn({
    stateMachineArn,
    definition: synthesized.definition as unknown as StateMachineDefinition,
    tasks,
    retryIntervalMs: options.retryIntervalMs ?? 300,
    heartbeatMs: options.heartbeatMs ?? 10_000,
    // CloudFormation's events come about a second after the fact; the emulator completes stacks at once, so look
    // at the stack as soon as a task that started an operation returns (the sweep catches everything else).
    afterTask: (_state, payload) => {
      const environmentId = environmentIdOf(payload);
      if (environmentId !== undefined) late.observeStack(environmentId);
    },
    // On AWS a stack is CREATE_COMPLETE only once its service's tasks run (and DELETE_COMPLETE once they are
    // gone): let the task stand-in catch up with this environment's stack (only this one: 50 environments must
    // not wait for each other's tasks) before each step of the workflow. A stand-in failure is logged, not
    // made the task's: the handler then sees what a task that failed to start leaves (validation says so).
    beforeTask: async (state, payload) => {
      await late
        .reconcileTasks(environmentIdOf(payload))
        .catch((error: unknown) => log(`task stand-in: ${(error as Error).message}`));
      await options.beforeTask?.(state, payload);
    },
  });
  parts.onStop(() => stepFunctions.close());
  return stepFunctions;
}

/** The local endpoints and settings over the template's environment (read once that is set). */
async function setLocalEnvironment(
  { options, parts }: Launch,
  local: { network: NetworkStandIns; emulatorUrl: string; stepFunctions: StepFunctionsStandIn; imageCommands: string },
): Promise<void> {
  const values: Record<string, string | undefined> = {
    LISTENER_PORT: String(local.network.loadBalancer.port),
    DNS_SERVERS: local.network.dns.address,
    AWS_ENDPOINT_URL: local.emulatorUrl,
    AWS_ENDPOINT_URL_SFN: local.stepFunctions.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_USE_DUALSTACK_ENDPOINT: undefined,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'WARN',
    ...(await concurrentInvocations()),
    // Local mode only: the images a service may name (read by the API), and what runs for each (the task stand-in).
    LOCAL_IMAGE_COMMANDS: local.imageCommands,
  };
  for (const [name, value] of Object.entries(values)) parts.setEnv(name, value);
}

/** The functions' environment, as in the template, the references resolved. Set before any handler is imported. */
function setTemplateEnvironment({ parts }: Launch, template: ControlPlaneTemplate, referenced: Record<string, string>) {
  const { literals } = functionEnvironment(template);
  for (const [name, value] of Object.entries(literals)) if (!NOT_LOCAL.has(name)) parts.setEnv(name, value);
  for (const [name, value] of Object.entries(referenced)) parts.setEnv(name, value);
}

/** Change streams: the registry's changes → the lifecycle events' publisher. */
async function startStreams({ options, log, parts }: Launch, template: ControlPlaneTemplate, emulatorUrl: string) {
  const streams = await startStreamTriggers({
    template,
    emulatorUrl,
    invoke: (entry, event) => invoke(entry, event),
    intervalMs: options.schedulerIntervalMs ?? 1000,
    onError: (error) => log(`stream stand-in: ${(error as Error).message}`),
  });
  parts.onStop(() => streams.stop());
}

/** The SDK clients the stand-ins use to read the emulator. */
function emulatorClients({ parts }: Launch, emulatorUrl: string) {
  const config = emulatorClientConfig(emulatorUrl);
  const cloudFormation = new CloudFormationClient(config);
  const dynamo = new DynamoDBClient(config);
  const ecs = new ECSClient(config);
  const documentClient = DynamoDBDocumentClient.from(dynamo);
  // What the services' tasks read their secrets from.
  const secretStores = { secretsManager: new SecretsManagerClient(config), ssm: new SSMClient(config) };
  parts.onStop(async () => {
    cloudFormation.destroy();
    dynamo.destroy();
    ecs.destroy();
    secretStores.secretsManager.destroy();
    secretStores.ssm.destroy();
  });
  return { config, cloudFormation, ecs, documentClient, secretStores };
}

/** Fargate tasks, published in the registry as the environments' local URLs. */
function startTasks(
  { options, log, parts }: Launch,
  local: { clients: EmulatorClients; network: NetworkStandIns; imageCommands: string; tableName: string },
): FargateTaskStandIn {
  const { clients, network } = local;
  const fargate = startFargateTaskStandIn({
    cloudFormation: clients.cloudFormation,
    ecs: clients.ecs,
    imageCommands: local.imageCommands,
    secretStores: clients.secretStores,
    loadBalancer: network.loadBalancer,
    probeAwsEndpoint: `http://[::1]:${network.emulatorOverIpv6.port}`,
    publishLocalUrls: (id, urls) => publishLocalUrls(clients.documentClient, local.tableName, id, urls),
    intervalMs: options.taskIntervalMs ?? 1000,
    log: (line) => {
      if (options.verbose || !/^\[(probe|service) /.test(line)) log(line);
    },
    onError: (error) => log(`task stand-in: ${(error as Error).message}`),
  });
  parts.onStop(() => fargate.stop());
  return fargate;
}

/** CloudFormation's stack-status events, through the rules of the template to their targets. */
function startStackEvents(
  { options, log, parts }: Launch,
  cloudFormation: CloudFormationClient,
  template: ControlPlaneTemplate,
): EventBridgeStandIn {
  const stackEvents = startEventBridgeStandIn({
    cloudFormation,
    rules: eventRulesFromTemplate(template),
    deliver: (entry, event) => invoke(entry, event),
    intervalMs: options.pollMs ?? 1000,
    onError: (error) => log(`event stand-in: ${(error as Error).message}`),
  });
  parts.onStop(() => stackEvents.stop());
  return stackEvents;
}

function bindLate(
  late: LateBindings,
  { fargate, stackEvents, log }: { fargate: FargateTaskStandIn; stackEvents: EventBridgeStandIn; log: Launch['log'] },
): void {
  late.observeStack = (environmentId) => {
    stackEvents
      .observe(stackNameFor(environmentId))
      .catch((error: unknown) => log(`event stand-in: ${(error as Error).message}`));
  };
  late.reconcileTasks = (environmentId) => fargate.reconcile(environmentId);
  late.environmentOfHost = (hostname) =>
    fargate.live().find((e) => e.publicUri.toLowerCase().replace(/\.$/, '') === hostname)?.environmentId;
}

/** Service Catalog: a launch deploys the product template to the emulator and runs its registration here. */
async function startServiceCatalog(
  { log, parts }: Launch,
  cloudFormation: CloudFormationClient,
  template: ControlPlaneTemplate,
): Promise<ServiceCatalogStandIn> {
  const serviceCatalog = await startServiceCatalogStandIn({
    cloudFormation,
    invokeRegistration: (event) => invoke(REGISTRATION_ENTRY, event),
    description: catalogDescription(template),
    rules: {
      ttl: {
        defaultMinutes: Number(process.env.DEFAULT_TTL_MINUTES ?? 240),
        minMinutes: Number(process.env.MIN_TTL_MINUTES ?? 1),
        maxMinutes: Number(process.env.MAX_TTL_MINUTES ?? 10080),
      },
    },
    log,
  });
  parts.onStop(() => serviceCatalog.close());
  parts.setEnv('AWS_ENDPOINT_URL_SERVICE_CATALOG', serviceCatalog.endpoint);
  return serviceCatalog;
}

/** Scheduler firing (state machine and function targets). */
function startSchedules(
  { options, log, parts }: Launch,
  local: {
    clients: EmulatorClients;
    stepFunctions: StepFunctionsStandIn;
    template: ControlPlaneTemplate;
    groupName: string;
  },
): void {
  const functionEntries = functionEntriesByArn(local.template);
  const schedulerClient = new SchedulerClient(local.clients.config);
  const sfnClient = new SFNClient({ ...local.clients.config, endpoint: local.stepFunctions.endpoint });
  const schedules = startSchedulerStandIn({
    scheduler: schedulerClient,
    stepFunctions: sfnClient,
    groupName: local.groupName,
    invokeFunction: (arn, input) => {
      const entry = functionEntries.get(arn);
      if (entry === undefined) throw new Error(`no local function ${arn}`);
      return invoke(entry, input);
    },
    intervalMs: options.schedulerIntervalMs ?? 1000,
    onFire: (name, executionArn) => log(`schedule ${name} fired: ${executionArn.split(':').pop()}`),
    onError: (error) => log(`scheduler stand-in: ${(error as Error).message}`),
  });
  parts.onStop(async () => {
    await schedules.stop();
    schedulerClient.destroy();
    sfnClient.destroy();
  });
}

/** The sweeper, run periodically (and by `sweep()`; one run at a time, a caller during a run shares it). */
function startSweeper({ options, log, parts }: Launch): () => Promise<unknown> {
  let sweeping: Promise<unknown> | undefined;
  const sweep = () => {
    sweeping ??= invoke('functions/workflow/sweeper.ts', scheduledEvent()).finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  };
  const sweepTimer = setInterval(() => {
    sweep().catch((error: unknown) => log(`sweeper: ${(error as Error).message}`));
  }, options.sweepIntervalMs ?? 5000);
  sweepTimer.unref();
  parts.onStop(async () => {
    clearInterval(sweepTimer);
    await sweeping?.catch(() => undefined);
  });
  return sweep;
}

/** At start-up: the tasks of the stacks there are, then the sweeper (resumes lost executions, expires what is due). */
async function catchUp({ log }: Launch, fargate: FargateTaskStandIn, sweep: () => Promise<unknown>): Promise<void> {
  await fargate.reconcile().catch((error: unknown) => log(`task stand-in: ${(error as Error).message}`));
  const summary = await sweep().catch((error: unknown) => log(`sweeper: ${(error as Error).message}`));
  if (summary) log(`sweeper at start-up: ${JSON.stringify(summary)}`);
}

/** The API, healthy from when it listens until `down()`. */
async function startApi(
  { options, log, parts }: Launch,
  routes: readonly TemplateRoute[],
): Promise<{ url: string; down: () => void }> {
  let up = false;
  const adapter = createApiGatewayAdapter({
    routes,
    invoke: (route, event) => invoke(route.entry, event, 15_000),
    health: () => up,
    onError: (error, route) => log(`${route.method} ${route.resource}: ${(error as Error).message}`),
  });
  const makeServer = () => createServer((req, res) => void adapter(req, res));
  const requestedPort = options.port ?? 3000;
  let apiListener: DualListener;
  let apiHost = '127.0.0.1';
  if (options.host) {
    if (!LOOPBACK.has(options.host)) {
      log(`WARNING: listening on ${options.host}: X-Principal is trusted, anyone who can reach it acts as anyone`);
    }
    apiHost = options.host;
    apiListener = await listenOn(makeServer(), requestedPort, options.host);
  } else {
    apiListener = await listenOnLoopback(makeServer, requestedPort);
  }
  parts.onStop(() => apiListener.close());
  up = true;
  const hostForUrl = isIP(apiHost) === 6 ? `[${apiHost}]` : apiHost;
  return {
    url: `http://${hostForUrl}:${apiListener.port}`,
    down: () => {
      up = false;
    },
  };
}

/** The handle on the running control plane: where it listens, its stand-ins for tests, and how it stops. */
function localControlPlane(
  parts: Parts,
  started: {
    emulatorUrl: string;
    network: NetworkStandIns;
    stepFunctions: StepFunctionsStandIn;
    stackEvents: EventBridgeStandIn;
    serviceCatalog: ServiceCatalogStandIn;
    fargate: FargateTaskStandIn;
    sweep: () => Promise<unknown>;
    api: { url: string; down: () => void };
  },
): LocalControlPlane {
  const { network, fargate, api } = started;
  return {
    apiUrl: api.url,
    emulatorUrl: started.emulatorUrl,
    listenerPort: network.loadBalancer.port,
    dnsServer: network.dns.address,
    stepFunctions: started.stepFunctions,
    stackEvents: started.stackEvents,
    serviceCatalog: started.serviceCatalog,
    liveEnvironments: () => liveEnvironments(fargate),
    sweep: started.sweep,
    setTargetFault: (environmentId, fault) => {
      if (fault === undefined) network.targetFaults.delete(environmentId);
      else network.targetFaults.set(environmentId, fault);
    },
    stop: async () => {
      api.down();
      await parts.stop();
    },
  };
}

function liveEnvironments(fargate: FargateTaskStandIn): ReturnType<LocalControlPlane['liveEnvironments']> {
  return fargate.live().map((e) => ({
    environmentId: e.environmentId,
    publicUri: e.publicUri,
    probePid: e.probe.pid,
    ...(e.service ? { servicePid: e.service.pid } : {}),
    localUrls: e.localUrls,
  }));
}

/** `npm start`'s process: starts the local control plane, prints where everything is, stops on a signal. */
export async function main(): Promise<void> {
  // Installed first: a signal during start-up stops what was started so far once start-up ends.
  let local: LocalControlPlane | undefined;
  let signalled = false;
  const shutdown = () => {
    (local?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    console.log(`[local] ${signal}: stopping`);
    if (local) shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const port = process.env.PORT === undefined || process.env.PORT === '' ? 3000 : Number(process.env.PORT);
  const listenerPort = process.env.LISTENER_PORT ? Number(process.env.LISTENER_PORT) : undefined;
  const started = Date.now();
  local = await startLocalControlPlane({
    port,
    ...(process.env.HOST ? { host: process.env.HOST } : {}),
    ...(listenerPort !== undefined ? { listenerPort } : {}),
    verbose: process.env.VERBOSE === '1' || process.env.VERBOSE === 'true',
  });
  if (signalled) return shutdown();
  console.log(readyMessage(local, (Date.now() - started) / 1000));
}

/** What `npm start` prints once ready: where everything is, and commands to copy. */
export function readyMessage(local: LocalControlPlane, seconds: number): string {
  const sc = local.serviceCatalog;
  const awsCli = 'AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=local aws servicecatalog --region us-east-1';
  return [
    '',
    `dsenv local control plane ready in ${seconds.toFixed(1)} s`,
    `  API:       ${local.apiUrl}   (caller: X-Principal header, else the SigV4 key id, else local-user)`,
    `  emulator:  ${local.emulatorUrl}`,
    `  catalog:   ${sc.endpoint}   (Service Catalog: aws servicecatalog --endpoint-url ${sc.endpoint})`,
    `  portfolio: ${sc.portfolioId}  product: ${sc.productId}  artifact: ${sc.provisioningArtifactId}  launch path: ${sc.pathId}`,
    `  listener:  http://127.0.0.1:${local.listenerPort} and http://[::1]:${local.listenerPort} (by Host)`,
    `  DNS:       ${local.dnsServer} (udp)`,
    '',
    `  curl -s -XPOST ${local.apiUrl}/environments -H 'content-type: application/json' -d '{"name":"demo","ttlMinutes":5}'`,
    `  curl -s ${local.apiUrl}/environments`,
    `  ${awsCli} --endpoint-url ${sc.endpoint} provision-product --product-id ${sc.productId} --provisioning-artifact-id ${sc.provisioningArtifactId} --path-id ${sc.pathId} --provisioned-product-name demo --provisioning-parameters Key=EnvironmentName,Value=demo Key=TtlMinutes,Value=5`,
    `  ${awsCli} --endpoint-url ${sc.endpoint} describe-record --id <RecordId from above>`,
    '',
  ].join('\n');
}

/** Runs `main`; a failed start is one line (no stack for a bad emulator, the operator's to fix) and exit code 1. */
export function runMain(): void {
  main().catch((error: unknown) => {
    const detail =
      error instanceof EmulatorCheckError ? error.message : error instanceof Error ? error.stack : String(error);
    console.error(`[local] failed to start: ${detail}`);
    process.exit(1);
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runMain();
