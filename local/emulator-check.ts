import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Checks that an emulator given to the launcher (`AWS_ENDPOINT_URL`) is the project's: moto with every patch of
 * local/emulator/patches, which the lifecycle needs (a plain moto_server cannot deploy the blueprint, and answers
 * the state machine's calls with errors the handlers would retry forever). The extended emulator answers
 * `GET /_dsenv/patches` with the patches it carries; anything else (plain moto, LocalStack, another server) does not.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const PATCHES_MODULE = path.join(here, 'emulator', 'patches', '__init__.py');
export const MARKER_PATH = '/_dsenv/patches';

/** How to run the project's emulator, for the error messages. */
const HOW_TO_RUN =
  "Run the project's emulator with `python3 local/emulator/server.py -H 127.0.0.1 -p 5000` and set " +
  'AWS_ENDPOINT_URL=http://localhost:5000, or unset AWS_ENDPOINT_URL and `npm start` runs one itself.';

export class EmulatorCheckError extends Error {
  override readonly name = 'EmulatorCheckError';
}

/** The patches the lifecycle needs: the `PATCHES` list of local/emulator/patches/__init__.py (the one source). */
export function requiredPatches(): string[] {
  const source = readFileSync(PATCHES_MODULE, 'utf8');
  const list = /^PATCHES = \[([\s\S]*?)^\]/m.exec(source)?.[1];
  if (list === undefined) throw new Error(`no PATCHES list in ${PATCHES_MODULE}`);
  return [...list.matchAll(/^\s*"([a-z0-9_]+)"/gm)].map((m) => m[1] as string);
}

async function askForPatches(endpoint: string, timeoutMs: number): Promise<unknown> {
  const url = `${endpoint.replace(/\/$/, '')}${MARKER_PATH}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const { cause } = error as { cause?: { code?: string; message?: string } };
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new EmulatorCheckError(`no emulator answers at ${endpoint} (${why}). ${HOW_TO_RUN}`);
  }
  const text = await res.text();
  try {
    return res.ok ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves when the emulator at `endpoint` carries every required patch; otherwise throws EmulatorCheckError
 * naming what is missing and how to run the project's emulator. An endpoint that does not answer within
 * `timeoutMs` fails the same way.
 */
export async function checkEmulator(endpoint: string, timeoutMs = 5000): Promise<void> {
  const required = requiredPatches();
  const answer = await askForPatches(endpoint, timeoutMs);
  const carried = (answer as { patches?: unknown } | undefined)?.patches;
  if (!Array.isArray(carried)) {
    throw new EmulatorCheckError(
      `the emulator at ${endpoint} is not the project's extended moto (it does not answer GET ${MARKER_PATH}): ` +
        `it lacks the patches the lifecycle needs: ${required.join(', ')}. ${HOW_TO_RUN}`,
    );
  }
  const missing = required.filter((name) => !carried.includes(name));
  if (missing.length > 0) {
    throw new EmulatorCheckError(
      `the emulator at ${endpoint} runs without the patches ${missing.join(', ')} ` +
        `(DSENV_DISABLE_PATCHES?), which the lifecycle needs. ${HOW_TO_RUN}`,
    );
  }
}
