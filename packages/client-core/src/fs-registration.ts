/*
 * A registration in the filesystem directory: a route claim that notices
 * when its lock `D.pid` is no longer its own (see FsDirectory).
 */
import { promises as fsp } from 'node:fs';
import { IdInUseError } from './errors.js';
import { unref } from './keep-alive.js';
import { parsePid } from './lock-file.js';
import type { Timers } from './options.js';
import type { Registration } from './peer-directory.js';
import { errnoCode } from './route-fs.js';
import type { EntryKind, PeerStats, RouteAddress, RouteClaim } from './route-types.js';

/** The identity of the lock file `D.pid` a registration created. */
export interface LockIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * A registration in the route directory: a claim that notices when it is
 * lost, returned by {@link FsDirectory.register}.
 */
export class FsRegistration implements Registration {
  readonly id: string;
  readonly kind: EntryKind;
  readonly path: string | undefined;
  readonly #claim: RouteClaim;
  readonly #lock: LockIdentity;
  readonly #lost = new AbortController();
  readonly #timers: Timers;
  readonly #checkIntervalMs: number;
  readonly #processId: () => number;
  #timer: unknown;
  #released = false;

  /** @internal Made by {@link FsDirectory.register}. */
  constructor(claim: RouteClaim, lock: LockIdentity, timers: Timers, checkIntervalMs: number, processId: () => number) {
    this.id = claim.id;
    this.kind = claim.kind;
    this.path = claim.kind === 'socket' ? claim.path : undefined;
    this.#claim = claim;
    this.#lock = lock;
    this.#timers = timers;
    this.#checkIntervalMs = checkIntervalMs;
    this.#processId = processId;
    this.#arm();
  }

  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  #arm(): void {
    if (this.#checkIntervalMs === 0 || this.#released || this.#lost.signal.aborted) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      void this.check().then(() => this.#arm());
    }, this.#checkIntervalMs);
    // A registration alone must not keep a process alive (its listener does, if any).
    unref(this.#timer);
  }

  /**
   * Checks that `D.pid` is still the file this registration created and
   * names this process; aborts `lost` (with `IdInUseError`) when not.
   * Resolves whether this registration still holds the id.
   */
  async check(): Promise<boolean> {
    if (this.#released || this.#lost.signal.aborted) return !this.#lost.signal.aborted && !this.#released;
    // A forked child sees the parent's registration but holds nothing of its own (R32).
    if (this.#processId() !== this.#claim.pid) return true;
    const file = `${this.#claim.path}.pid`;
    let why: string | undefined;
    try {
      const stat = await fsp.lstat(file, { bigint: true });
      if (stat.dev !== this.#lock.dev || stat.ino !== this.#lock.ino) why = 'was replaced';
      else if (parsePid(await fsp.readFile(file, 'utf8')) !== this.#claim.pid) why = 'names another process';
    } catch (err) {
      why = errnoCode(err) === 'ENOENT' ? 'was removed' : undefined;
    }
    if (why === undefined || this.#released) return !this.#released;
    this.#loseWith(new IdInUseError(`the lock ${file} ${why}: ${JSON.stringify(this.id)} is no longer held by this registration`));
    return false;
  }

  #loseWith(reason: IdInUseError): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lost.abort(reason);
  }

  async publish(address?: RouteAddress): Promise<void> {
    try {
      await this.#claim.publish(address);
    } catch (err) {
      if (err instanceof IdInUseError && !this.#released) this.#loseWith(err);
      throw err;
    }
  }

  writeStats(stats: PeerStats): Promise<void> {
    return this.#claim.writeStats(stats);
  }

  release(): Promise<void> {
    this.#released = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#claim.release();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
