/*
 * A claim on one id, as RouteDirectory.claim returns it (see RouteClaim for
 * the contract, entry-store.ts for the locking it relies on).
 */
import { promises as fsp } from 'node:fs';
import { IdInUseError, RouteError } from './errors.js';
import type { EntryStore } from './entry-store.js';
import { readLockQuiet, sameFile, type LockFile } from './lock-file.js';
import { assertRouteAddress } from './route-address.js';
import { assertCounts, countsFrom, isPlainObject, safeJson } from './route-checks.js';
import { errnoCode, secureSocketFile } from './route-fs.js';
import type { EntryKind, PeerStats, RouteAddress, RouteClaim } from './route-types.js';

export class Claim implements RouteClaim {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly kind: EntryKind;
  readonly pid: number;
  readonly #store: EntryStore;
  readonly #lock: LockFile;
  #released: Promise<void> | undefined;

  constructor(store: EntryStore, id: string, name: string, kind: EntryKind, lock: LockFile, pid: number) {
    this.#store = store;
    this.id = id;
    this.name = name;
    this.path = store.at(name);
    this.kind = kind;
    this.#lock = lock;
    this.pid = pid;
  }

  get released(): boolean {
    return this.#released !== undefined;
  }

  async #assertOwner(action: string): Promise<void> {
    if (this.#released !== undefined) throw new RouteError(`cannot ${action}: the claim on ${this.path} was released`);
    if (this.#store.pid() !== this.pid) {
      throw new RouteError(`cannot ${action}: ${this.path} was claimed by process ${this.pid}, not ${this.#store.pid()}`);
    }
    const current = await readLockQuiet(`${this.path}.pid`);
    if (current === undefined || !sameFile(current, this.#lock)) {
      throw new IdInUseError(`cannot ${action}: the lock ${this.path}.pid is no longer this claim's`);
    }
  }

  async publish(address?: RouteAddress): Promise<void> {
    if (this.kind === 'address') assertRouteAddress(address);
    else if (address !== undefined) throw new TypeError(`a ${this.kind} entry takes no address`);
    await this.#assertOwner('publish');
    switch (this.kind) {
      case 'socket':
        await secureSocketFile(this.path);
        return;
      case 'address': {
        const { transport, ...rest } = address as RouteAddress;
        await this.#store.writeReplace(this.path, `${JSON.stringify({ transport, ...rest })}\n`);
        return;
      }
      case 'marker': {
        let handle;
        try {
          handle = await fsp.open(this.path, 'wx', 0o600);
        } catch (err) {
          if (errnoCode(err) === 'EEXIST' && (await this.#store.endpoint(this.name)).type === 'marker') return;
          throw new RouteError(`cannot create the marker ${this.path}`, { cause: err });
        }
        try {
          await handle.chmod(0o600);
        } finally {
          await handle.close();
        }
      }
    }
  }

  async writeStats(stats: PeerStats): Promise<void> {
    if (!isPlainObject(stats)) throw new TypeError(`stats must be an object, received ${safeJson(stats)}`);
    assertCounts('stats.sent', stats.sent);
    assertCounts('stats.read', stats.read);
    if (this.#store.pid() !== this.pid) {
      throw new RouteError(`cannot write stats: ${this.path} was claimed by process ${this.pid}, not ${this.#store.pid()}`);
    }
    const json = JSON.stringify({ sent: countsFrom(stats.sent), read: countsFrom(stats.read) });
    await this.#store.writeReplace(`${this.path}.stats`, `${json}\n`);
  }

  release(): Promise<void> {
    // A forked child (or anything else running under another pid) must never
    // remove the parent's files (R32); nor does it mark the claim released,
    // since in a real fork the parent's copy of this object is its own.
    if (this.#store.pid() !== this.pid) return Promise.resolve();
    this.#released ??= this.#store.removeOwned(this.name, this.#lock).then(() => undefined);
    return this.#released;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
