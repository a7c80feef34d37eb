/*
 * Small file-system helpers of the route directory, and the one a socket
 * transport calls itself: secureSocketFile.
 */
import { promises as fsp } from 'node:fs';
import { RouteError } from './errors.js';

export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export async function unlinkQuiet(file: string): Promise<void> {
  try {
    await fsp.unlink(file);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

export function describeType(stat: { isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean }): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  return 'not a regular file';
}

/**
 * Makes a freshly bound socket file 0600 (a new socket file is 0777 less the
 * umask: 0777 under umask 000). Refuses anything that is not a socket and
 * never follows a symlink.
 *
 * @throws {RouteError} when `socketPath` is not a socket.
 * @example
 * server.listen(claim.path, async () => { await secureSocketFile(claim.path); });
 */
export async function secureSocketFile(socketPath: string): Promise<void> {
  let stat;
  try {
    stat = await fsp.lstat(socketPath);
  } catch (err) {
    throw new RouteError(`no socket at ${socketPath}`, { cause: err });
  }
  if (!stat.isSocket()) throw new RouteError(`${socketPath} is ${describeType(stat)}, not a socket`);
  await fsp.chmod(socketPath, 0o600);
}
