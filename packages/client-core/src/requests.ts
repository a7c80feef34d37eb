import { randomUUID } from 'node:crypto';
import { diag } from './diagnostics.js';
import type { RequestOutcome } from './diagnostics.js';
import { ClientClosedError, ConnectionClosedError, RemoteError, RequestTimeoutError, TooManyRequestsError } from './errors.js';
import type { Message } from './message.js';
import { checkIntegerOption } from './option-checks.js';
import { isResponseContent, requestContent } from './request-wire.js';
import { MAX_TIMER_MS, realTimers, type Timers } from './options.js';
import type { RequestContent, ResponseContent } from './request-wire.js';

/** @default 10000 */
export const DEFAULT_MAX_PENDING_REQUESTS = 10_000;
/** @default 30000 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How a {@link RequestTable} sends and times its requests. */
export interface RequestTableOptions<Req = unknown> {
  /**
   * Sends a request's content to a peer as an ordinary message (the
   * client's `send`). Its rejection rejects the request.
   */
  send(peerId: string, content: RequestContent<Req>): Promise<void>;
  /** The owning client's id, for diagnostics payloads. @default '' */
  clientId?: string;
  /**
   * Most requests waiting for a response at once; one more is rejected with
   * `ERR_IPCM_TOO_MANY_REQUESTS` (nothing is sent).
   * @default 10000
   */
  maxPendingRequests?: number;
  /**
   * Timeout of a request that names none, in ms; `Infinity` waits for ever
   * (or until the peer is gone, aborted or the table closed).
   * @default 30000
   */
  timeoutMs?: number;
  /** @default realTimers */
  timers?: Timers;
  /** Request id generator. @default crypto.randomUUID */
  newId?: () => string;
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides the table's `timeoutMs`; `Infinity` waits for ever. */
  timeoutMs?: number | undefined;
  /**
   * Aborts the wait: the promise rejects with `signal.reason` (as Node's
   * own APIs do; a `DOMException` named `AbortError` unless the caller gave
   * a reason). A request already sent is not recalled: its response, if
   * one comes, is counted as late and dropped.
   */
  signal?: AbortSignal | undefined;
}

/** Counters of a {@link RequestTable}. */
export interface RequestStats {
  /** Requests waiting for a response now. */
  pending: number;
  /** Requests whose content `send` accepted. */
  sent: number;
  /** Requests resolved by a response. */
  answered: number;
  /** Requests rejected with `ERR_IPCM_REMOTE` (the peer answered with `ipcm_error`). */
  remoteErrors: number;
  /** Requests rejected with `ERR_IPCM_REQUEST_TIMEOUT`. */
  timedOut: number;
  /** Requests rejected because their signal aborted. */
  aborted: number;
  /** Requests rejected because sending failed, the peer went away, or the table closed. */
  failed: number;
  /** Requests refused past `maxPendingRequests`. */
  refused: number;
  /** Responses dropped because no request was waiting for them (late, unknown, or from another peer). */
  late: number;
}

interface Pending {
  readonly id: string;
  readonly peerId: string;
  /** Resolve with the whole reply message (`requestMessage`) or only its `response`. */
  readonly whole: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  timer: unknown;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function checkTimeout(name: string, value: unknown, fallback: number): number {
  if (value === Infinity) return Infinity;
  return checkIntegerOption(name, value, fallback, 1, MAX_TIMER_MS);
}

/**
 * The requester side of IPC::Manager's request/response: owns the requests
 * waiting for a response and matches responses to them by id.
 *
 * The client gives every incoming message to {@link accept} before queueing
 * it for the application; a response is consumed there (resolving its
 * request, or counted as late and dropped) and never delivered as a message.
 *
 * @example
 * ```ts
 * const requests = new RequestTable({ send: (peer, content) => client.send(peer, content) });
 * const sum = await requests.request('adder', [1, 2], { timeoutMs: 5000 });
 * ```
 */
export class RequestTable<Req = unknown, Res = unknown> {
  readonly #send: (peerId: string, content: RequestContent<Req>) => Promise<void>;
  readonly #clientId: string;
  readonly #maxPending: number;
  readonly #timeoutMs: number;
  readonly #timers: Timers;
  readonly #newId: () => string;
  readonly #pending = new Map<string, Pending>();
  readonly #byPeer = new Map<string, Set<Pending>>();
  #closedError: Error | undefined;
  #sent = 0;
  #answered = 0;
  #remoteErrors = 0;
  #timedOut = 0;
  #aborted = 0;
  #failed = 0;
  #refused = 0;
  #late = 0;

  constructor(options: RequestTableOptions<Req>) {
    if (typeof options?.send !== 'function') throw new TypeError('send must be a function');
    this.#send = options.send;
    this.#clientId = options.clientId ?? '';
    this.#maxPending = checkIntegerOption('maxPendingRequests', options.maxPendingRequests, DEFAULT_MAX_PENDING_REQUESTS, 1);
    this.#timeoutMs = checkTimeout('timeoutMs', options.timeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
    this.#timers = options.timers ?? realTimers;
    this.#newId = options.newId ?? randomUUID;
  }

  /**
   * Sends `value` to `peerId` as a request and resolves with the peer's
   * `response` value.
   *
   * Rejects with `ERR_IPCM_REQUEST_TIMEOUT` after `timeoutMs`,
   * `signal.reason` when aborted, `ERR_IPCM_REMOTE` when the peer's handler
   * failed (`ipcm_error`), `ERR_IPCM_TOO_MANY_REQUESTS` past
   * `maxPendingRequests`, the error given to {@link peerGone} or
   * {@link close}, or whatever `send` rejected with.
   */
  request(peerId: string, value: Req, options?: RequestOptions): Promise<Res> {
    return this.#start(peerId, value, options, false) as Promise<Res>;
  }

  /** As {@link request}, but resolves with the whole reply message. */
  requestMessage(peerId: string, value: Req, options?: RequestOptions): Promise<Message<ResponseContent<Res>>> {
    return this.#start(peerId, value, options, true) as Promise<Message<ResponseContent<Res>>>;
  }

  #start(peerId: string, value: Req, options: RequestOptions | undefined, whole: boolean): Promise<unknown> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    const signal = options?.signal;
    if (signal?.aborted) {
      this.#aborted++;
      return Promise.reject(signal.reason);
    }
    let timeoutMs: number;
    try {
      timeoutMs = checkTimeout('timeoutMs', options?.timeoutMs, this.#timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#refused++;
      return Promise.reject(
        new TooManyRequestsError(`${this.#pending.size} requests already wait for a response (maxPendingRequests)`),
      );
    }
    const id = this.#newId();
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Pending = { id, peerId, whole, resolve, reject, timer: undefined, signal, onAbort: undefined };
    this.#pending.set(id, entry);
    let peerSet = this.#byPeer.get(peerId);
    if (peerSet === undefined) this.#byPeer.set(peerId, (peerSet = new Set()));
    peerSet.add(entry);
    if (timeoutMs !== Infinity) {
      entry.timer = this.#timers.setTimeout(() => {
        entry.timer = undefined;
        this.#timedOut++;
        this.#settle(entry, 'timeout', new RequestTimeoutError(`no response from ${JSON.stringify(peerId)} within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    if (signal !== undefined) {
      entry.onAbort = () => {
        this.#aborted++;
        this.#settle(entry, 'aborted', signal.reason);
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    diag.request(() => ({ clientId: this.#clientId, peerId, requestId: id }));
    let sending: Promise<void>;
    try {
      sending = this.#send(peerId, requestContent(id, value));
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => {
        this.#sent++;
      },
      (error: unknown) => {
        if (this.#pending.get(id) !== entry) return;
        this.#failed++;
        this.#settle(entry, 'failed', error);
      },
    );
    return promise;
  }

  /**
   * Gives the table an incoming message. Returns `true` when it is a
   * response (IPC::Manager's rule: an object content with a true
   * `ipcm_response_id` and no `ipcm_request_id`): it resolves or rejects
   * its request, or, when no request from that peer waits for its id (it
   * timed out, was aborted, or never existed), it is counted in
   * `stats.late` and dropped. Either way the client must not deliver it.
   * Returns `false` for every other message.
   */
  accept(message: Message): boolean {
    const content = message.content;
    if (!isResponseContent(content)) return false;
    const id = content.ipcm_response_id;
    const entry = typeof id === 'string' ? this.#pending.get(id) : undefined;
    if (entry === undefined || entry.peerId !== message.from) {
      this.#late++;
      diag.response(() => ({ clientId: this.#clientId, peerId: message.from, requestId: String(id), outcome: 'late' }));
      return true;
    }
    const remote = content.ipcm_error;
    if (remote !== undefined && remote !== null) {
      this.#remoteErrors++;
      this.#settle(entry, 'remote-error', remoteError(entry, remote));
    } else {
      this.#answered++;
      this.#settle(entry, 'answered', undefined, entry.whole ? message : content.response);
    }
    return true;
  }

  /**
   * Rejects every request waiting on `peerId` at once, with `error` (by
   * default `ERR_IPCM_CONNECTION_CLOSED`): the client calls it when the
   * peer is known gone (its connection closed and the directory no longer
   * lists it, or its process died). Returns how many were rejected.
   */
  peerGone(peerId: string, error?: Error): number {
    const peerSet = this.#byPeer.get(peerId);
    if (peerSet === undefined) return 0;
    const reason = error ?? new ConnectionClosedError(`peer ${JSON.stringify(peerId)} went away while a request waited for its response`);
    const count = peerSet.size;
    for (const entry of [...peerSet]) {
      this.#failed++;
      this.#settle(entry, 'failed', reason);
    }
    return count;
  }

  /**
   * Rejects every waiting request with `error` (by default
   * `ERR_IPCM_CLIENT_CLOSED`), and every later one too. Idempotent: the
   * first error stays.
   */
  close(error?: Error): void {
    this.#closedError ??= error ?? new ClientClosedError('the client is closed');
    for (const entry of [...this.#pending.values()]) {
      this.#failed++;
      this.#settle(entry, 'failed', this.#closedError);
    }
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closedError !== undefined;
  }

  /** True when a request to `peerId` waits for its response. */
  waitsOn(peerId: string): boolean {
    return this.#byPeer.has(peerId);
  }

  /** Requests waiting for a response now. */
  get pending(): number {
    return this.#pending.size;
  }

  /** A snapshot of the counters. */
  stats(): RequestStats {
    return {
      pending: this.#pending.size,
      sent: this.#sent,
      answered: this.#answered,
      remoteErrors: this.#remoteErrors,
      timedOut: this.#timedOut,
      aborted: this.#aborted,
      failed: this.#failed,
      refused: this.#refused,
      late: this.#late,
    };
  }

  #settle(entry: Pending, outcome: RequestOutcome, error: unknown, value?: unknown): void {
    this.#pending.delete(entry.id);
    const peerSet = this.#byPeer.get(entry.peerId);
    if (peerSet !== undefined && peerSet.delete(entry) && peerSet.size === 0) this.#byPeer.delete(entry.peerId);
    if (entry.timer !== undefined) this.#timers.clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort);
    diag.response(() => {
      const event = { clientId: this.#clientId, peerId: entry.peerId, requestId: entry.id, outcome };
      return outcome === 'answered' ? event : { ...event, error };
    });
    if (outcome === 'answered') entry.resolve(value);
    else entry.reject(error);
  }
}

/** Longest part of a peer's `ipcm_error` text quoted in our error's message. */
const MAX_QUOTED_REMOTE = 200;

function remoteError(entry: Pending, remote: unknown): RemoteError {
  const text = typeof remote === 'string' ? remote : JSON.stringify(remote);
  // The peer's text is its deliberate answer to us, so the message quotes
  // it, JSON-escaped (no control characters reach a log) and cut short.
  const quoted = JSON.stringify(text.length > MAX_QUOTED_REMOTE ? `${text.slice(0, MAX_QUOTED_REMOTE)}...` : text);
  return new RemoteError(`${JSON.stringify(entry.peerId)} failed the request: ${quoted}`, {
    remoteMessage: text,
    peerId: entry.peerId,
    requestId: entry.id,
  });
}
