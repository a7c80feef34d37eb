import { readdirSync, readFileSync } from 'node:fs';

/** Open file descriptors of this process: the entries of /proc/self/fd, less the one that lists them. NaN off Linux. */
export function countFds(): number {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return NaN;
  }
}

/** The soft limit on open files (`ulimit -n`) from /proc/self/limits; Infinity when unlimited or unknown. */
export function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}
