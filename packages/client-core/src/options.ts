import type { PeerDirectory } from './peer-directory.js';
import type { Serializer } from './serializer.js';

/** A monotonic millisecond clock; tests inject one so they never sleep. */
export interface Clock {
  now(): number;
}

/**
 * Timer functions, injectable beside the {@link Clock} so a test of a 30 s
 * timeout or a periodic rescan takes no real time. The handle is opaque: it
 * is only ever given back to `clearTimeout`.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The longest delay, in ms, of every timer-valued option and per-call
 * `timeoutMs`: 2^31 - 1 (about 24.8 days), the most Node's `setTimeout`
 * honours. A longer delay would fire after 1 ms (with a
 * `TimeoutOverflowWarning`), so it is refused with `ERR_IPCM_INVALID_OPTION`.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The real timers (Node's `setTimeout`/`clearTimeout`). */
export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of one `send()`: both cancel a send still waiting for room or for its connection to open. */
export interface SendOptions {
  /** Cancels the send if it is still waiting: it rejects with `ERR_IPCM_SEND_ABORTED` (`cause` is the signal's reason). */
  signal?: AbortSignal | undefined;
  /** Rejects the send with `ERR_IPCM_SEND_TIMEOUT` if it is still waiting after this many ms. */
  timeoutMs?: number | undefined;
}

/** Options of a transport's `create()` (its second argument), beside the client's own options. */
export interface CreateOptions {
  /**
   * Aborts the start: it stops between its steps, closes what it opened,
   * releases the id's claim, and `create()` rejects with `signal.reason`.
   */
  signal?: AbortSignal | undefined;
}

/** Options every @ipcm client accepts, whatever its transport. */
export interface ClientOptions {
  /**
   * This peer's id: not empty, at most 1024 bytes of UTF-8, well-formed
   * Unicode, no leading `_` (see `validatePeerId`). Control characters, `/`,
   * `\` and `..` are allowed, as IPC::Manager allows them; the route
   * directory stores such ids under a hashed name.
   */
  id: string;
  /**
   * The route directory shared by the peers of one IPC group: where peers
   * claim their ids and find each other. Created 0700 if missing. Required
   * by the Unix client; a TCP client with only static `peers` may go
   * without (then ids are not checked for uniqueness and `.stats` is not
   * written).
   */
  route?: string | undefined;
  /**
   * Where this client claims its id and finds its peers (see
   * {@link PeerDirectory}): the filesystem route directory, a static map,
   * Redis, several combined, or your own. `route` is the shorthand for an
   * `FsDirectory` over that path (and a TCP client's `peers` for a
   * `StaticDirectory`); give one or the other, not both. A directory given
   * here belongs to the caller: `close()` releases this client's id in it
   * but does not close it.
   */
  directory?: PeerDirectory | undefined;
  /**
   * Listen for connections. A client that does not listen leaves an empty
   * marker entry (as IPC::Manager does) and can be reached only over
   * connections it opened.
   * @default true
   */
  listen?: boolean;
  /**
   * Most connections kept open at once, inbound and outbound together (the
   * cache's total capacity). The least recently used idle connection is
   * closed (after flushing) to make room; evicted peers are re-dialled on
   * demand. `null` means unlimited.
   * @default 64
   */
  maxConnections?: number | null;
  /** Most outbound (dialled) connections; `null` means only `maxConnections` applies. @default null */
  maxOutbound?: number | null;
  /** Most inbound (accepted) connections; `null` means only `maxConnections` applies. @default null */
  maxInbound?: number | null;
  /**
   * Largest frame accepted or sent, in bytes. A peer announcing a larger
   * frame is disconnected as soon as its 4-byte header is read.
   * @default 67108864 (64 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Most RAM held for one connection's accepted, unwritten messages: each
   * queued frame counts its bytes plus 512 bytes of bookkeeping. While a
   * connection holds this much, sends wait for room (an awaited `send()`
   * slows to the reader's pace) instead of being accepted.
   * @default 16777216 (16 MiB)
   */
  maxPendingBytes?: number;
  /**
   * Most sends that may wait for room on one connection (past
   * `maxPendingBytes`); one more is rejected at once with
   * `ERR_IPCM_BACKPRESSURE`, before its content is encoded. A waiting send
   * holds no frame, only its content (encoded when room comes).
   * @default 1024
   */
  maxWaitingSends?: number;
  /**
   * How long a partial frame may wait for its next byte before the
   * connection is closed with `ERR_IPCM_FRAME_TIMEOUT` (a peer that stalls
   * mid-frame would otherwise hold its buffer for ever). An idle connection
   * between frames is not affected.
   * @default 30000
   */
  frameTimeoutMs?: number;
  /** How long an accepted connection may take to send its hello. @default 5000 */
  helloTimeoutMs?: number;
  /** Most accepted connections waiting for their hello at once; more are refused. @default 128 */
  maxHandshakes?: number;
  /**
   * How long `close()` (and eviction) waits for queued bytes to be flushed
   * and the peer to acknowledge the end before destroying a connection.
   * @default 2000
   */
  lingerMs?: number;
  /**
   * Received messages held for the application before reading from peers
   * is paused (backpressure reaches the senders through the kernel). Per
   * client, across all its connections, whatever their state (R36).
   * @default 10000
   */
  maxQueuedMessages?: number;
  /** Message serializer. @default jsonSerializer (ASCII-only JSON, as IPC::Manager) */
  serializer?: Serializer;
  /** Monotonic clock for idleness and ages. @default performance */
  clock?: Clock;
  /**
   * Timer functions every timer of the client runs on: the hello,
   * partial-frame and linger timeouts, `close()`'s wait for running
   * handlers and dials, `request()` timeouts, a waiting send's `timeoutMs`,
   * `waitForPeer`'s `timeoutMs`, the pause before a failed `'peer'` watch
   * restarts, and, for a directory made from `route`, the `FsDirectory`'s
   * watch debounce, rescan and lock check; tests inject fake ones so no
   * timeout waits real time.
   * @default realTimers (setTimeout/clearTimeout)
   */
  timers?: Timers;
  /**
   * Most requests (`client.request()`) waiting for a response at once; one
   * more is rejected at once with `ERR_IPCM_TOO_MANY_REQUESTS`.
   * @default 10000
   */
  maxPendingRequests?: number;
  /**
   * Timeout of a request that names none (`client.request(peer, v, {
   * timeoutMs })`), in ms; `Infinity` waits until answered, aborted, the
   * peer is gone or the client closes.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * Default of `client.handle()`'s `exposeErrorDetails`: send a failing
   * handler's error message to the requester (else IPC::Manager's generic
   * `"Internal service error"`).
   * @default false
   */
  exposeErrorDetails?: boolean;
}
