import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CONNCACHE_OPTIONS, formatConncache, runConncacheSuite } from './conncache.js';
import { IDLE_SWEEP_OPTIONS, formatIdleSweep, runIdleSweep } from './idle-sweep.js';
import { MESSAGING_OPTIONS, formatMessaging, runMessaging } from './messaging.js';
import { TRANSPORTS } from './messaging-transports.js';
import type { Mode } from './mode.js';
import { REDIS_OPTIONS, formatRedisBench, runRedisBench } from './redis.js';
import { SCALE_OPTIONS, formatScale, runScale } from './scale.js';
import { SIZES_OPTIONS, formatSizes, runSizes, sizesChart } from './sizes.js';

/** What a suite may need besides the mode. */
interface RunContext {
  readonly mode: Mode;
  readonly verbose: boolean;
  /** Where to write the throughput-vs-size chart; undefined: do not write it. */
  readonly chartPath: string | undefined;
}

interface Suite {
  readonly name: string;
  run(context: RunContext): Promise<string>;
}

/** Where a full run saves the chart (committed); a quick run writes to the temp directory instead. */
const RESULTS_CHART = resolve(__dirname, '..', 'results', 'throughput-vs-size.svg');

function machine(): string {
  return `node ${process.version}, ${availableParallelism()} cpus, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform}/${process.arch}`;
}

const SUITES: readonly Suite[] = [
  {
    name: 'conncache',
    run: async ({ mode, verbose }) => formatConncache(await runConncacheSuite(CONNCACHE_OPTIONS[mode]), verbose),
  },
  ...Object.keys(TRANSPORTS).map(
    (transport): Suite => ({
      name: `messaging-${transport}`,
      run: async ({ mode, verbose }) => formatMessaging(await runMessaging(transport, MESSAGING_OPTIONS[mode]), verbose),
    }),
  ),
  {
    name: 'sizes',
    run: async ({ mode, verbose, chartPath }) => {
      const options = SIZES_OPTIONS[mode];
      const result = await runSizes(options);
      let text = formatSizes(result, verbose);
      if (chartPath !== undefined) {
        const subtitle = `${new Date().toISOString().slice(0, 10)}, ${machine()}; ${mode} run, medians of ${options.rounds} alternating rounds`;
        await mkdir(dirname(chartPath), { recursive: true });
        await writeFile(chartPath, sizesChart(result, subtitle));
        text += `chart written to ${chartPath}\n`;
      }
      return text;
    },
  },
  {
    name: 'scale',
    run: async ({ mode, verbose }) => formatScale(await runScale(SCALE_OPTIONS[mode]), verbose),
  },
  {
    name: 'idle-sweep',
    run: async ({ mode }) => formatIdleSweep(await runIdleSweep(IDLE_SWEEP_OPTIONS[mode])),
  },
  {
    name: 'redis',
    run: async ({ mode, verbose }) => formatRedisBench(await runRedisBench(REDIS_OPTIONS[mode]), verbose),
  },
];

const USAGE = `usage: node dist/index.js [--quick | --tiny] [--verbose] [--chart PATH | --no-chart] [filter...]

Runs the benchmarks whose name contains one of the filters (all of them when
there is none) and prints each figure with its ratio to a baseline measured in
the same run. Suites: ${SUITES.map((s) => s.name).join(', ')}.

  --quick      fewer and shorter rounds (the whole run in under a minute)
  --tiny       one minimal round of each case (checks that the code runs)
  --verbose    also print every round's result
  --chart PATH where the sizes suite writes its SVG chart (default: a full
               run writes bench/results/throughput-vs-size.svg, a quick run
               ${join(tmpdir(), 'ipcm-bench-throughput-vs-size.svg')}, a tiny run nothing)
  --no-chart   write no chart
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
  let chart: string | null | undefined;
  const filters: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--tiny') mode = 'tiny';
    else if (arg === '--verbose' || arg === '-v') verbose = true;
    else if (arg === '--no-chart') chart = null;
    else if (arg === '--chart') {
      const path = argv[++i];
      if (path === undefined) {
        process.stderr.write(`--chart needs a path\n${USAGE}`);
        return 2;
      }
      chart = resolve(path);
    } else if (arg === '--help' || arg === '-h') {
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
  const defaultChart = { full: RESULTS_CHART, quick: join(tmpdir(), 'ipcm-bench-throughput-vs-size.svg'), tiny: undefined }[mode];
  const context: RunContext = { mode, verbose, chartPath: chart === null ? undefined : (chart ?? defaultChart) };
  process.stdout.write(`@ipcm bench (${mode}) ${new Date().toISOString()}  ${machine()}\n\n`);
  warnIfBusy('before');
  const started = performance.now();
  for (const suite of suites) {
    const t0 = performance.now();
    process.stdout.write(`== ${suite.name}\n`);
    process.stdout.write(await suite.run(context));
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
