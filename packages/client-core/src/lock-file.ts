/*
 * A lock file of the route directory (`D.pid`, or a guard `_lock.<D>`) as
 * read: the pid it names, and the identity of the very file, so a holder
 * removes only the file it judged (see entry-store.ts).
 */
import { errnoCode, readSmall } from './route-fs.js';

const MAX_PID = 2 ** 31 - 1;

/** A lock or guard file as read, identifying that very file. */
export interface LockFile {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly content: string;
  readonly pid: number | undefined;
}

/** The pid a lock file holds (decimal, surrounding whitespace allowed), or `undefined`. */
export function parsePid(content: string): number | undefined {
  const match = /^\s*([1-9][0-9]{0,9})\s*$/.exec(content);
  if (match === null) return undefined;
  const pid = Number(match[1]);
  return pid <= MAX_PID ? pid : undefined;
}

/** kill(pid, 0): ESRCH means gone; EPERM means alive but not ours to signal. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== 'ESRCH';
  }
}

/** Whether two reads are of the very same file, unchanged. */
export function sameFile(a: LockFile, b: LockFile): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.content === b.content;
}

/** Reads a lock file; `undefined` when it does not exist. */
export async function readLock(file: string): Promise<LockFile | undefined> {
  const read = await readSmall(file);
  if (read === undefined) return undefined;
  const { stat, text } = read;
  return { dev: stat.dev, ino: stat.ino, mtimeNs: stat.mtimeNs, content: text, pid: parsePid(text) };
}

/** Like {@link readLock}, but an unreadable lock reads as absent. */
export async function readLockQuiet(file: string): Promise<LockFile | undefined> {
  try {
    return await readLock(file);
  } catch {
    return undefined;
  }
}
