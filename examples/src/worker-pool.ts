// A worker pool fed over IPC.
//
// This process, the dispatcher, starts WORKERS worker processes (worker.ts),
// each an @ipcm client on a shared route directory; there is no other
// channel between them. Jobs go to the least busy worker (at most
// MAX_IN_FLIGHT each) once all are ready, results come back as messages,
// and at the end each worker is told to stop and exits with code 0.
//
// Run: node examples/dist/worker-pool.js
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { UnixClient, removeRoute, spawnRoute } from '@ipcm/client-unix';
import { countPrimes, poolContent, type Job } from './jobs.js';

const WORKERS = 3;
const MAX_IN_FLIGHT = 2;
const JOB_SIZES = Array.from({ length: 24 }, (_, i) => 20_000 + ((i * 7919) % 12) * 10_000);

/** The worker with the fewest jobs in flight, if it has room for one more. */
function leastBusy(busy: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let fewest = MAX_IN_FLIGHT;
  for (const [worker, load] of busy) {
    if (load < fewest) [best, fewest] = [worker, load];
  }
  return best;
}

export async function main(): Promise<void> {
  const route = await spawnRoute({ prefix: 'ipcm-pool-' });
  const dispatcher = await UnixClient.create({ id: 'dispatcher', route });
  const ids = Array.from({ length: WORKERS }, (_, i) => `worker-${i + 1}`);
  const workers = ids.map((id) => spawn(process.execPath, [path.join(__dirname, 'worker.js'), route, id], { stdio: 'inherit' }));
  const exitCodes = Promise.all(workers.map(async (worker) => (await once(worker, 'exit'))[0] as number | null));
  try {
    const queue: Job[] = JOB_SIZES.map((n, job) => ({ type: 'job', job, n }));
    const busy = new Map<string, number>(); // ready workers → jobs in flight
    const done = new Map<string, number>(); // worker → jobs finished
    const results: number[] = [];
    let received = 0;
    let failed: (error: Error) => void = () => {};
    let finished: () => void = () => {};
    const allDone = new Promise<void>((resolve, reject) => {
      finished = resolve;
      failed = reject;
    });
    for (const worker of workers) worker.once('exit', (code) => failed(new Error(`a worker exited early (code ${code})`)));

    const dispatch = (): void => {
      for (let worker = leastBusy(busy); worker !== undefined && queue.length > 0; worker = leastBusy(busy)) {
        busy.set(worker, (busy.get(worker) ?? 0) + 1);
        dispatcher.send(worker, queue.shift()).catch(failed);
      }
    };
    dispatcher.on('message', ({ from, content }) => {
      const message = poolContent(content);
      if (message?.type === 'ready') {
        busy.set(from, 0);
        if (busy.size === WORKERS) dispatch(); // start once the whole pool is there
      } else if (message?.type === 'result') {
        results[message.job] = message.primes;
        busy.set(from, (busy.get(from) ?? 1) - 1);
        done.set(from, (done.get(from) ?? 0) + 1);
        if (++received === JOB_SIZES.length) finished();
        else dispatch();
      }
    });

    await allDone;
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
