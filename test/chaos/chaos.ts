import { parseArgs } from 'node:util';
import { type EmulatorRequest, operationSummary } from '../../bench/emulator-timing-proxy.js';
import { runHistories } from '../local/model/histories.js';
import { emptyStats, type HistoryStats } from '../local/model/lifecycle-model.js';
import { LocalSystem } from '../local/model/system.js';

/**
 * `npm run chaos -- --ops 500 --seed S`: long random histories against the real local mode (the model-based test
 * of test/local/random-histories.test.ts, with 1-minute TTLs and launcher restarts), then a summary: operations
 * by kind, faults injected, final states, invariant breaks, orphans; and the seed and shrunk history of a failure.
 */
const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '500' },
    seed: { type: 'string' },
    // Long histories: each ends by settling every environment (the costliest step), so fewer of them run faster.
    'commands-per-history': { type: 'string', default: '120' },
    'time-limit-minutes': { type: 'string', default: '14' },
    verbose: { type: 'boolean', default: false },
    // Emulator requests through a timing proxy: the summary then says where the emulator's time went.
    profile: { type: 'boolean', default: false },
  },
});

function table(title: string, counter: Record<string, number>): string {
  const rows = Object.entries(counter).sort(([a], [b]) => a.localeCompare(b));
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  return [`${title} (${total})`, ...rows.map(([k, n]) => `  ${k.padEnd(28)} ${n}`)].join('\n');
}

function timeTable(title: string, counter: Record<string, number>): string {
  const rows = Object.entries(counter).sort(([, a], [, b]) => b - a);
  return [title, ...rows.map(([k, s]) => `  ${k.padEnd(28)} ${s.toFixed(0)}`)].join('\n');
}

function summary(stats: HistoryStats, seed: number, seconds: number): string {
  return [
    `chaos: seed ${seed}, ${stats.histories} histories in ${(seconds / 60).toFixed(1)} min`,
    table('operations', stats.ops),
    table('faults injected', stats.faults),
    table('final states', stats.finals),
    table('outcomes', stats.outcomes),
    timeTable('time spent (s)', stats.seconds),
    `launcher restarts             ${stats.restarts}`,
    `invariant breaks              ${stats.breaks.length}`,
    ...stats.breaks.slice(0, 10).map((b) => `  ${b}`),
    `orphans                       ${stats.orphans}`,
  ].join('\n');
}

/** The emulator's requests by operation, the most time first (it answers one request at a time). */
function emulatorTable(requests: readonly EmulatorRequest[], minutes: number): string {
  const rows = Object.entries(operationSummary(requests));
  const busySeconds = rows.reduce((sum, [, e]) => sum + e.totalMs, 0) / 1000;
  return [
    `emulator (${requests.length} requests, ${busySeconds.toFixed(0)} s in flight, queueing included, ${(requests.length / minutes).toFixed(0)}/min)`,
    ...rows
      .slice(0, 20)
      .map(
        ([op, e]) =>
          `  ${op.padEnd(44)} ${String(e.n).padStart(6)} calls ${(e.totalMs / 1000).toFixed(1).padStart(7)} s`,
      ),
  ].join('\n');
}

async function main(): Promise<number> {
  const ops = Number(values.ops);
  const perHistory = Number(values['commands-per-history']);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const stats = emptyStats();
  const started = Date.now();
  console.log(`chaos: ${ops} operations, ${perHistory} per history, seed ${seed}; starting local mode…`);
  const system = await LocalSystem.start({ profile: values.profile });
  // The launcher runs in a process group of its own (so a history can kill it): Ctrl-C must stop it too.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\nchaos: ${signal}, stopping local mode`);
      void system.stop().finally(() => process.exit(130));
    });
  }
  let failure: string | undefined;
  try {
    failure = await runHistories({
      system,
      stats,
      seed,
      // Histories vary in length: run them until `ops` operations have run (or the time limit).
      histories: ops,
      opsTarget: ops,
      commands: perHistory,
      shortTtl: true,
      restarts: true,
      timeLimitMs: Number(values['time-limit-minutes']) * 60_000,
      log: (line) => console.log(values.verbose ? line : line.replace(/: .*\(/, ' (')),
    });
  } finally {
    await system.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${summary(stats, seed, seconds)}`);
  if (values.profile) console.log(`\n${emulatorTable(system.emulatorRequests(), seconds / 60)}`);
  if (failure) console.log(`\nFAILED — replay with --seed ${seed}\n${failure}`);
  return failure ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
