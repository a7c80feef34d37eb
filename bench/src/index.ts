import { availableParallelism, loadavg } from 'node:os';
import { CONNCACHE_OPTIONS, formatConncache, runConncacheSuite } from './conncache.js';
import { MESSAGING_OPTIONS, formatMessaging, runMessaging } from './messaging.js';
import { TRANSPORTS } from './messaging-transports.js';
import type { Mode } from './mode.js';

interface Suite {
  readonly name: string;
  run(mode: Mode, verbose: boolean): Promise<string>;
}

const SUITES: readonly Suite[] = [
  {
    name: 'conncache',
    run: async (mode, verbose) => formatConncache(await runConncacheSuite(CONNCACHE_OPTIONS[mode]), verbose),
  },
  ...Object.keys(TRANSPORTS).map(
    (transport): Suite => ({
      name: `messaging-${transport}`,
      run: async (mode, verbose) => formatMessaging(await runMessaging(transport, MESSAGING_OPTIONS[mode]), verbose),
    }),
  ),
];

const USAGE = `usage: node dist/index.js [--quick] [filter...]

Runs the benchmarks whose name contains one of the filters (all of them when
there is none) and prints ops/s and ratios against baselines measured in the
same run. Suites: ${SUITES.map((s) => s.name).join(', ')}.

  --quick   fewer and shorter rounds (the whole run in under a minute)
  --tiny    one minimal round of each case (checks that the code runs)
  --verbose also print every round's result
`;

/**
 * Other processes competing for the CPUs skew everything (the ratios less,
 * since the implementations compared alternate); say so rather than print
 * numbers that look clean. Before the run the load is all someone else's;
 * after it, up to 2 of it is the run's own two busy processes.
 */
function warnIfBusy(when: 'before' | 'after'): void {
  const [load1 = 0] = loadavg();
  const cpus = availableParallelism();
  process.stdout.write(`load average (1 min) ${when} the run: ${load1.toFixed(2)} (${cpus} cpus)\n`);
  if (load1 > (when === 'before' ? 0 : 2) + cpus / 2) {
    process.stdout.write('WARNING: the machine is busy with other work; the numbers are unreliable, the ratios less so.\n');
  }
  process.stdout.write('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  let mode: Mode = 'full';
  let verbose = false;
  const filters: string[] = [];
  for (const arg of argv) {
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--tiny') mode = 'tiny';
    else if (arg === '--verbose' || arg === '-v') verbose = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg.startsWith('-')) {
      process.stderr.write(`unknown option ${arg}\n${USAGE}`);
      return 2;
    } else filters.push(arg.toLowerCase());
  }
  const suites = SUITES.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  if (suites.length === 0) {
    process.stderr.write(`no suite matches ${filters.join(', ')}\n${USAGE}`);
    return 2;
  }
  process.stdout.write(
    `@ipcm bench (${mode}) ${new Date().toISOString()}  node ${process.version}  ${availableParallelism()} cpus  ${process.platform}/${process.arch}\n\n`,
  );
  warnIfBusy('before');
  const started = performance.now();
  for (const suite of suites) {
    const t0 = performance.now();
    process.stdout.write(`== ${suite.name}\n`);
    process.stdout.write(await suite.run(mode, verbose));
    process.stdout.write(`(${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n\n`);
  }
  process.stdout.write(`total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  warnIfBusy('after');
  return 0;
}

// `... | head` closes our stdout early: stop quietly rather than crash on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
