import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';

/**
 * Runs the project's Lambda handlers in this process, the way Lambda would: the same module (imported
 * from its entry file, only after the launcher has set the environment), called with the event and a
 * context object. Invocations overlap in this one process, as on a Lambda managed instance: each runs in its own
 * invoke store context (`AWS_LAMBDA_MAX_CONCURRENCY`), so Powertools keeps each one's log keys, metrics and Lambda
 * context apart instead of sharing one logger's state between concurrent invocations.
 */

/** The repository root: entry paths (`functions/api/…`) are relative to it, as in the CDK app. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const modules = new Map<string, Promise<Handler>>();

/** Imports `entry` (relative to the repository root) once, and returns its `handler` export. */
export function loadHandler(entry: string): Promise<Handler> {
  const absolute = path.isAbsolute(entry) ? entry : path.join(REPO_ROOT, entry);
  let loading = modules.get(absolute);
  if (!loading) {
    loading = import(pathToFileURL(absolute).href).then((mod: { handler?: unknown }) => {
      if (typeof mod.handler !== 'function') throw new Error(`${entry} does not export a handler function`);
      return mod.handler as Handler;
    });
    modules.set(absolute, loading);
  }
  return loading;
}

/** A function name for an entry file: `functions/api/get-environment.ts` → `dsenv-get-environment`. */
export function functionNameFor(entry: string): string {
  return `dsenv-${path.basename(entry).replace(/\.[cm]?[jt]s$/, '')}`;
}

/** The context object Lambda passes to a handler (what Powertools and middy read from it). */
export function lambdaContext(functionName: string, timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

let invokeStore: Promise<InvokeStoreBase> | undefined;

/**
 * The invoke store of concurrent invocations (created before Powertools first looks for it). Returns the
 * environment the functions then need: `AWS_LAMBDA_MAX_CONCURRENCY` tells Powertools to scope its state to it.
 */
export async function concurrentInvocations(maxConcurrency = 64): Promise<{ AWS_LAMBDA_MAX_CONCURRENCY: string }> {
  invokeStore ??= InvokeStore.getInstanceAsync(true);
  await invokeStore;
  return { AWS_LAMBDA_MAX_CONCURRENCY: String(maxConcurrency) };
}

/** Invokes the handler of `entry` with `event`, as one Lambda invocation (in its own invoke store context). */
export async function invoke(entry: string, event: unknown, timeoutMs?: number): Promise<unknown> {
  const handler = await loadHandler(entry);
  const context = lambdaContext(functionNameFor(entry), timeoutMs);
  const store = await (invokeStore ?? InvokeStore.getInstanceAsync(true));
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, () =>
    handler(event, context),
  );
}
