import diagnosticsChannel from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import type { Message } from './message.js';
import type { Direction } from './peer-connection.js';

/**
 * Observability at zero cost: `diagnostics_channel` channels that publish
 * only while someone subscribes (checked with `hasSubscribers` before a
 * payload is even built), and a `NODE_DEBUG=ipcm` life-cycle log.
 *
 * Payloads carry ids, directions, reasons and errors. `send` and `message`
 * carry the content / message **by reference** (not copied: a subscriber
 * must not change it); no channel ever carries a token or a hello.
 */

/** The channel names, one per event. */
export const DIAGNOSTICS_CHANNELS = {
  connect: 'ipcm:client:connect',
  disconnect: 'ipcm:client:disconnect',
  send: 'ipcm:client:send',
  message: 'ipcm:client:message',
  request: 'ipcm:client:request',
  response: 'ipcm:client:response',
  error: 'ipcm:client:error',
} as const;

/** `ipcm:client:connect`: a connection opened (dialled, or accepted after its hello). */
export interface ConnectDiagnostic {
  clientId: string;
  peerId: string;
  direction: Direction;
}

/** `ipcm:client:disconnect`: a connection left the client. */
export interface DisconnectDiagnostic {
  clientId: string;
  peerId: string;
  direction: Direction;
  /** Why: `'closed'`, `'error'`, `'evicted'`, `'idle'`, `'replaced'`, `'client-close'`... */
  reason: string;
  error?: Error | undefined;
}

/** `ipcm:client:send`: a message is about to be written (content by reference). */
export interface SendDiagnostic<C = unknown> {
  clientId: string;
  peerId: string;
  content: C;
}

/** `ipcm:client:message`: a message arrived from a peer (by reference), before it is queued. */
export interface MessageDiagnostic<C = unknown> {
  clientId: string;
  message: Message<C>;
}

/** `ipcm:client:request`: a request was registered and is being sent. */
export interface RequestDiagnostic {
  clientId: string;
  peerId: string;
  requestId: string;
}

/** How a request ended; `'late'` is a response that found no request waiting. */
export type RequestOutcome = 'answered' | 'remote-error' | 'timeout' | 'aborted' | 'failed' | 'late';

/** `ipcm:client:response`: a request settled, or a response came for none. */
export interface ResponseDiagnostic {
  clientId: string;
  peerId: string;
  requestId: string;
  outcome: RequestOutcome;
  /** The rejection, for every outcome but `'answered'` and `'late'`. */
  error?: unknown;
}

/** `ipcm:client:error`: an error the client reports (what its `'error'` event gets). */
export interface ErrorDiagnostic {
  clientId: string;
  error: Error;
  peerId?: string | undefined;
}

const connectChannel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.connect);
const disconnectChannel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.disconnect);
const sendChannel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.send);
const messageChannel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.message);
const requestChannel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.request);
const responseChannel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.response);
const errorChannel = diagnosticsChannel.channel(DIAGNOSTICS_CHANNELS.error);

/**
 * The publishing side, for the client. Each takes a function building the
 * payload, called only when the channel has subscribers, so an
 * unobserved client allocates nothing.
 */
export const diag = {
  connect(build: () => ConnectDiagnostic): void {
    if (connectChannel.hasSubscribers) connectChannel.publish(build());
  },
  disconnect(build: () => DisconnectDiagnostic): void {
    if (disconnectChannel.hasSubscribers) disconnectChannel.publish(build());
  },
  send<C>(build: () => SendDiagnostic<C>): void {
    if (sendChannel.hasSubscribers) sendChannel.publish(build());
  },
  message<C>(build: () => MessageDiagnostic<C>): void {
    if (messageChannel.hasSubscribers) messageChannel.publish(build());
  },
  request(build: () => RequestDiagnostic): void {
    if (requestChannel.hasSubscribers) requestChannel.publish(build());
  },
  response(build: () => ResponseDiagnostic): void {
    if (responseChannel.hasSubscribers) responseChannel.publish(build());
  },
  error(build: () => ErrorDiagnostic): void {
    if (errorChannel.hasSubscribers) errorChannel.publish(build());
  },
};

/**
 * The per-message forms of `diag.send` and `diag.message`, for the
 * client's hot paths: the arguments are passed as they are, so an
 * unobserved send or message costs one `hasSubscribers` test and not even
 * a closure.
 */
export function publishSend(clientId: string, peerId: string, content: unknown): void {
  if (sendChannel.hasSubscribers) sendChannel.publish({ clientId, peerId, content } satisfies SendDiagnostic);
}

/** See {@link publishSend}. */
export function publishMessage(clientId: string, message: Message): void {
  if (messageChannel.hasSubscribers) messageChannel.publish({ clientId, message } satisfies MessageDiagnostic);
}

// ---- NODE_DEBUG=ipcm -------------------------------------------------------

/** The life-cycle events `NODE_DEBUG=ipcm` prints. */
export type LifecycleEvent = 'listen' | 'dial' | 'accept' | 'hello' | 'evict' | 'reap' | 'close' | 'error';

/**
 * What a life-cycle line may say. Deliberately no field for content,
 * messages, hellos, addresses or tokens: the type is the guarantee. Ids and
 * reasons are printed JSON-quoted (control characters escaped); an error
 * prints only its code or name (and its cause's code), never its message.
 */
export interface LifecycleFields {
  clientId: string;
  peerId?: string | undefined;
  direction?: Direction | undefined;
  reason?: string | undefined;
  count?: number | undefined;
  error?: unknown;
}

let log: ReturnType<typeof debuglog> | undefined;

/** True when `NODE_DEBUG` includes `ipcm` (read on first use, as `util.debuglog` does). */
export function debugEnabled(): boolean {
  log ??= debuglog('ipcm');
  return log.enabled;
}

/**
 * Prints one life-cycle line when `NODE_DEBUG=ipcm` (to stderr, as
 * `util.debuglog` does: `IPCM <pid>: hello client="a" peer="b"
 * direction=inbound`). Costs one boolean test otherwise.
 */
export function debugLifecycle(event: LifecycleEvent, fields: LifecycleFields): void {
  if (!debugEnabled()) return;
  (log as ReturnType<typeof debuglog>)('%s', formatLifecycle(event, fields));
}

/** The text of a life-cycle line (exported for tests). */
export function formatLifecycle(event: LifecycleEvent, fields: LifecycleFields): string {
  let line = `${event} client=${JSON.stringify(fields.clientId)}`;
  if (fields.peerId !== undefined) line += ` peer=${JSON.stringify(fields.peerId)}`;
  if (fields.direction !== undefined) line += ` direction=${fields.direction}`;
  if (fields.reason !== undefined) line += ` reason=${JSON.stringify(fields.reason)}`;
  if (fields.count !== undefined) line += ` count=${fields.count}`;
  if (fields.error !== undefined) line += ` error=${errorLabel(fields.error)}`;
  return line;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code) ? code : undefined;
}

function errorLabel(error: unknown): string {
  const own = codeOf(error) ?? (error instanceof Error && /^\w{1,64}$/.test(error.name) ? error.name : 'unknown');
  const cause = error instanceof Error ? codeOf(error.cause) : undefined;
  return cause === undefined ? own : `${own}(${cause})`;
}
