import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PeerCommandError, PeerExitedError, PeerFailedError, PeerProcessError, PeerStartError, PeerTimeoutError } from './errors.js';
import type { ArgsOf, CommandName, EventOf, PeerProtocol, ReplyOf, UntypedProtocol } from './protocol.js';
import { realTimers, type Timers } from './timers.js';
import { isToParent, type ToChild, type ToParent } from './wire.js';

/** How to fork a peer process. */
export interface PeerProcessOptions<P extends PeerProtocol> {
  /** The compiled entry file the child runs (it calls `runPeer`); see `compiledEntry`. */
  readonly entry: string;
  /** Handed to the child's `start` (JSON over the channel). */
  readonly settings: P['settings'];
  /**
   * Names the peer in error messages.
   * @default the entry's file name
   */
  readonly name?: string;
  /** Node options for the child. @default process.execArgv */
  readonly execArgv?: readonly string[];
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * `'pipe'` makes the child's stderr readable on `process.stderr`.
   * @default 'inherit' (stdout is always inherited: the channel carries control only)
   */
  readonly stderr?: 'inherit' | 'pipe';
  /**
   * Longest wait for the ready handshake. On timeout the child is killed
   * (whether forked by {@link PeerProcess.start} or the constructor) and
   * `ready`, with every wait, fails with `ERR_IPCM_PEER_TIMEOUT`.
   * @default no limit
   */
  readonly startTimeoutMs?: number;
  /**
   * Longest wait for a reply, a report or an exit, unless a call says otherwise.
   * @default no limit
   */
  readonly timeoutMs?: number;
  /** @default the global setTimeout/clearTimeout */
  readonly timers?: Timers;
}

/** How a process ended: its exit code, or the signal that ended it. */
export interface PeerExit {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What {@link PeerProcess.close} resolves with: the exit, and what the child's close returned. */
export interface PeerClosed<Result> extends PeerExit {
  readonly result: Result;
}

/** Per-call options. */
export interface WaitOptions {
  /** Overrides the process's `timeoutMs` for this wait. */
  readonly timeoutMs?: number;
}

interface Waiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface EventWaiter extends Waiter {
  readonly type: string;
}

/**
 * A peer running in another process (a child that calls `runPeer`), seen
 * from its parent: fork it with settings, wait for its ready handshake,
 * send it commands and await their replies, await the events it reports,
 * close it and collect its exit code, or kill it. Every wait fails (with a
 * coded {@link PeerProcessError}) when the process exits, reports a
 * failure, or takes longer than its timeout; nothing is left running or
 * listening once the process has exited.
 *
 * @example
 * ```ts
 * const peer = await PeerProcess.start<EchoPeer>({ entry: compiledEntry(__filename, 'echo-peer'), settings: { id: 'a' }, timeoutMs: 5_000 });
 * await peer.request('echo', { text: 'hi' });
 * const { exitCode, result } = await peer.close();
 * ```
 */
export class PeerProcess<P extends PeerProtocol = UntypedProtocol> {
  /** The forked process (for signals, its pid, or a piped stderr). */
  readonly process: ChildProcess;
  readonly settings: P['settings'];
  readonly name: string;
  /** Resolves with the child's ready value; rejects (coded) when it failed to start, exited first, or timed out. */
  readonly ready: Promise<P['ready']>;
  /** Resolves once the process has exited and its channel has been read to the end. Never rejects. */
  readonly exited: Promise<PeerExit>;

  readonly #timers: Timers;
  readonly #timeoutMs: number | undefined;
  readonly #replies = new Map<number, Waiter & { readonly cmd: string }>();
  readonly #events: P['event'][] = [];
  readonly #eventWaiters: EventWaiter[] = [];
  #seq = 0;
  #gone: PeerProcessError | undefined;
  #exit: PeerExit | undefined;
  #settleReady!: { resolve: (ready: unknown) => void; reject: (error: Error) => void };

  /** Forks the peer; `ready` tells when (and whether) it started. Prefer {@link start}, which waits and kills on failure. */
  constructor(options: PeerProcessOptions<P>) {
    this.settings = options.settings;
    this.name = options.name ?? path.basename(options.entry, '.js');
    this.#timers = options.timers ?? realTimers;
    this.#timeoutMs = options.timeoutMs;
    this.ready = new Promise((resolve, reject) => {
      this.#settleReady = { resolve, reject };
    });
    // Nobody may be listening yet (a caller that only awaits exited): a failed start must not crash the parent.
    this.ready.catch(() => {});
    this.process = fork(options.entry, [], {
      stdio: ['ignore', 'inherit', options.stderr ?? 'inherit', 'ipc'],
      ...(options.execArgv === undefined ? {} : { execArgv: [...options.execArgv] }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    this.process.on('message', (message: unknown) => {
      if (isToParent(message)) this.#receive(message);
    });
    this.process.on('error', (error) => this.#fail(new PeerFailedError(`${this.name}: ${error.message}`)));
    // After 'exit', the channel may still hold the child's last messages:
    // settle once it has been read to the end ('disconnect'). Not 'close',
    // which never comes once the parent has disconnected the channel itself.
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (exitCode: number | null, signal: NodeJS.Signals | null) => {
        const settle = (): void => {
          this.#exit = { exitCode, signal };
          this.#fail(new PeerExitedError(`${this.name} exited (${signal ?? `code ${exitCode}`})`));
          resolve(this.#exit);
        };
        if (this.process.connected) this.process.once('disconnect', settle);
        else settle();
      });
    });
    this.#send({ ipcmPeer: 'settings', settings: options.settings });
    if (options.startTimeoutMs !== undefined) {
      const ms = options.startTimeoutMs;
      const timer = this.#timers.setTimeout(() => {
        this.#fail(new PeerTimeoutError(`${this.name} was not ready within ${ms} ms`));
        void this.kill();
      }, ms);
      const clear = (): void => this.#timers.clearTimeout(timer);
      this.ready.then(clear, clear);
    }
  }

  /**
   * Forks a peer and resolves once it is ready. If it is not (it failed to
   * start, exited, or timed out), the process is killed and awaited before
   * the coded error is thrown.
   */
  static async start<P extends PeerProtocol = UntypedProtocol>(options: PeerProcessOptions<P>): Promise<PeerProcess<P>> {
    const peer = new PeerProcess<P>(options);
    try {
      await peer.ready;
    } catch (error) {
      await peer.kill();
      throw error;
    }
    return peer;
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.#exit === undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Sends a command; resolves with the handler's reply, or rejects (coded) when it threw, the process went, or time ran out. */
  request<K extends CommandName<P>>(cmd: K, args: ArgsOf<P, K>, options: WaitOptions = {}): Promise<ReplyOf<P, K>> {
    return this.#ask({ ipcmPeer: 'command', seq: 0, cmd, args }, cmd, options) as Promise<ReplyOf<P, K>>;
  }

  /**
   * The next event of this type the child reported. Events nobody awaited
   * yet are kept (in order) until asked for, so start waiting before or
   * after the command that causes one.
   */
  next<T extends P['event']['type']>(type: T, options: WaitOptions = {}): Promise<EventOf<P, T>> {
    const index = this.#events.findIndex((event) => event.type === type);
    if (index >= 0) return Promise.resolve(this.#events.splice(index, 1)[0] as EventOf<P, T>);
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    if (!this.process.connected) return Promise.reject(this.#leftChannel(`no "${type}" can come`));
    let waiter: EventWaiter | undefined;
    const event = new Promise<unknown>((resolve, reject) => {
      waiter = { type, resolve, reject };
      this.#eventWaiters.push(waiter);
    });
    const forget = (): void => {
      const index = this.#eventWaiters.indexOf(waiter as EventWaiter);
      if (index >= 0) this.#eventWaiters.splice(index, 1);
    };
    return this.#timed(event, options, () => `${this.name} reported no "${type}"`, forget) as Promise<EventOf<P, T>>;
  }

  /**
   * Closes the peer: the child runs its `close` (its result comes back
   * here), leaves the channel and exits. Resolves once it has exited. If
   * that fails or times out, the process is killed and the error thrown.
   */
  async close(options: WaitOptions = {}): Promise<PeerClosed<P['closed']>> {
    try {
      const result = await this.#ask({ ipcmPeer: 'close', seq: 0 }, 'close', options);
      const exit = await this.#timed(this.exited, options, () => `${this.name} did not exit after closing`);
      return { ...exit, result: result as P['closed'] };
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Kills the process if it is still running (SIGKILL unless told otherwise); resolves once it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<PeerExit> {
    if (this.running) this.process.kill(signal);
    return this.exited;
  }

  #ask(message: Extract<ToChild, { seq: number }>, cmd: string, options: WaitOptions): Promise<unknown> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    // Refused here, at once: nothing sent on a closed channel is answered,
    // and a child that left it may keep running, so no exit would ever end
    // the wait (there is no timeout unless one was given).
    if (!this.process.connected) return Promise.reject(this.#leftChannel(`cannot send ${cmd}`));
    const seq = ++this.#seq;
    const reply = new Promise<unknown>((resolve, reject) => {
      this.#replies.set(seq, { cmd, resolve, reject });
    });
    this.#send({ ...message, seq });
    return this.#timed(reply, options, () => `${this.name} did not answer ${cmd}`, () => this.#replies.delete(seq));
  }

  /** `promise`, or a PeerTimeoutError after the wait's timeout (then `abandon` forgets the waiter). */
  #timed<T>(promise: Promise<T>, options: WaitOptions, what: () => string, abandon?: () => void): Promise<T> {
    const ms = options.timeoutMs ?? this.#timeoutMs;
    if (ms === undefined) return promise;
    return new Promise<T>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        abandon?.();
        reject(new PeerTimeoutError(`${what()} within ${ms} ms`));
      }, ms);
      promise.then(
        (value) => {
          this.#timers.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.#timers.clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }

  /** A send that fails (the channel broke under it) fails every wait: no reply can come. */
  #send(message: ToChild): void {
    this.process.send(message, (error) => {
      if (error !== null) this.#fail(new PeerExitedError(`${this.name}: ${error.message}`));
    });
  }

  /**
   * The channel is closed (the child left it, or this side disconnected):
   * nothing can be sent or come back any more, though the process may still
   * be running. Not a reason to fail every wait: at an exit the channel often
   * closes just before 'exit' is seen, and the exit's code says more.
   */
  #leftChannel(what: string): PeerExitedError {
    return new PeerExitedError(`${this.name} has left the channel (${this.running ? 'still running' : 'exiting'}): ${what}`);
  }

  #receive(message: ToParent): void {
    switch (message.ipcmPeer) {
      case 'ready':
        this.#settleReady.resolve(message.ready);
        return;
      case 'start-failed':
        this.#fail(new PeerStartError(this.name, message.error));
        return;
      case 'reply': {
        const waiter = this.#replies.get(message.seq);
        if (waiter === undefined) return; // timed out already
        this.#replies.delete(message.seq);
        if (message.error !== undefined) waiter.reject(new PeerCommandError(this.name, waiter.cmd, message.error));
        else waiter.resolve(message.value);
        return;
      }
      case 'event': {
        const event = message.event as P['event'];
        const index = this.#eventWaiters.findIndex((w) => w.type === event.type);
        if (index < 0) this.#events.push(event);
        else this.#eventWaiters.splice(index, 1)[0]?.resolve(event);
        return;
      }
      case 'failed':
        this.#fail(new PeerFailedError(`${this.name} failed: ${message.error.message}`, message.error));
        return;
    }
  }

  /** From now on every wait fails with `error` (the first reason wins: a start failure, then the exit it causes). */
  #fail(error: PeerProcessError): void {
    this.#gone ??= error;
    this.#settleReady.reject(this.#gone);
    for (const waiter of this.#replies.values()) waiter.reject(this.#gone);
    this.#replies.clear();
    for (const waiter of this.#eventWaiters.splice(0)) waiter.reject(this.#gone);
  }
}
