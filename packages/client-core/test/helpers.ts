// Small helpers shared by the client-core unit tests.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import type { EntryProbe } from '../src/route-types.js';

/** The error `fn` throws; fails the test if it throws nothing. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** `bytes` cut into chunks of `size` bytes (the last may be shorter). */
export function split(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

export { FakeTimers } from './fake-timers.js';

/** The Unix transport's probe, as client-unix injects it: a refused or missing socket is stale. */
export const unixProbe: EntryProbe = (target) =>
  target.kind !== 'socket'
    ? Promise.resolve('live')
    : new Promise((resolve) => {
        const socket = net.connect(target.path);
        socket.once('connect', () => {
          socket.destroy();
          resolve('live');
        });
        socket.once('error', (err: NodeJS.ErrnoException) =>
          resolve(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'stale' : 'live'),
        );
      });

/** The pid of a process that has exited, so kill(pid, 0) gives ESRCH: a lock naming it is a dead holder's. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  if (child.pid === undefined) throw new Error('the child got no pid');
  return child.pid;
}
