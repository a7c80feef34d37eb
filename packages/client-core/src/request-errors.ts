import { IpcmError } from './errors.js';
import type { IpcmErrorCode } from './errors.js';

/**
 * The codes of the request/response errors. They are kept here, beside
 * their classes, until they are folded into `IPCM_ERROR_CODES` (errors.ts);
 * until then `code` is typed `C & IpcmErrorCode`, exactly as errors.ts's
 * `defineError` does, so nothing here changes when they are folded in.
 */
export const REQUEST_ERROR_CODES = [
  'ERR_IPCM_REQUEST_TIMEOUT',
  'ERR_IPCM_REMOTE',
  'ERR_IPCM_TOO_MANY_REQUESTS',
  'ERR_IPCM_HANDLER',
] as const;

export type RequestErrorCode = (typeof REQUEST_ERROR_CODES)[number];

/** Defines a subclass of IpcmError bound to one code (errors.ts's pattern). */
function defineError<C extends RequestErrorCode>(code: C) {
  abstract class Coded extends IpcmError {
    readonly code = code as C & IpcmErrorCode;
  }
  return Coded;
}

/** No response arrived within the request's `timeoutMs`. */
export class RequestTimeoutError extends defineError('ERR_IPCM_REQUEST_TIMEOUT') {}

/** More than `maxPendingRequests` requests would be waiting for a response. */
export class TooManyRequestsError extends defineError('ERR_IPCM_TOO_MANY_REQUESTS') {}

/**
 * The peer answered a request with `ipcm_error` (its handler failed).
 * `remoteMessage` is the peer's text exactly as sent; `reply` the whole
 * response message.
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
