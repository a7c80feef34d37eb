// A worker pool fed over IPC, with requests.
//
// This process, the dispatcher, starts WORKERS worker processes (worker.ts),
// each an @ipcm client on a shared route directory; there is no other
// channel between them. Each job is a `client.request()` to the least busy
// worker (at most MAX_IN_FLIGHT each) once all are ready; the worker's
// `handle()` answers it. At the end each worker is told to stop and exits
// with code 0.
//
// Run: node examples/dist/worker-pool.js
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { UnixClient, removeRoute, spawnRoute } from '@ipcm/client-unix';
import { countPrimes, type Pool } from './jobs.js';

const WORKERS = 3;
const MAX_IN_FLIGHT = 2;
const JOB_SIZES = Array.from({ length: 24 }, (_, i) => 20_000 + ((i * 7919) % 12) * 10_000);

export async function main(): Promise<void> {
  const route = await spawnRoute({ prefix: 'ipcm-pool-' });
  const dispatcher = await UnixClient.create<Pool>({ id: 'dispatcher', route });
  const ids = Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`);
  const workers = ids.map((id) => spawn(process.execPath, [path.join(__dirname, 'worker.js'), route, id], { stdio: 'inherit' }));
  const exitCodes = Promise.all(workers.map(async (worker) => (await once(worker, 'exit'))[0] as number | null));
  try {
    // Every worker says it is ready (it opened its connection to us).
    const ready = new Set<string>();
    const early = new Promise<never>((_, reject) => {
      for (const worker of workers) worker.once('exit', (code) => reject(new Error(`a worker exited early (code ${code})`)));
    });
    early.catch(() => undefined);
    await Promise.race([
      early,
      new Promise<void>((resolve) => {
        dispatcher.on('message', ({ from, content }) => {
          if (content.type === 'ready' && ready.add(from).size === WORKERS) resolve();
        });
      }),
    ]);

    // Each of the WORKERS * MAX_IN_FLIGHT lanes takes the next job when its
    // last one is answered, from the least busy worker.
    const next = JOB_SIZES.map((n, job) => ({ n, job }));
    const busy = new Map(ids.map((id) => [id, 0]));
    const done = new Map<string, number>();
    const results: number[] = [];
    const lane = async (): Promise<void> => {
      for (let item = next.shift(); item !== undefined; item = next.shift()) {
        const worker = [...busy].sort((a, b) => a[1] - b[1])[0]?.[0] as string;
        busy.set(worker, (busy.get(worker) ?? 0) + 1);
        results[item.job] = await dispatcher.request(worker, { n: item.n }, { timeoutMs: 10_000 });
        busy.set(worker, (busy.get(worker) ?? 1) - 1);
        done.set(worker, (done.get(worker) ?? 0) + 1);
      }
    };
    await Promise.race([early, Promise.all(Array.from({ length: WORKERS * MAX_IN_FLIGHT }, lane))]);

    console.log(`${JOB_SIZES.length} jobs done by ${WORKERS} workers: ${ids.map((id) => `${id} ${done.get(id) ?? 0}`).join(', ')}`);
    console.log(`primes found in total: ${results.reduce((sum, n) => sum + n, 0)}`);
    const wrong = JOB_SIZES.filter((n, job) => results[job] !== countPrimes(n)).length;
    if (wrong > 0) throw new Error(`${wrong} results are wrong`);
    console.log('all results correct');

    for (const id of ids) await dispatcher.send(id, { type: 'stop' });
    console.log(`workers exited with codes: ${(await exitCodes).join(', ')}`);
  } finally {
    for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill();
    await dispatcher.close();
    await removeRoute(route);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
