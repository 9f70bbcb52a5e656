import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { emulatorClientConfig } from '../../../local/control-plane-resources.js';
import type { LocalProvisionedProduct } from '../../../local/service-catalog-stand-in.js';
import { invariantViolations, registryRecords } from '../invariants.js';
import {
  broken,
  count,
  EXPIRY_GRACE_MS,
  FINAL_STATUSES,
  LIVE_STATUSES,
  type Model,
  type ModelEnvironment,
  type Real,
  SLACK_MS,
} from './lifecycle-model.js';

/** An environment as the API shows it (the fields the model checks). */
export interface ViewedEnvironment {
  id: string;
  owner: string;
  name: string;
  status: string;
  source?: string;
  expiresAt: string;
  provisionedProductId?: string;
  validation?: { passed: boolean; checks: { name: string; status: string }[] };
}

const isFinal = (status: string) => (FINAL_STATUSES as readonly string[]).includes(status);
const isLive = (status: string) => (LIVE_STATUSES as readonly string[]).includes(status);
/** A catalog termination reaches the environment through the product stack's deletion: not at once. */
const CATALOG_TERMINATION_MS = 30_000;
/** A catalog launch registers its environment within this long, or the launch failed visibly. */
const LAUNCH_REGISTRATION_MS = 60_000;

/** Every environment `owner` sees (all pages); a 5xx is a break. */
export async function listAs(real: Real, owner: string): Promise<ViewedEnvironment[]> {
  const items: ViewedEnvironment[] = [];
  let nextToken: string | undefined;
  do {
    const query = nextToken === undefined ? '' : `&nextToken=${encodeURIComponent(nextToken)}`;
    const res = await real.system.request(owner, 'GET', `/environments?limit=100${query}`);
    if (res.status !== 200) broken(real, `GET /environments as ${owner}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...(res.body.items as ViewedEnvironment[]));
    nextToken = res.body.nextToken as string | undefined;
  } while (nextToken !== undefined);
  return items;
}

/** The promises about one environment, given what the API shows now. */
export function checkEnvironment(real: Real, env: ModelEnvironment, seen: ViewedEnvironment, now = Date.now()): void {
  const where = `${env.id} (${env.source}, owner ${env.owner.split('/').pop()})`;
  if (seen.owner !== env.owner) broken(real, `${where} is shown with owner ${seen.owner}`);
  if (seen.status === 'READY') {
    const failed = (seen.validation?.checks ?? []).filter((c) => c.status !== 'passed').map((c) => c.name);
    if (seen.validation?.passed !== true || failed.length > 0 || (seen.validation?.checks ?? []).length === 0) {
      broken(real, `${where} is READY without every check passed (failed: ${failed.join(', ') || 'no evidence'})`);
    }
  }
  if (env.final !== undefined && seen.status !== env.final) {
    broken(real, `${where} was ${env.final} and is now ${seen.status}`);
  }
  const deleteSettled =
    env.deleteRequestedAt !== undefined &&
    (env.source === 'api' || now - env.deleteRequestedAt > CATALOG_TERMINATION_MS);
  if (deleteSettled && isLive(seen.status)) {
    broken(real, `${where} is ${seen.status} after its deletion was accepted`);
  }
  const expiresAt = Date.parse(seen.expiresAt);
  if (seen.status === 'DELETED' && env.deleteRequestedAt === undefined && now < env.expiresAt - SLACK_MS) {
    broken(
      real,
      `${where} is DELETED though nobody deleted it and it expires only at ${new Date(env.expiresAt).toISOString()}`,
    );
  }
  if (Math.abs(expiresAt - env.expiresAt) > 1_000 && isLive(seen.status)) {
    broken(real, `${where} expires at ${seen.expiresAt}, the model says ${new Date(env.expiresAt).toISOString()}`);
  }
  if (!isFinal(seen.status) && now > env.expiresAt + EXPIRY_GRACE_MS) {
    broken(real, `${where} expired at ${new Date(env.expiresAt).toISOString()} and is still ${seen.status}`);
  }
  if (isFinal(seen.status) && env.final === undefined) {
    env.final = seen.status as 'DELETED' | 'FAILED';
    count(real.stats.finals, seen.status);
  }
  env.lastStatus = seen.status;
}

/** A catalog launch's environment, once it shows up in its owner's list. */
function adopt(model: Model, owner: string, seen: ViewedEnvironment): boolean {
  const launch = model.pendingLaunches.findIndex(
    (l) => l.owner === owner && l.provisionedProductId === seen.provisionedProductId,
  );
  if (launch < 0 || seen.source !== 'service-catalog') return false;
  model.pendingLaunches.splice(launch, 1);
  model.environments.set(seen.id, {
    id: seen.id,
    owner,
    name: seen.name,
    source: 'service-catalog',
    provisionedProductId: seen.provisionedProductId,
    expiresAt: Date.parse(seen.expiresAt),
    lastStatus: seen.status,
  });
  return true;
}

/**
 * Launches not registered yet. One whose product had failed (ERROR: e.g. refused by the owner's quota) or ended
 * before the owners' lists were read registered nothing that the lists would not show: it is over. One still
 * under way after `LAUNCH_REGISTRATION_MS` is a break.
 */
function checkPendingLaunches(model: Model, real: Real, productsBefore: readonly LocalProvisionedProduct[]): void {
  for (const launch of [...model.pendingLaunches]) {
    const product = productsBefore.find((p) => p.id === launch.provisionedProductId);
    if (product?.status === 'ERROR' || product?.status === 'TERMINATED') {
      model.pendingLaunches.splice(model.pendingLaunches.indexOf(launch), 1);
      count(real.stats.outcomes, `catalog launch ended ${product.status} unregistered`);
    } else if (Date.now() - launch.launchedAt > LAUNCH_REGISTRATION_MS) {
      broken(real, `catalog launch ${launch.name} never registered an environment (product ${product?.status})`);
    }
  }
}

/** After every step: each owner's view matches the model, and every promise about each environment holds. */
export async function checkView(model: Model, real: Real): Promise<void> {
  // The catalog's products are read before the lists: a launch that had failed by then shows in them if it
  // registered anything.
  const products = model.pendingLaunches.length > 0 ? await real.system.catalogProducts() : [];
  // The owners' lists are read at once (one moment for all), then checked in order.
  const lists = await Promise.all(model.owners.map((owner) => listAs(real, owner)));
  for (const [index, owner] of model.owners.entries()) {
    const items = lists[index] as ViewedEnvironment[];
    const seenIds = new Set<string>();
    for (const item of items) {
      seenIds.add(item.id);
      if (item.owner !== owner) broken(real, `${owner} sees ${item.id} of ${item.owner}`);
      const env = model.environments.get(item.id);
      if (env === undefined) {
        if (!adopt(model, owner, item)) broken(real, `${owner} sees ${item.id} (${item.name}), which it never created`);
        continue;
      }
      if (env.owner !== owner) broken(real, `${owner} sees ${item.id} of ${env.owner}`);
      checkEnvironment(real, env, item);
    }
    for (const env of model.list((e) => e.owner === owner)) {
      if (!seenIds.has(env.id)) broken(real, `${env.id} of ${owner} is missing from its list`);
    }
  }
  checkPendingLaunches(model, real, products);
}

/** After settling: nothing exists without a live record, across every history run so far. */
export async function checkNoOrphans(real: Real): Promise<string[]> {
  const { system } = real;
  const tasks = await system.liveTasks();
  const found = await invariantViolations(system.emulatorUrl, {
    liveEnvironmentIds: tasks.map((t) => t.environmentId),
  });
  const records = new Map((await registryRecords(system.emulatorUrl)).map((r) => [r.id, r]));
  const live = (id: string) => {
    const status = records.get(id)?.status;
    return status !== undefined && !isFinal(status);
  };
  const config = emulatorClientConfig(system.emulatorUrl);
  const scheduler = new SchedulerClient(config);
  const cfn = new CloudFormationClient(config);
  try {
    const { Schedules = [] } = await scheduler.send(new ListSchedulesCommand({ NamePrefix: 'dsenv-' }));
    for (const schedule of Schedules) {
      const id = /^dsenv-(env-[a-z0-9]+)-expiry$/.exec(schedule.Name ?? '')?.[1];
      if (id !== undefined && !live(id)) found.push(`schedule ${schedule.Name} has no live record`);
    }
    for (const task of tasks) {
      if (!live(task.environmentId))
        found.push(`task (pid ${task.probePid}) of ${task.environmentId} has no live record`);
    }
    const liveProducts = new Set<string>();
    for (const record of records.values()) {
      const productId = (record as { provisionedProductId?: string }).provisionedProductId;
      if (productId !== undefined && live(record.id)) liveProducts.add(productId);
    }
    for (const product of await system.catalogProducts()) {
      if ((product.status === 'AVAILABLE' || product.status === 'UNDER_CHANGE') && !liveProducts.has(product.id)) {
        found.push(`catalog product ${product.id} (${product.name}) is ${product.status} without a live record`);
      }
    }
    const { StackSummaries = [] } = await cfn.send(new ListStacksCommand({}));
    for (const stack of StackSummaries) {
      const productId = /^SC-\d{12}-(.+)$/.exec(stack.StackName ?? '')?.[1];
      if (productId === undefined || stack.StackStatus === 'DELETE_COMPLETE' || stack.ParentId !== undefined) continue;
      if (!liveProducts.has(productId)) {
        found.push(`catalog product stack ${stack.StackName} (${stack.StackStatus}) without a live record`);
      }
    }
  } finally {
    scheduler.destroy();
    cfn.destroy();
  }
  return found;
}
