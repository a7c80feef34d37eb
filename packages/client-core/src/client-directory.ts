import { IpcmError, RouteError } from './errors.js';
import type { ClientCounters } from './client-stats.js';
import { overlayDirectory } from './directory-chain.js';
import { FsDirectory } from './fs-directory.js';
import type { Clock, Timers } from './options.js';
import type { PeerDirectory, Registration } from './peer-directory.js';
import type { EntryProbe } from './route-types.js';
import { StaticDirectory } from './static-directory.js';

/**
 * The directory a client claims its id in and finds its peers through:
 * the `directory` option, else one made from `route` (and a transport's
 * configured peers, looked up first). `owned` when made here: the client
 * closes it. A directory made here runs on the client's `timers` and
 * `clock`.
 */
export async function openDirectory(
  given: PeerDirectory | undefined,
  configured: PeerDirectory | undefined,
  route: string | undefined,
  probe: EntryProbe,
  timers: Timers,
  clock?: Clock,
): Promise<{ directory: PeerDirectory; owned: boolean }> {
  if (given === undefined) {
    // Reaping what killed processes left is the route directory's
    // business: FsDirectory does it on register (R37).
    const fs = route === undefined ? undefined : await FsDirectory.open(route, { probe, timers, clock });
    const directory = fs === undefined ? (configured ?? new StaticDirectory({})) : configured === undefined ? fs : overlayDirectory(configured, fs);
    return { directory, owned: true };
  }
  return { directory: configured === undefined ? given : overlayDirectory(configured, given), owned: false };
}

/**
 * A closing client's last words in the directory: its `.stats` (messages
 * sent and read per peer), then the release of its id. Both are tried;
 * the first failure is returned as a coded error. `described` names the
 * entry when it has no path.
 */
export async function releaseClaim(registration: Registration, described: string, counters: ClientCounters): Promise<IpcmError | undefined> {
  let failure: IpcmError | undefined;
  const where = registration.path ?? described;
  try {
    await registration.writeStats?.({ sent: Object.fromEntries(counters.sent), read: Object.fromEntries(counters.read) });
  } catch (cause) {
    failure = new RouteError(`cannot write ${where}.stats: ${(cause as Error).message}`, { cause });
  }
  try {
    await registration.release();
  } catch (cause) {
    failure ??= cause instanceof IpcmError ? cause : new RouteError(`cannot remove the route entry ${where}: ${(cause as Error).message}`, { cause });
  }
  return failure;
}
