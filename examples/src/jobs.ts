// What worker-pool.ts and worker.ts say to each other, and the work itself.
import type { PeerTypes } from '@ipcm/client-unix';

/** worker → dispatcher: ready for jobs. */
export interface Ready {
  readonly type: 'ready';
}
/** dispatcher → worker: no more jobs; close and exit. */
export interface Stop {
  readonly type: 'stop';
}

/**
 * The pool's messages, declared once for both sides: plain messages are
 * `ready` and `stop`; a job is a request (count the primes below `n`) and
 * its answer the response.
 */
export interface Pool extends PeerTypes {
  content: Ready | Stop;
  request: { readonly n: number };
  response: number;
}

/** The job: how many primes are below `n` (a sieve; a few ms for n in the hundreds of thousands). */
export function countPrimes(n: number): number {
  const composite = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i] === 1) continue;
    count++;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}
