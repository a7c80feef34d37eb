import { once } from 'node:events';
import { createConnection, createServer, type NetConnectOpts, type Server, type Socket } from 'node:net';
import type { Client, Message } from '@ipcm/client-core';
import { CHILD_ID, FrameWriter, PARENT_ID, TEXT, bareFrameParser, bareMessage, encodeBareFrame, type Content } from './messaging-wire.js';
import { transportNamed } from './messaging-transports.js';

/** The implementations compared by the messaging suite. */
export type MessagingImpl = '@ipcm' | 'bare' | 'bare+cork';
export const MESSAGING_IMPLS: readonly MessagingImpl[] = ['@ipcm', 'bare', 'bare+cork'];

/** @ipcm sends issued before awaiting them, in the one-way throughput test. */
export const IPCM_SEND_BATCH = 1000;

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
   * implementation allows, and resolves once all were handed over.
   */
  blast(count: number): Promise<void>;
  /** Connections this end opened, when the implementation counts them. */
  connects(): number | undefined;
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

  async blast(count: number): Promise<void> {
    const client = this.#client;
    const peer = this.#peer;
    for (let sent = 0; sent < count; ) {
      const n = Math.min(IPCM_SEND_BATCH, count - sent);
      const pending = new Array<Promise<void>>(n);
      for (let i = 0; i < n; i++) pending[i] = client.send(peer, { seq: sent + i, text: TEXT });
      await Promise.all(pending);
      sent += n;
    }
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

  constructor(self: string, peer: string, corkPerTick: boolean) {
    this.#self = self;
    this.#peer = peer;
    this.#corkPerTick = corkPerTick;
  }

  attach(socket: Socket): void {
    this.#socket = socket;
    this.#writer = new FrameWriter(socket, this.#corkPerTick);
    socket.on('data', bareFrameParser((message) => this.onMessage(message.content)));
    socket.on('error', (error) => {
      this.error ??= error;
    });
  }

  listenWith(server: Server): void {
    this.#server = server;
  }

  #frame(content: Content): Buffer {
    return encodeBareFrame(bareMessage(this.#self, this.#peer, content));
  }

  send(content: Content): void {
    if (this.#writer === undefined) throw new Error('bare endpoint is not connected');
    this.#writer.write(this.#frame(content));
  }

  async blast(count: number): Promise<void> {
    const writer = this.#writer;
    const socket = this.#socket;
    if (writer === undefined || socket === undefined) throw new Error('bare endpoint is not connected');
    for (let i = 0; i < count; i++) {
      if (!writer.write(this.#frame({ seq: i, text: TEXT }))) await once(socket, 'drain');
    }
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
 * The child's end: an @ipcm client that listens, or a bare server. Returns
 * the address a bare parent must connect to.
 */
export async function listenEndpoint(config: EndpointConfig): Promise<{ endpoint: Endpoint; address?: NetConnectOpts }> {
  const transport = transportNamed(config.transport);
  if (config.impl === '@ipcm') {
    const client = await transport.createClient(CHILD_ID, config.dir);
    return { endpoint: new IpcmEndpoint(client, PARENT_ID) };
  }
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
  return { endpoint, address: transport.bareConnectOptions(server, listen) };
}

/** The parent's end: an @ipcm client (it dials on first send), or a bare socket connected to `address`. */
export async function dialEndpoint(config: EndpointConfig, address: NetConnectOpts | undefined): Promise<Endpoint> {
  const transport = transportNamed(config.transport);
  if (config.impl === '@ipcm') {
    return new IpcmEndpoint(await transport.createClient(PARENT_ID, config.dir), CHILD_ID);
  }
  if (address === undefined) throw new Error(`${config.impl}: the child sent no address`);
  const socket = createConnection(address);
  await once(socket, 'connect');
  transport.configureSocket?.(socket);
  const endpoint = new BareEndpoint(PARENT_ID, CHILD_ID, config.impl === 'bare+cork');
  endpoint.attach(socket);
  return endpoint;
}
