/*
 * Reaping what dead processes left in a route directory (R17, R37): their
 * entries (D and D.pid, keeping D.stats and D.name), the temporary files of
 * claims cut short, and guards of dead takers; bounded per call. The
 * contract is RouteDirectory.reapStale's; the locking is entry-store.ts's.
 * And the start-up reap a register runs (R37), shared process-wide per
 * route directory.
 */
import { IdInUseError, RouteError } from './errors.js';
import { GUARD_PREFIX, REAP_PREFIX, TEMP_PREFIX, type EntryStore } from './entry-store.js';
import { isAlive, parsePid, readLockQuiet, type LockFile } from './lock-file.js';
import type { Clock } from './options.js';
import { isEntryName, isHashedEntryName } from './peer-name.js';
import { unlinkQuiet } from './route-fs.js';
import type { EntryProbe } from './route-types.js';

/**
 * Reaps among `names` (the directory's listing): at most `limit` entries and
 * `limit` temporary files removed, at most `4 * limit` entries inspected,
 * starting at a random name so that repeated calls cover the directory.
 * Returns the ids reaped (the entry name when a hashed entry's id is unknown).
 */
export async function reapEntries(store: EntryStore, names: string[], probe: EntryProbe, limit: number): Promise<string[]> {
  const candidates = new Set<string>();
  let temps = 0;
  for (const name of rotate(names)) {
    const base = name.endsWith('.pid') ? name.slice(0, -'.pid'.length) : name;
    if (isEntryName(store.dir, base)) candidates.add(base);
    else if (name.startsWith(TEMP_PREFIX) || name.startsWith(REAP_PREFIX)) {
      const pid = parsePid(name.split('.')[1] ?? '');
      if (pid !== undefined && temps < limit && !isAlive(pid)) {
        await unlinkQuiet(store.at(name));
        temps++;
      }
    } else if (name.startsWith(GUARD_PREFIX)) {
      const guard = await readLockQuiet(store.at(name));
      if (guard?.pid !== undefined && !isAlive(guard.pid)) await store.removeStale(store.at(name), guard);
    }
  }
  const chosen: string[] = [];
  let inspected = 0;
  for (const name of Number.isFinite(limit) ? candidates : [...candidates].sort()) {
    if (chosen.length >= limit || inspected >= 4 * limit) break;
    inspected++;
    const [lock, endpoint] = await Promise.all([readLockQuiet(store.at(`${name}.pid`)), store.endpoint(name)]);
    // Only a dead or absent holder is worth the lock dance; a live one is skipped without it.
    if (lock?.pid !== undefined && isAlive(lock.pid)) continue;
    if (lock === undefined && (endpoint.type === 'missing' || endpoint.type === 'foreign')) continue;
    chosen.push(name);
  }
  // Entries are independent (each has its own lock and guard): reaped side by side.
  const reaped = await Promise.all(
    chosen.map(async (name): Promise<string | undefined> => {
      const id = isHashedEntryName(name) ? ((await store.idOfHashed(name)) ?? name) : name;
      let mine: LockFile;
      try {
        mine = await store.acquire(name, JSON.stringify(id), probe, false);
      } catch (err) {
        if (err instanceof IdInUseError || err instanceof RouteError) return undefined;
        throw err;
      }
      await store.removeOwned(name, mine);
      return id;
    }),
  );
  return reaped.filter((id): id is string => id !== undefined);
}

/** The same names, starting at a random one (so bounded passes cover them all in turn). */
function rotate(names: string[]): string[] {
  const start = Math.floor(Math.random() * names.length);
  return start === 0 ? names : [...names.slice(start), ...names.slice(0, start)];
}

/**
 * A route directory this process found clean (nothing to reap) is not
 * inspected again by a register for this long: a process starting
 * thousands of clients on one directory would otherwise read the whole
 * directory once per client (O(n^2) in all). Leftovers found, or a reap
 * in progress, change nothing: the next register reaps (or shares the
 * one in progress).
 */
const CLEAN_REINSPECT_MS = 5000;
/** When a directory was found clean, on the clock of the FsDirectory that found it. */
interface FoundClean {
  readonly at: number;
  readonly clock: Clock;
}
/** Per route directory path: the reap in progress in this process, or when it last found nothing. */
const reapState = new Map<string, Promise<void> | FoundClean>();

/**
 * Runs `reap` (a bounded reap of the route directory at `routePath`, R37)
 * for a register, sharing a reap already in progress in this process and
 * skipping a directory found clean in the last {@link CLEAN_REINSPECT_MS}
 * (on `clock`, the registering directory's; a time read from another clock
 * says nothing, so the directory is read again). Failures are ignored:
 * housekeeping is not the registrant's problem.
 */
export function reapOnRegister(routePath: string, clock: Clock, reap: () => Promise<readonly string[]>): Promise<void> {
  const state = reapState.get(routePath);
  if (state instanceof Promise) return state;
  if (state !== undefined && state.clock === clock && clock.now() - state.at < CLEAN_REINSPECT_MS) return Promise.resolve();
  const reaping = reap().then(
    (reaped) => {
      if (reaped.length === 0) reapState.set(routePath, { at: clock.now(), clock });
      else reapState.delete(routePath);
    },
    () => {
      reapState.delete(routePath);
    },
  );
  reapState.set(routePath, reaping);
  return reaping;
}
