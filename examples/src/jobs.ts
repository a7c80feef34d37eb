// What worker-pool.ts and worker.ts say to each other, and the work itself.

/** worker → dispatcher: ready for jobs. */
export interface Ready {
  readonly type: 'ready';
}
/** dispatcher → worker: count the primes below `n`. */
export interface Job {
  readonly type: 'job';
  readonly job: number;
  readonly n: number;
}
/** worker → dispatcher: the answer to job `job`. */
export interface Result {
  readonly type: 'result';
  readonly job: number;
  readonly primes: number;
}
/** dispatcher → worker: no more jobs; close and exit. */
export interface Stop {
  readonly type: 'stop';
}
export type PoolContent = Ready | Job | Result | Stop;

/** Reads a message's content as pool content (contents arrive as `unknown`). */
export function poolContent(content: unknown): PoolContent | undefined {
  return typeof content === 'object' && content !== null && 'type' in content ? (content as PoolContent) : undefined;
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
