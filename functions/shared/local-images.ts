import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';

/**
 * Local mode only: the file that maps an image to the command standing for it (no container engine runs
 * locally). `npm start` points `LOCAL_IMAGE_COMMANDS` at it; on AWS the variable is unset and nothing is read.
 * Paths in `command` and `cwd` are relative to the file's folder. Format: docs/bring-your-own-service.md.
 */
export const LocalImageCommand = z.strictObject({
  /** argv of the process that stands for the image's entrypoint; the request's `command` is appended. */
  command: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  /** Working directory. @default the file's folder */
  cwd: z.optional(z.string()),
});
export type LocalImageCommand = z.infer<typeof LocalImageCommand>;

export const LocalImageCommands = z.strictObject({
  images: z.record(z.string().check(z.minLength(1)), LocalImageCommand),
});
export type LocalImageCommands = z.infer<typeof LocalImageCommands>;

/** Reads and checks the mapping file; throws naming the file when it is missing or malformed. */
export function readLocalImageCommands(file: string): LocalImageCommands {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the local image mapping ${file}: ${(error as Error).message}`);
  }
  const parsed = LocalImageCommands.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`the local image mapping ${file} is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
