/*
 * Small file-system helpers of the route directory (reading its small
 * files safely among them), and the one a socket transport calls itself:
 * secureSocketFile.
 */
import { constants as fsConstants, promises as fsp, type BigIntStats } from 'node:fs';
import { RouteError } from './errors.js';

/** Largest pid file, name file, address file or stats file we read. */
const MAX_SMALL_FILE = 64 * 1024;

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

/**
 * Reads a small regular file without following a symlink (and without
 * blocking on a FIFO); `undefined` when it does not exist.
 *
 * @throws {RouteError} when it is not a regular file or is over 64 KiB.
 */
export async function readSmall(file: string): Promise<{ stat: BigIntStats; text: string } | undefined> {
  let handle;
  try {
    handle = await fsp.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'ENXIO') throw new RouteError(`${file} is not a regular file`, { cause: err });
    throw err;
  }
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) throw new RouteError(`${file} is ${describeType(stat)}, not a regular file`);
    if (stat.size > BigInt(MAX_SMALL_FILE)) throw new RouteError(`${file} is larger than ${MAX_SMALL_FILE} bytes`);
    // Sized from the file (pid and name files are a few bytes), with one
    // byte to spare so growth since the stat is noticed; grown if needed.
    let buffer = Buffer.allocUnsafe(Math.min(MAX_SMALL_FILE, Number(stat.size)) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(MAX_SMALL_FILE + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_SMALL_FILE) throw new RouteError(`${file} is larger than ${MAX_SMALL_FILE} bytes`);
    }
    return { stat, text: buffer.toString('utf8', 0, length) };
  } finally {
    await handle.close();
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
