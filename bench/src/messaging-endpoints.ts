import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Client, Message } from '@ipcm/client-core';
import { NodeIpcEndpoint } from './messaging-node-ipc.js';
import type { PeerAddress } from './messaging-protocol.js';
import { transportNamed } from './messaging-transports.js';
import {
  CHILD_ID,
  FrameWriter,
  PARENT_ID,
  bareFrameParser,
  bareMessage,
  encodeBareFrame,
  sharedNow,
  type Content,
  type RequestWire,
  type ResponseWire,
} from './messaging-wire.js';
import { ZmqEndpoint } from './messaging-zeromq.js';

/** The implementations compared by the messaging suites. */
export type MessagingImpl = '@ipcm' | 'bare' | 'bare+cork' | 'node-ipc' | 'zeromq';
export const MESSAGING_IMPLS: readonly MessagingImpl[] = ['@ipcm', 'bare', 'bare+cork', 'node-ipc', 'zeromq'];

/** @ipcm sends issued before awaiting them, in the one-way throughput test (small messages). */
export const IPCM_SEND_BATCH = 1000;
/**
 * ... and at most this many bytes of content per batch: 1,000 sends of
 * 64 KiB would queue 64 MiB, past the default `maxPendingBytes` (16 MiB),
 * and a real sender of big messages awaits them sooner.
 */
export const IPCM_SEND_BATCH_BYTES = 1 << 20;

/**
 * How an @ipcm sender issues and awaits its sends in a one-way trial (the
 * other implementations have one way each):
 * - `batch`: {@link ipcmSendBatch} sends, then `await Promise.all` of them, repeatedly;
 * - `fire-all`: every send of the trial, then `await Promise.all` of all;
 * - `await-each`: `for (...) await client.send(...)`, the natural loop.
 */
export type SendPattern = 'batch' | 'fire-all' | 'await-each';
export const SEND_PATTERNS: readonly SendPattern[] = ['batch', 'fire-all', 'await-each'];

/** Sends per batch for messages whose content has `textBytes` of text. */
export function ipcmSendBatch(textBytes: number): number {
  return Math.max(1, Math.min(IPCM_SEND_BATCH, Math.floor(IPCM_SEND_BATCH_BYTES / Math.max(1, textBytes))));
}

/** How the child process is told what to be. Passed as JSON in argv. */
export interface EndpointConfig {
  readonly impl: MessagingImpl;
  readonly transport: string;
  /** The route directory (@ipcm) or a private temporary directory (bare). */
  readonly dir: string;
}

/** One end of a two-process link, whatever the implementation. */
export interface Endpoint {
  /** Called with the content of every message received. */
  onMessage: (content: Content) => void;
  /** Sends one message to the other end; fire and forget (a failure is kept in `error`). */
  send(content: Content): void;
  /**
   * Sends `count` messages (content `{ seq, text }`) as fast as this
   * implementation allows, and resolves once all were handed over, with the
   * {@link sharedNow} time at which it started on message `mark`. Only
   * @ipcm's end heeds `pattern`.
   */
  blast(count: number, text: string, mark: number, pattern?: SendPattern): Promise<number>;
  /** Connections this end opened, when the implementation counts them. */
  connects(): number | undefined;
  /**
   * Request/response (@ipcm and bare only): sends `content` as an
   * IPC::Manager request and resolves when its response arrives.
   */
  request?(content: Content): Promise<void>;
  /** From now on, answers every request with its value (the other end of {@link request}). */
  respond?(): void;
  /** The first send failure, if any. */
  readonly error: Error | undefined;
  close(): Promise<void>;
}

const ignore = (): void => {};

class IpcmEndpoint implements Endpoint {
  onMessage: (content: Content) => void = ignore;
  error: Error | undefined;
  readonly #client: Client;
  readonly #peer: string;
  readonly #fail = (error: Error): void => {
    this.error ??= error;
  };

  constructor(client: Client, peer: string) {
    this.#client = client;
    this.#peer = peer;
    client.on('message', (message: Message) => this.onMessage(message.content as Content));
    client.on('error', this.#fail);
  }

  send(content: Content): void {
    this.#client.send(this.#peer, content).then(undefined, this.#fail);
  }

  async request(content: Content): Promise<void> {
    await this.#client.request(this.#peer, content);
  }

  respond(): void {
    this.#client.handle((request) => request);
  }

  async blast(count: number, text: string, mark: number, pattern: SendPattern = 'batch'): Promise<number> {
    const client = this.#client;
    const peer = this.#peer;
    let markAt = NaN;
    if (pattern === 'await-each') {
      for (let i = 0; i < count; i++) {
        if (i === mark) markAt = sharedNow();
        await client.send(peer, { seq: i, text });
      }
      return markAt;
    }
    const batch = pattern === 'fire-all' ? count : ipcmSendBatch(text.length);
    for (let sent = 0; sent < count; ) {
      const n = Math.min(batch, count - sent);
      const pending = new Array<Promise<void>>(n);
      for (let i = 0; i < n; i++) {
        if (sent + i === mark) markAt = sharedNow();
        pending[i] = client.send(peer, { seq: sent + i, text });
      }
      await Promise.all(pending);
      sent += n;
    }
    return markAt;
  }

  connects(): number {
    return this.#client.stats().connects;
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/** A bare `net.Socket` end. The child's is created listening and gets its socket on connection. */
class BareEndpoint implements Endpoint {
  onMessage: (content: Content) => void = ignore;
  error: Error | undefined;
  readonly #self: string;
  readonly #peer: string;
  readonly #corkPerTick: boolean;
  #socket: Socket | undefined;
  #writer: FrameWriter | undefined;
  #server: Server | undefined;
  /**
   * The bare request/response baseline: requests waiting for their
   * response, by id, matched the way any hand-written requester would.
   */
  readonly #pending = new Map<string, () => void>();
  #requestSeq = 0;

  constructor(self: string, peer: string, corkPerTick: boolean) {
    this.#self = self;
    this.#peer = peer;
    this.#corkPerTick = corkPerTick;
  }

  attach(socket: Socket): void {
    this.#socket = socket;
    this.#writer = new FrameWriter(socket, this.#corkPerTick);
    socket.on(
      'data',
      bareFrameParser((message) => {
        const content = message.content as Content | ResponseWire;
        if ('ipcm_response_id' in content) {
          const resolve = this.#pending.get(content.ipcm_response_id);
          this.#pending.delete(content.ipcm_response_id);
          resolve?.();
        } else {
          this.onMessage(content);
        }
      }),
    );
    socket.on('error', (error) => {
      this.error ??= error;
    });
  }

  listenWith(server: Server): void {
    this.#server = server;
  }

  #frame(content: Content | RequestWire | ResponseWire): Buffer {
    return encodeBareFrame(bareMessage(this.#self, this.#peer, content));
  }

  request(content: Content): Promise<void> {
    const writer = this.#writer;
    if (writer === undefined) throw new Error('bare endpoint is not connected');
    // A UUID-shaped id, as cheap as the message ids (see bareMessage).
    const id = `00000000-0000-4000-8000-${(this.#requestSeq++).toString(16).padStart(12, '0')}`;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      writer.write(this.#frame({ ipcm_request_id: id, request: content }));
    });
  }

  respond(): void {
    this.onMessage = (content) => {
      const request = content as unknown as RequestWire;
      this.#writer?.write(this.#frame({ ipcm_response_id: request.ipcm_request_id, response: request.request }));
    };
  }

  send(content: Content): void {
    if (this.#writer === undefined) throw new Error('bare endpoint is not connected');
    this.#writer.write(this.#frame(content));
  }

  async blast(count: number, text: string, mark: number): Promise<number> {
    const writer = this.#writer;
    const socket = this.#socket;
    if (writer === undefined || socket === undefined) throw new Error('bare endpoint is not connected');
    let markAt = NaN;
    for (let i = 0; i < count; i++) {
      if (i === mark) markAt = sharedNow();
      if (!writer.write(this.#frame({ seq: i, text }))) await once(socket, 'drain');
    }
    return markAt;
  }

  connects(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    if (socket !== undefined && !socket.destroyed) {
      const closed = once(socket, 'close');
      socket.end();
      await closed;
    }
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * The child's end: an @ipcm client that listens, a bare or node-ipc server,
 * or zeromq sockets bound. Returns where the parent must dial (nothing for
 * @ipcm, which finds the child in the route directory).
 */
export async function listenEndpoint(config: EndpointConfig): Promise<{ endpoint: Endpoint; address: PeerAddress }> {
  const transport = transportNamed(config.transport);
  switch (config.impl) {
    case '@ipcm': {
      const client = await transport.createClient(CHILD_ID, config.dir);
      return { endpoint: new IpcmEndpoint(client, PARENT_ID), address: {} };
    }
    case 'node-ipc': {
      const address = await transport.nodeIpcAddress(config.dir);
      return { endpoint: await NodeIpcEndpoint.listen(CHILD_ID, PARENT_ID, address), address: { net: address } };
    }
    case 'zeromq': {
      const { endpoint, endpoints } = await ZmqEndpoint.listen(CHILD_ID, PARENT_ID, (name) => transport.zmqBindEndpoint(config.dir, name));
      return { endpoint, address: { zmq: endpoints } };
    }
    case 'bare':
    case 'bare+cork': {
      const endpoint = new BareEndpoint(CHILD_ID, PARENT_ID, config.impl === 'bare+cork');
      const server = createServer((socket) => {
        transport.configureSocket?.(socket);
        endpoint.attach(socket);
      });
      endpoint.listenWith(server);
      const listen = transport.bareListenOptions(config.dir);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return { endpoint, address: { net: transport.bareConnectOptions(server, listen) } };
    }
  }
}

/** The parent's end: an @ipcm client (it dials on first send), or a connection to the child's `address`. */
export async function dialEndpoint(config: EndpointConfig, address: PeerAddress): Promise<Endpoint> {
  const transport = transportNamed(config.transport);
  switch (config.impl) {
    case '@ipcm':
      return new IpcmEndpoint(await transport.createClient(PARENT_ID, config.dir), CHILD_ID);
    case 'node-ipc':
      if (address.net === undefined) throw new Error('node-ipc: the child sent no address');
      return NodeIpcEndpoint.dial(PARENT_ID, CHILD_ID, address.net);
    case 'zeromq':
      if (address.zmq === undefined) throw new Error('zeromq: the child sent no endpoints');
      return ZmqEndpoint.dial(PARENT_ID, CHILD_ID, address.zmq);
    case 'bare':
    case 'bare+cork': {
      if (address.net === undefined) throw new Error(`${config.impl}: the child sent no address`);
      const socket = createConnection(address.net);
      await once(socket, 'connect');
      transport.configureSocket?.(socket);
      const endpoint = new BareEndpoint(PARENT_ID, CHILD_ID, config.impl === 'bare+cork');
      endpoint.attach(socket);
      return endpoint;
    }
  }
}
