/**
 * Every error @ipcm raises on purpose is an {@link IpcmError} with a stable,
 * literal-typed `code`. There is one subclass per code, so both
 * `err instanceof PeerNotListeningError` and `err.code ===
 * 'ERR_IPCM_PEER_NOT_LISTENING'` work, and `cause` carries the underlying
 * system error where there is one.
 *
 * `instanceof` holds across copies of this package: when two versions of
 * @ipcm/client-core are installed side by side (a directory package built
 * against one, the client against another), an error made by either copy is
 * an `IpcmError` of both, and a `ConnectError` of both. Errors carry a
 * brand, `Symbol.for('ipcm.error')` (the same symbol in every copy, as
 * undici's errors do), and each class's `Symbol.hasInstance` compares the
 * brand and, for a coded class, the code.
 */

/** The brand every IpcmError carries, whichever copy of the package made it. */
const kIpcmError: unique symbol = Symbol.for('ipcm.error');

/** The classes {@link defineError} made, each with the code it is bound to. */
const codedClasses = new WeakMap<object, string>();

/**
 * Brands `error` as made by @ipcm: a non-enumerable own property, so only
 * errors constructed by a copy of this package carry it (not prototypes,
 * not look-alikes), and it changes neither printing nor `toEqual`.
 */
function brand(error: Error): void {
  Object.defineProperty(error, kIpcmError, { value: true });
}

function isBranded(value: unknown): value is { readonly [kIpcmError]: true; readonly code?: unknown } {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, kIpcmError);
}

export abstract class IpcmError extends Error {
  abstract readonly code: IpcmErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    brand(this);
  }

  /**
   * True for an instance of this class in the ordinary sense, and for an
   * error another copy of the package made: any branded error for
   * `IpcmError`, a branded error with the same code for a coded class such
   * as `ConnectError`. A class of your own that extends one of ours keeps
   * the ordinary rule.
   */
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never) => T, value: unknown): value is T {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!isBranded(value)) return false;
    if ((this as unknown) === IpcmError) return true;
    const code = codedClasses.get(Object.getPrototypeOf(this) as object);
    return code !== undefined && value.code === code;
  }
}

/** Defines a subclass of IpcmError bound to one code. */
function defineError<C extends IpcmErrorCode>(code: C) {
  abstract class Coded extends IpcmError {
    readonly code: C = code;
  }
  codedClasses.set(Coded, code);
  return Coded;
}

// ---- frames and messages -------------------------------------------------

/** A frame's length header exceeds `maxFrameBytes` (decided from the header). */
export class FrameTooLargeError extends defineError('ERR_IPCM_FRAME_TOO_LARGE') {}
/** A partial frame stalled: no byte arrived for `frameTimeoutMs`. */
export class FrameTimeoutError extends defineError('ERR_IPCM_FRAME_TIMEOUT') {}
/** The stream ended in the middle of a frame. */
export class TruncatedFrameError extends defineError('ERR_IPCM_TRUNCATED_FRAME') {}
/** A frame's payload is not valid UTF-8 or not valid JSON. */
export class BadJsonError extends defineError('ERR_IPCM_BAD_JSON') {}
/** A frame's JSON is not a message of the expected shape. */
export class BadMessageError extends defineError('ERR_IPCM_BAD_MESSAGE') {}
/**
 * Content given to `send()` or `broadcast()` cannot be sent: it has no JSON
 * form (a function, a symbol, `undefined`, a BigInt, a circular object), is
 * `null` (an IPC::Manager peer refuses a message whose content is not
 * defined), or the serializer threw (then `cause` is what it threw).
 * Nothing was written.
 */
export class BadContentError extends defineError('ERR_IPCM_BAD_CONTENT') {}

// ---- hello and identity --------------------------------------------------

/** The first frame on an accepted connection is not a valid hello. */
export class BadHelloError extends defineError('ERR_IPCM_BAD_HELLO') {}
/** No hello arrived within `helloTimeoutMs`. */
export class HelloTimeoutError extends defineError('ERR_IPCM_HELLO_TIMEOUT') {}
/** A peer broke the protocol (for example a second hello on one connection). */
export class ProtocolError extends defineError('ERR_IPCM_PROTOCOL') {}
/** A peer id is not acceptable (empty, leading `_`, over 1024 bytes of UTF-8, a lone surrogate). */
export class InvalidIdError extends defineError('ERR_IPCM_INVALID_ID') {}
/** Another live process holds this id in the route directory. */
export class IdInUseError extends defineError('ERR_IPCM_ID_IN_USE') {}

// ---- route directory -----------------------------------------------------

/** The route directory is unusable (not a directory, a symlink, owned by someone else...). */
export class RouteError extends defineError('ERR_IPCM_ROUTE') {}
/** No peer with this id is known (not in the route directory, not configured). */
export class UnknownPeerError extends defineError('ERR_IPCM_UNKNOWN_PEER') {}
/** The peer exists but does not listen, and there is no cached connection to it. */
export class PeerNotListeningError extends defineError('ERR_IPCM_PEER_NOT_LISTENING') {}
/** The peer's route entry belongs to another transport (a Unix client asked to reach a TCP peer). */
export class WrongTransportError extends defineError('ERR_IPCM_WRONG_TRANSPORT') {}
/** `waitForPeer()` gave up: the peer was not up and reachable within `timeoutMs`. */
export class WaitTimeoutError extends defineError('ERR_IPCM_WAIT_TIMEOUT') {}

// ---- directories ---------------------------------------------------------

/**
 * A directory's store did not answer (Redis unreachable, a command timed
 * out or failed); `cause` holds the underlying error when there is one.
 * Any `PeerDirectory` whose store can be unreachable raises it.
 */
export class DirectoryUnavailableError extends defineError('ERR_IPCM_DIRECTORY_UNAVAILABLE') {}

// ---- requests and responses ----------------------------------------------

/** No response arrived within the request's `timeoutMs`. */
export class RequestTimeoutError extends defineError('ERR_IPCM_REQUEST_TIMEOUT') {}

/** More than `maxPendingRequests` requests would be waiting for a response. */
export class TooManyRequestsError extends defineError('ERR_IPCM_TOO_MANY_REQUESTS') {}

/**
 * The peer answered a request with `ipcm_error` (its handler failed).
 * `remoteMessage` is the peer's text exactly as sent.
 */
export class RemoteError extends defineError('ERR_IPCM_REMOTE') {
  /** The peer's `ipcm_error` text, as sent (a non-string value is JSON-encoded). */
  readonly remoteMessage: string;
  /** The id of the peer that answered. */
  readonly peerId: string;
  /** The `ipcm_request_id` of the failed request. */
  readonly requestId: string;

  constructor(
    message: string,
    options: { cause?: unknown; remoteMessage?: string; peerId?: string; requestId?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.remoteMessage = options.remoteMessage ?? '';
    this.peerId = options.peerId ?? '';
    this.requestId = options.requestId ?? '';
  }
}

/**
 * Our request handler threw or rejected while answering a peer; the peer got
 * an `ipcm_error` response. `cause` is what the handler threw.
 */
export class HandlerError extends defineError('ERR_IPCM_HANDLER') {}

// ---- connections ---------------------------------------------------------

/** Opening a connection to a peer failed; `cause` is the system error. */
export class ConnectError extends defineError('ERR_IPCM_CONNECT') {}
/** The connection closed before the frame was handed to the kernel; `cause` says why. */
export class ConnectionClosedError extends defineError('ERR_IPCM_CONNECTION_CLOSED') {}
/** The connection holds `maxPendingBytes` and `maxWaitingSends` sends already wait for room. */
export class BackpressureError extends defineError('ERR_IPCM_BACKPRESSURE') {}
/** A send still waiting (for room, or for its connection) passed its `timeoutMs`. */
export class SendTimeoutError extends defineError('ERR_IPCM_SEND_TIMEOUT') {}
/** A send still waiting was cancelled by its `signal`; `cause` is the signal's reason. */
export class SendAbortedError extends defineError('ERR_IPCM_SEND_ABORTED') {}
/** The client is closing or closed. */
export class ClientClosedError extends defineError('ERR_IPCM_CLIENT_CLOSED') {}
/** The peer failed authentication (missing or wrong token, refused certificate). */
export class AuthError extends defineError('ERR_IPCM_AUTH') {}
/** An option value is not acceptable in this configuration (for example a non-loopback bind without auth). */
export class ConfigError extends defineError('ERR_IPCM_CONFIG') {}
/** A client class was constructed with `new` instead of its factory (`UnixClient.create`...). */
export class IllegalConstructorError extends defineError('ERR_IPCM_ILLEGAL_CONSTRUCTOR') {}

// ---- options -------------------------------------------------------------
// Option errors keep the built-in classes callers already test for
// (`instanceof TypeError`, `instanceof RangeError`) and add the code; both
// are `instanceof IpcmError` too (see IpcmError[Symbol.hasInstance]).

/** An option has the wrong type, or an unknown name. Also a `TypeError`. */
export class InvalidOptionError extends TypeError {
  readonly code = 'ERR_IPCM_INVALID_OPTION' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    brand(this);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isOptionError(this, InvalidOptionError, TypeError, value);
  }
}

/** An option is out of its range. Also a `RangeError`; same code as {@link InvalidOptionError}. */
export class OptionRangeError extends RangeError {
  readonly code = 'ERR_IPCM_INVALID_OPTION' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    brand(this);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isOptionError(this, OptionRangeError, RangeError, value);
  }
}

/** `instanceof` for the option errors: across copies, the brand, the code and the built-in base tell the two apart. */
function isOptionError(checked: Function, own: Function, base: typeof TypeError | typeof RangeError, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(checked, value)) return true;
  return checked === own && isBranded(value) && value.code === 'ERR_IPCM_INVALID_OPTION' && value instanceof base;
}

/** Every code, for exhaustive handling and documentation tests. */
export const IPCM_ERROR_CODES = [
  'ERR_IPCM_FRAME_TOO_LARGE',
  'ERR_IPCM_FRAME_TIMEOUT',
  'ERR_IPCM_TRUNCATED_FRAME',
  'ERR_IPCM_BAD_JSON',
  'ERR_IPCM_BAD_MESSAGE',
  'ERR_IPCM_BAD_CONTENT',
  'ERR_IPCM_BAD_HELLO',
  'ERR_IPCM_HELLO_TIMEOUT',
  'ERR_IPCM_PROTOCOL',
  'ERR_IPCM_INVALID_ID',
  'ERR_IPCM_ID_IN_USE',
  'ERR_IPCM_ROUTE',
  'ERR_IPCM_UNKNOWN_PEER',
  'ERR_IPCM_PEER_NOT_LISTENING',
  'ERR_IPCM_WRONG_TRANSPORT',
  // directories; requests and responses
  'ERR_IPCM_DIRECTORY_UNAVAILABLE',
  'ERR_IPCM_REQUEST_TIMEOUT',
  'ERR_IPCM_REMOTE',
  'ERR_IPCM_TOO_MANY_REQUESTS',
  'ERR_IPCM_HANDLER',
  // connections
  'ERR_IPCM_CONNECT',
  'ERR_IPCM_CONNECTION_CLOSED',
  'ERR_IPCM_BACKPRESSURE',
  'ERR_IPCM_SEND_TIMEOUT',
  'ERR_IPCM_SEND_ABORTED',
  'ERR_IPCM_CLIENT_CLOSED',
  'ERR_IPCM_AUTH',
  'ERR_IPCM_CONFIG',
  'ERR_IPCM_ILLEGAL_CONSTRUCTOR',
  'ERR_IPCM_INVALID_OPTION',
  'ERR_IPCM_WAIT_TIMEOUT',
] as const;

export type IpcmErrorCode = (typeof IPCM_ERROR_CODES)[number];
