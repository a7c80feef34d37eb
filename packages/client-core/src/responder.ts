import type { Message } from './message.js';
import { HandlerError } from './errors.js';
import { GENERIC_HANDLER_ERROR, isRequestContent, responseContent } from './request-wire.js';
import type { RequestContent, ResponseContent } from './request-wire.js';

/**
 * Answers one request: gets the request value and the whole request
 * message, returns (or resolves with) the response value. What it throws
 * goes back to the requester as `ipcm_error`.
 */
export type RequestHandler<Req = unknown, Res = unknown> = (
  request: Req,
  message: Message<RequestContent<Req>>,
) => Res | Promise<Res>;

/** Options of {@link Responder.handle}. */
export interface HandleOptions {
  /**
   * Send the handler's error message to the requester as `ipcm_error`. Off
   * by default: the requester then gets IPC::Manager's generic `"Internal
   * service error"`, so no internal detail leaks to a peer (IPC::Manager's
   * `expose_error_details`).
   * @default false
   */
  exposeErrorDetails?: boolean | undefined;
}

/** How a {@link Responder} sends and reports. */
export interface ResponderOptions<Res = unknown> {
  /** Sends a response's content back to the requester (the client's `send`). */
  send(peerId: string, content: ResponseContent<Res>): Promise<void>;
  /**
   * Gets a handler failure (`ERR_IPCM_HANDLER`, `cause` the thrown value)
   * and every failed response send (the send's own error). The client maps
   * it to its `'error'` event. Never throws into the responder: an
   * exception from it is rethrown on its own (queueMicrotask).
   */
  onError(error: Error, peerId: string): void;
  /**
   * Called each time a handler's answer is finished (sent or failed), after
   * `running` fell by one: the client resumes reading from peers it paused
   * because too many handlers ran at once.
   */
  onSettled?: (() => void) | undefined;
}

/** Counters of a {@link Responder}. */
export interface ResponderStats {
  /** Requests given to a handler. */
  received: number;
  /** Handlers running now (their response not sent yet). */
  running: number;
  /** Responses sent (`send` resolved), errors included. */
  responded: number;
  /** Handlers that threw or rejected (answered with `ipcm_error`). */
  handlerErrors: number;
  /** Responses whose `send` rejected. */
  sendFailures: number;
}

/**
 * The responder side of IPC::Manager's request/response: recognises
 * requests, runs the handler, and sends its response, or `ipcm_error` when
 * it fails, as IPC::Manager::Role::Service's `run_on_request_message` does.
 * A handler throwing or a response failing to send never throws out of
 * here; both go to `onError`.
 *
 * Without a handler, {@link accept} returns `false` and requests are
 * delivered to the application as plain messages (whose content is
 * `{ ipcm_request_id, request }`), so an application can still answer by
 * hand.
 *
 * @example
 * ```ts
 * const responder = new Responder({ send: (peer, c) => client.send(peer, c), onError: (e) => log(e) });
 * responder.handle(async ([a, b]: [number, number]) => a + b);
 * ```
 */
export class Responder<Req = unknown, Res = unknown> {
  readonly #send: (peerId: string, content: ResponseContent<Res>) => Promise<void>;
  readonly #onError: (error: Error, peerId: string) => void;
  #handler: RequestHandler<Req, Res> | undefined;
  #expose = false;
  #received = 0;
  #running = 0;
  #responded = 0;
  #handlerErrors = 0;
  #sendFailures = 0;
  #idle: Array<() => void> = [];
  readonly #onSettled: (() => void) | undefined;

  constructor(options: ResponderOptions<Res>) {
    if (typeof options?.send !== 'function') throw new TypeError('send must be a function');
    if (typeof options.onError !== 'function') throw new TypeError('onError must be a function');
    this.#send = options.send;
    this.#onError = options.onError;
    this.#onSettled = options.onSettled;
  }

  /**
   * Sets the handler (replacing any), or removes it with `null`. Requests
   * already running keep the handler they started with.
   */
  handle(handler: RequestHandler<Req, Res> | null, options?: HandleOptions): void {
    if (handler !== null && typeof handler !== 'function') throw new TypeError('handler must be a function or null');
    const expose = options?.exposeErrorDetails;
    if (expose !== undefined && typeof expose !== 'boolean') {
      throw new TypeError(`exposeErrorDetails must be a boolean; received ${typeof expose}`);
    }
    this.#handler = handler ?? undefined;
    this.#expose = expose ?? false;
  }

  /** Handlers running now (their response not sent yet). */
  get running(): number {
    return this.#running;
  }

  /** True while a handler is set. */
  get handling(): boolean {
    return this.#handler !== undefined;
  }

  /**
   * Gives the responder an incoming message. Returns `true` when it is a
   * request (IPC::Manager's rule: an object content with a true
   * `ipcm_request_id`) and a handler is set: the handler runs and its
   * response is sent to `message.from`; the client must not deliver the
   * message. Returns `false` otherwise.
   */
  accept(message: Message): boolean {
    const handler = this.#handler;
    if (handler === undefined || !isRequestContent(message.content)) return false;
    this.#received++;
    this.#running++;
    const request = message as Message<RequestContent<Req>>;
    const id = request.content.ipcm_request_id;
    const expose = this.#expose;
    let result: Res | Promise<Res>;
    try {
      result = handler(request.content.request, request);
    } catch (thrown) {
      this.#respond(message.from, this.#failure(id, message.from, thrown, expose));
      return true;
    }
    // A handler that answers at once is answered in this turn, with no
    // promise of ours in between (the common case of a fast service).
    if (isThenable(result)) {
      // Promise.resolve: a foreign thenable whose then() throws still settles.
      Promise.resolve(result).then(
        (value) => this.#respond(message.from, responseContent(id, value)),
        (thrown: unknown) => this.#respond(message.from, this.#failure(id, message.from, thrown, expose)),
      );
    } else {
      this.#respond(message.from, responseContent(id, result));
    }
    return true;
  }

  /**
   * Resolves when no handler is running (at once if none is): the client's
   * `close()` awaits it, within its linger, so that the answers to requests
   * already taken are sent before the connections end.
   */
  whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** A snapshot of the counters. */
  stats(): ResponderStats {
    return {
      received: this.#received,
      running: this.#running,
      responded: this.#responded,
      handlerErrors: this.#handlerErrors,
      sendFailures: this.#sendFailures,
    };
  }

  /** The `ipcm_error` response to a failed handler, reported as `ERR_IPCM_HANDLER`. */
  #failure(id: string, peerId: string, thrown: unknown, expose: boolean): ResponseContent<Res> {
    this.#handlerErrors++;
    this.#report(new HandlerError(`the request handler failed answering ${JSON.stringify(peerId)}`, { cause: thrown }), peerId);
    return responseContent<Res>(id, null as Res, expose ? errorText(thrown) : GENERIC_HANDLER_ERROR);
  }

  /** Sends one answer; its handler is then no longer running. */
  #respond(peerId: string, content: ResponseContent<Res>): void {
    let sending: Promise<void>;
    try {
      sending = this.#send(peerId, content);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => {
        this.#responded++;
        this.#settled();
      },
      (error: unknown) => {
        this.#sendFailures++;
        this.#report(error instanceof Error ? error : new Error(String(error)), peerId);
        this.#settled();
      },
    );
  }

  #settled(): void {
    if (--this.#running === 0 && this.#idle.length > 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
    this.#onSettled?.();
  }

  #report(error: Error, peerId: string): void {
    try {
      this.#onError(error, peerId);
    } catch (bug) {
      queueMicrotask(() => {
        throw bug;
      });
    }
  }
}

/** What IPC::Manager sends as the exposed detail: the stringified exception. */
function errorText(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  try {
    return String(thrown);
  } catch {
    return GENERIC_HANDLER_ERROR;
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
