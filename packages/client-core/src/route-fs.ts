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

/** What a file is, for an error message: "a regular file", "a symbolic link", "a socket"... */
export function describeType(stat: {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (stat.isFile()) return 'a regular file';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'a file of unknown type';
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
