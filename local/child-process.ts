import type { ChildProcess } from 'node:child_process';

/** Stops a child process: SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/**
 * Passes each non-empty output line of a child (stdout and stderr) to `onOutput` and keeps the last 2,000 characters,
 * returned by the function it gives back, for the error that explains a process that never became ready.
 */
export function captureOutput(child: ChildProcess, onOutput?: (line: string) => void): () => string {
  let tail = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-2000);
    for (const line of text.split('\n')) if (line.trim() !== '') onOutput?.(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => tail;
}
