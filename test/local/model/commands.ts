import fc from 'fast-check';
import type { FaultSpec } from '../../../local/emulator-faults.js';
import {
  broken,
  count,
  MAX_ACTIVE_PER_OWNER,
  type Model,
  type ModelEnvironment,
  type Real,
  SLACK_MS,
  timed,
} from './lifecycle-model.js';
import { checkEnvironment, checkView, listAs, type ViewedEnvironment } from './model-invariants.js';
import type { ApiAnswer } from './system.js';

/**
 * The operations of a random history. Each one acts on the real local mode as a user (or a fault) would, checks
 * its own answer against the model, and ends with the view check of every owner (model-invariants.ts).
 */
type Command = fc.AsyncCommand<Model, Real, false>;

const MINUTE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type CreateFault =
  | 'none'
  | 'create-failed'
  | 'rollback-complete'
  | 'slow-stack'
  | 'throttle'
  | 'probe-down'
  | 'ipv6-down';
export type DeleteFault = 'none' | 'delete-failed-once' | 'throttle';

function no5xx(real: Real, what: string, res: ApiAnswer): void {
  if (res.status >= 500) broken(real, `${what} answered ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * A 4xx with the one error shape, and every environment of `owner` exactly as before. A catalog launch still
 * registering (its environment appears when the catalog's registration runs) is not a change the request made.
 */
async function rejectedUnchanged(
  real: Real,
  model: Readonly<Model>,
  owner: string,
  what: string,
  expected: readonly number[],
  act: () => Promise<ApiAnswer>,
): Promise<void> {
  const registering = new Set(model.pendingLaunches.filter((l) => l.owner === owner).map((l) => l.name));
  const snapshot = (items: ViewedEnvironment[]) =>
    JSON.stringify(
      items
        .filter((e) => !registering.has(e.name))
        .map((e) => [e.id, e.expiresAt])
        .sort(),
    );
  const before = snapshot(await listAs(real, owner));
  const res = await act();
  no5xx(real, what, res);
  const error = res.body.error as { code?: unknown; message?: unknown } | undefined;
  if (!expected.includes(res.status) || typeof error?.code !== 'string' || typeof error.message !== 'string') {
    broken(
      real,
      `${what}: expected ${expected.join('/')} with an error body, got ${res.status} ${JSON.stringify(res.body)}`,
    );
  }
  const after = snapshot(await listAs(real, owner));
  if (after !== before) broken(real, `${what} answered ${res.status} but changed ${owner}'s environments`);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

async function viewOf(real: Real, env: ModelEnvironment): Promise<ViewedEnvironment & { stackId?: string }> {
  const res = await real.system.request(env.owner, 'GET', `/environments/${env.id}`);
  no5xx(real, `GET ${env.id}`, res);
  if (res.status !== 200) broken(real, `GET ${env.id} as its owner: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as ViewedEnvironment & { stackId?: string };
}

/** The emulator fault armed before a create, for any stack created meanwhile (cleared once this one has a stack). */
function createFaultSpec(fault: CreateFault): FaultSpec | undefined {
  switch (fault) {
    case 'create-failed':
      return { failCreate: { resource: 'LoadBalancer', message: 'Too many load balancers (injected)' } };
    case 'rollback-complete':
      return { failCreate: { resource: 'LoadBalancer', rollback: true } };
    case 'slow-stack':
      return { slowCreate: { seconds: 4, times: 1 } };
    case 'throttle':
      return { throttle: { action: 'CreateStack', count: 4 } };
    default:
      return undefined;
  }
}

class CreateCommand implements Command {
  constructor(
    readonly ownerIndex: number,
    readonly ttlMinutes: number,
    readonly idempotent: boolean,
    readonly fault: CreateFault,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const owner = model.owner(this.ownerIndex);
    const name = model.nextName('api');
    const body = { name, ttlMinutes: this.ttlMinutes };
    const headers: Record<string, string> = this.idempotent ? { 'idempotency-key': `key-${name}` } : {};
    count(real.stats.ops, this.idempotent ? 'create (idempotent)' : 'create');
    const spec = createFaultSpec(this.fault);
    if (spec) await real.system.arm(spec);
    const possiblyActive = model.possiblyActive(owner);
    const res = await real.system.request(owner, 'POST', '/environments', body, headers);
    no5xx(real, 'POST /environments', res);
    if (res.status === 429) {
      if (spec) await real.system.faults.clear();
      if (possiblyActive < MAX_ACTIVE_PER_OWNER) {
        broken(real, `create refused (429) with only ${possiblyActive} environment(s) of ${owner} possibly active`);
      }
      count(real.stats.outcomes, 'create refused by quota');
      return;
    }
    if (res.status !== 202) broken(real, `POST /environments: ${res.status} ${JSON.stringify(res.body)}`);
    const created = res.body as unknown as ViewedEnvironment;
    const env: ModelEnvironment = {
      id: created.id,
      owner,
      name,
      source: 'api',
      expiresAt: Date.parse(created.expiresAt),
      lastStatus: created.status,
    };
    if (Math.abs(env.expiresAt - (Date.now() + this.ttlMinutes * MINUTE_MS)) > SLACK_MS) {
      broken(real, `${env.id} expires at ${created.expiresAt}, not ${this.ttlMinutes} minute(s) from now`);
    }
    model.environments.set(env.id, env);
    if (this.idempotent) await this.replay(model, real, env, body, headers);
    await this.injectAfter(real, env, spec);
  }
  /** The same request again gives the same environment, and the owner has only one of that name. */
  private async replay(
    model: Model,
    real: Real,
    env: ModelEnvironment,
    body: unknown,
    headers: Record<string, string>,
  ) {
    const again = await real.system.request(env.owner, 'POST', '/environments', body, headers);
    no5xx(real, 'POST /environments (replayed)', again);
    if (again.status !== 202 || again.body.id !== env.id) {
      broken(real, `replayed create of ${env.id} answered ${again.status} ${JSON.stringify(again.body)}`);
    }
    const named = (await listAs(real, env.owner)).filter((e) => e.name === env.name);
    if (named.length !== 1) broken(real, `idempotent create of ${env.name} made ${named.length} environments`);
    model.idempotencyKeys.set(headers['idempotency-key'] as string, { owner: env.owner, id: env.id, body });
  }
  private async injectAfter(real: Real, env: ModelEnvironment, spec: FaultSpec | undefined): Promise<void> {
    if (this.fault === 'probe-down' || this.fault === 'ipv6-down') {
      await real.system.setTargetFault(env.id, this.fault === 'probe-down' ? 'probe-5xx' : 'ipv6-down');
      count(real.stats.faults, this.fault);
      return;
    }
    if (!spec) return;
    // Until this environment's stack exists (or it is over): then the fault has had its chance.
    const hadStack = await waitFor(async () => {
      const seen = await viewOf(real, env);
      return seen.stackId !== undefined || !['CREATING'].includes(seen.status);
    }, 15_000);
    const armed = await real.system.faults.armed();
    const consumed =
      this.fault === 'throttle'
        ? (armed.throttle[0]?.count ?? 4) < 4
        : this.fault === 'slow-stack'
          ? armed.slowCreate[0]?.times === 0
          : hadStack;
    if (consumed) count(real.stats.faults, this.fault);
    await real.system.faults.clear();
  }
  toString(): string {
    const options = [
      `ttl ${this.ttlMinutes}`,
      this.idempotent ? 'idempotent' : '',
      this.fault === 'none' ? '' : `fault ${this.fault}`,
    ];
    return `create(u${this.ownerIndex}, ${options.filter(Boolean).join(', ')})`;
  }
}

const INVALID_CREATES = {
  'ttl 0': { body: { name: 'bad-ttl', ttlMinutes: 0 }, expected: [400] },
  'ttl above the maximum': { body: { name: 'bad-ttl', ttlMinutes: 1_000_000 }, expected: [400] },
  'unknown field': { body: { name: 'extra', colour: 'blue' }, expected: [400] },
  'bad name': { body: { name: 'Not A Name!' }, expected: [400] },
  'no name': { body: { ttlMinutes: 30 }, expected: [400] },
  'not JSON': { body: '{"name": ', expected: [400] },
  'text body': { body: 'hello', expected: [400, 415], contentType: 'text/plain' },
} as const satisfies Record<string, { body: unknown; expected: readonly number[]; contentType?: string }>;
type InvalidCreate = keyof typeof INVALID_CREATES;

class CreateInvalidCommand implements Command {
  constructor(
    readonly ownerIndex: number,
    readonly kind: InvalidCreate,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    count(real.stats.ops, 'create (invalid)');
    const owner = model.owner(this.ownerIndex);
    const invalid: { body: unknown; expected: readonly number[]; contentType?: string } = INVALID_CREATES[this.kind];
    const headers: Record<string, string> = invalid.contentType ? { 'content-type': invalid.contentType } : {};
    await rejectedUnchanged(real, model, owner, `create with ${this.kind}`, invalid.expected, () =>
      real.system.request(owner, 'POST', '/environments', invalid.body, headers),
    );
  }
  toString = () => `createInvalid(u${this.ownerIndex}, ${this.kind})`;
}

class GetCommand implements Command {
  constructor(
    readonly pick: number,
    readonly asOther: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.environments.size > 0;
  async run(model: Model, real: Real): Promise<void> {
    count(real.stats.ops, this.asOther ? 'get (other owner)' : 'get');
    const env = model.pick(this.pick) as ModelEnvironment;
    if (this.asOther) {
      const other = model.owners.find((o) => o !== env.owner) as string;
      await rejectedUnchanged(real, model, env.owner, `GET ${env.id} as another owner`, [404], () =>
        real.system.request(other, 'GET', `/environments/${env.id}`),
      );
      return;
    }
    checkEnvironment(real, env, await viewOf(real, env));
  }
  toString = () => `get(#${this.pick}${this.asOther ? ', as another owner' : ''})`;
}

class ListCommand implements Command {
  constructor(readonly ownerIndex: number) {}
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    count(real.stats.ops, 'list');
    // The view check after every command lists every owner: nothing more to do here.
  }
  toString = () => `list(u${this.ownerIndex})`;
}

class ExtendCommand implements Command {
  constructor(
    readonly pick: number,
    readonly ttlMinutes: number,
    readonly asOther: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.environments.size > 0;
  async run(model: Model, real: Real): Promise<void> {
    const env = model.pick(this.pick) as ModelEnvironment;
    const valid = this.ttlMinutes >= 1 && this.ttlMinutes <= 10_080;
    count(real.stats.ops, !valid ? 'extend (invalid)' : this.asOther ? 'extend (other owner)' : 'extend');
    const patch = (owner: string) =>
      real.system.request(owner, 'PATCH', `/environments/${env.id}`, { ttlMinutes: this.ttlMinutes });
    if (!valid || this.asOther) {
      const caller = this.asOther ? (model.owners.find((o) => o !== env.owner) as string) : env.owner;
      await rejectedUnchanged(
        real,
        model,
        env.owner,
        `extend ${env.id} by ${this.ttlMinutes}`,
        // Another owner's invalid TTL may be refused for either reason: the body is checked before the owner.
        !valid ? (this.asOther ? [400, 404] : [400]) : [404],
        () => patch(caller),
      );
      return;
    }
    const res = await patch(env.owner);
    no5xx(real, `PATCH ${env.id}`, res);
    if (res.status === 200) {
      if (env.final !== undefined || env.deleteRequestedAt !== undefined) {
        broken(real, `${env.id} was extended though it is ${env.final ?? 'being deleted'}`);
      }
      env.expiresAt = Date.parse(String(res.body.expiresAt));
      if (Math.abs(env.expiresAt - (Date.now() + this.ttlMinutes * MINUTE_MS)) > SLACK_MS) {
        broken(real, `${env.id} extended by ${this.ttlMinutes} min expires at ${String(res.body.expiresAt)}`);
      }
      return;
    }
    if (res.status !== 409) broken(real, `PATCH ${env.id}: ${res.status} ${JSON.stringify(res.body)}`);
    // Refused: only right when the environment is no longer live.
    const seen = await viewOf(real, env);
    if (['CREATING', 'VALIDATING', 'READY'].includes(seen.status)) {
      broken(real, `extending ${env.id} was refused (409) while it is ${seen.status}`);
    }
  }
  toString = () => `extend(#${this.pick}, ttl ${this.ttlMinutes}${this.asOther ? ', as another owner' : ''})`;
}

class DeleteCommand implements Command {
  constructor(
    readonly pick: number,
    readonly fault: DeleteFault,
    readonly asOther: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.environments.size > 0;
  async run(model: Model, real: Real): Promise<void> {
    const env = model.pick(this.pick) as ModelEnvironment;
    count(real.stats.ops, this.asOther ? 'delete (other owner)' : 'delete');
    if (this.asOther) {
      const other = model.owners.find((o) => o !== env.owner) as string;
      await rejectedUnchanged(real, model, env.owner, `DELETE ${env.id} as another owner`, [404], () =>
        real.system.request(other, 'DELETE', `/environments/${env.id}`),
      );
      return;
    }
    const stackName = `dsenv-${env.id}`;
    if (this.fault === 'delete-failed-once') await real.system.arm({ failDelete: { stackName, times: 1 } });
    if (this.fault === 'throttle') await real.system.arm({ throttle: { action: 'DeleteStack', count: 4, stackName } });
    const res = await real.system.request(env.owner, 'DELETE', `/environments/${env.id}`);
    no5xx(real, `DELETE ${env.id}`, res);
    if (res.status !== 202) broken(real, `DELETE ${env.id}: ${res.status} ${JSON.stringify(res.body)}`);
    const status = String(res.body.status);
    if (env.final !== undefined && status !== env.final)
      broken(real, `DELETE of ${env.final} ${env.id} shows ${status}`);
    if (env.final === undefined && !['DELETING', 'DELETED', 'FAILED'].includes(status)) {
      broken(real, `DELETE ${env.id} answered 202 with status ${status}`);
    }
    env.deleteRequestedAt ??= Date.now();
    if (this.fault !== 'none') await this.awaitFault(real, env, status);
  }
  /**
   * Until the fault has hit this teardown (DELETE_FAILED once is spent; a throttled call was refused and is
   * retried), which then goes on while the history does; or until the environment is final (it had no stack left
   * to delete). A switch not consumed must not outlive this step.
   */
  private async awaitFault(real: Real, env: ModelEnvironment, answered: string): Promise<void> {
    const consumed = async () => {
      const armed = await real.system.faults.armed();
      return this.fault === 'throttle' ? (armed.throttle[0]?.count ?? 0) < 4 : armed.failDelete[0]?.times === 0;
    };
    let hit = false;
    if (answered === 'DELETING') {
      await waitFor(async () => {
        hit = await consumed();
        return hit || ['DELETED', 'FAILED'].includes((await viewOf(real, env)).status);
      }, 15_000);
    }
    if (hit) count(real.stats.faults, this.fault === 'throttle' ? 'throttle' : 'delete-failed-once');
    await real.system.faults.clear();
  }
  toString = () =>
    `delete(#${this.pick}${this.fault === 'none' ? '' : `, fault ${this.fault}`}${this.asOther ? ', as another owner' : ''})`;
}

class CatalogLaunchCommand implements Command {
  constructor(
    readonly ownerIndex: number,
    readonly ttlMinutes: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    count(real.stats.ops, 'catalog launch');
    const owner = model.owner(this.ownerIndex);
    const name = model.nextName('sc');
    const provisionedProductId = await real.system.catalogLaunch(owner, name, this.ttlMinutes);
    model.pendingLaunches.push({ owner, name, provisionedProductId, launchedAt: Date.now() });
  }
  toString = () => `catalogLaunch(u${this.ownerIndex}, ttl ${this.ttlMinutes})`;
}

class CatalogTerminateCommand implements Command {
  constructor(readonly pick: number) {}
  private static readonly terminable = (e: ModelEnvironment) =>
    e.source === 'service-catalog' && e.final === undefined && e.deleteRequestedAt === undefined;
  check = (model: Readonly<Model>) => model.list(CatalogTerminateCommand.terminable).length > 0;
  async run(model: Model, real: Real): Promise<void> {
    count(real.stats.ops, 'catalog terminate');
    const env = model.pick(this.pick, CatalogTerminateCommand.terminable) as ModelEnvironment;
    const productId = env.provisionedProductId as string;
    // Service Catalog refuses to terminate a product while its launch is still under way, and one the control plane
    // is already terminating (its environment failed or expired meanwhile): both refusals are right and change
    // nothing, but only in those states; a product that became available meanwhile must terminate.
    for (let attempt = 1; ; attempt += 1) {
      const error = await real.system.catalogTerminate(env.owner, productId).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      if (error === undefined) break;
      const product = (await real.system.catalogProducts()).find((p) => p.id === productId);
      const launching = product?.status === 'UNDER_CHANGE' && product.terminateToken === undefined;
      const terminating = product?.status === 'TERMINATED' || product?.terminateToken !== undefined;
      const refusal = ['InvalidStateException', 'ResourceNotFoundException'].includes(error.name);
      if (refusal && (launching || terminating)) {
        count(
          real.stats.outcomes,
          launching ? 'catalog terminate refused (launching)' : 'catalog terminate refused (ending)',
        );
        return;
      }
      if (!refusal || attempt > 1) {
        broken(real, `terminating ${productId} (${env.id}, product ${product?.status}): ${error.message}`);
      }
    }
    env.deleteRequestedAt = Date.now();
  }
  toString = () => `catalogTerminate(#${this.pick})`;
}

class ThrottleBurstCommand implements Command {
  constructor(
    readonly action: 'CreateStack' | 'DescribeStacks' | 'DeleteStack',
    readonly calls: number,
  ) {}
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    count(real.stats.ops, 'throttling burst');
    await real.system.arm({ throttle: { action: this.action, count: this.calls } });
    // Armed for half a second: it hits what is in flight (a burst with nothing to hit is spent as a no-op).
    await sleep(500);
    const left = (await real.system.faults.armed()).throttle[0]?.count ?? this.calls;
    if (left < this.calls) count(real.stats.faults, 'throttle');
    await real.system.faults.clear();
  }
  toString = () => `throttleBurst(${this.action} × ${this.calls})`;
}

class PauseCommand implements Command {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    count(real.stats.ops, 'pause');
    await sleep(this.seconds * 1000);
  }
  toString = () => `pause(${this.seconds} s)`;
}

class RestartCommand implements Command {
  check = (model: Readonly<Model>) => !model.catalogInFlight();
  async run(_model: Model, real: Real): Promise<void> {
    count(real.stats.ops, 'launcher restart');
    await real.system.restart();
    real.stats.restarts += 1;
    count(real.stats.faults, 'launcher restart');
  }
  toString = () => 'restartLauncher()';
}

/** Every command ends with the view check; none runs once `done()` (the run's operation target is reached). */
function checked(command: Command, done: () => boolean): Command {
  const kind = command.toString().replace(/\(.*$/, '');
  return {
    check: (model) => !done() && command.check(model),
    run: async (model, real) => {
      await timed(real.stats, kind, () => command.run(model, real));
      await timed(real.stats, 'view check', () => checkView(model, real));
    },
    toString: () => command.toString(),
  };
}

const owner = fc.nat({ max: 2 });
const pick = fc.nat({ max: 99 });
const createFault = fc.constantFrom<CreateFault>(
  'none',
  'none',
  'none',
  'create-failed',
  'rollback-complete',
  'slow-stack',
  'throttle',
  'probe-down',
  'ipv6-down',
);

/** The command arbitraries, weighted towards creates and reads. */
export function commandArbitraries(options: {
  shortTtl: boolean;
  restarts: boolean;
  /** True once no more operation should run (the history then settles). @default never */
  done?: () => boolean;
}): fc.Arbitrary<Command>[] {
  const done = options.done ?? (() => false);
  const ttl = options.shortTtl ? fc.constantFrom(1, 30, 30) : fc.constant(30);
  const create = fc.tuple(owner, ttl, fc.boolean(), createFault).map(([o, t, i, f]) => new CreateCommand(o, t, i, f));
  return [
    create,
    create,
    create,
    fc
      .tuple(owner, fc.constantFrom(...(Object.keys(INVALID_CREATES) as InvalidCreate[])))
      .map(([o, k]) => new CreateInvalidCommand(o, k)),
    fc.tuple(pick, fc.boolean()).map(([p, other]) => new GetCommand(p, other)),
    owner.map((o) => new ListCommand(o)),
    fc.tuple(pick, fc.constantFrom(0, 5, 60, 120), fc.boolean()).map(([p, t, other]) => new ExtendCommand(p, t, other)),
    fc
      .tuple(pick, fc.constantFrom<DeleteFault>('none', 'none', 'delete-failed-once', 'throttle'), fc.boolean())
      .map(([p, f, other]) => new DeleteCommand(p, f, other && f === 'none')),
    fc.tuple(owner, ttl).map(([o, t]) => new CatalogLaunchCommand(o, t)),
    pick.map((p) => new CatalogTerminateCommand(p)),
    fc
      .tuple(
        fc.constantFrom('CreateStack', 'DescribeStacks', 'DeleteStack') as fc.Arbitrary<'CreateStack'>,
        fc.integer({ min: 3, max: 8 }),
      )
      .map(([a, n]) => new ThrottleBurstCommand(a, n)),
    fc.constant(0.5).map((s) => new PauseCommand(s)),
    // A restart costs a launcher start-up (about 7 s) and runs only while no catalog launch is in flight (the
    // catalog stand-in lives in the launcher): one in two of these draws (the others list), about one restart a
    // minute in a long run.
    ...(options.restarts
      ? [fc.nat({ max: 1 }).map((n): Command => (n === 0 ? new RestartCommand() : new ListCommand(n % 3)))]
      : []),
  ].map((arbitrary: fc.Arbitrary<Command>) => arbitrary.map((command) => checked(command, done)));
}
