import { once } from 'node:events';
import type { NetConnectOpts, Socket } from 'node:net';
import { IPCModule } from '@achrinza/node-ipc';
import type { Endpoint } from './messaging-endpoints.js';
import { bareMessage, sharedNow, type BareMessage, type Content } from './messaging-wire.js';

/** node-ipc's event name for the benchmark's messages. */
const EVENT = 'message';
/** node-ipc's id for the server; clients address it by this id in `ipc.of`. */
const SERVER_ID = 'bench-server';

const ignore = (): void => {};

function quietModule(id: string): IPCModule {
  const ipc = new IPCModule();
  ipc.config.id = id;
  ipc.config.silent = true;
  ipc.config.rawBuffer = false;
  // A closed connection must stay closed, not be redialled every 500 ms.
  ipc.config.stopRetrying = true;
  ipc.config.maxRetries = 0;
  return ipc;
}

/**
 * An end of a `@achrinza/node-ipc` link (the maintained fork of node-ipc),
 * used as its README shows: `serve`/`serveNet` on the listening side,
 * `connectTo`/`connectToNet` on the other, `emit(event, data)` with the same
 * message object the bare baseline sends (node-ipc wraps it as
 * `{"type":"message","data":...}` plus a `\f` delimiter, its own framing)
 * and `on(event, (data, socket) => ...)` to receive. Its `emit` is
 * fire-and-forget (`sync: false`, the default); only the one-way blast
 * waits for `'drain'` when the socket's buffer is full, as the bare baseline
 * does, so memory stays bounded.
 */
export class NodeIpcEndpoint implements Endpoint {
  onMessage: (content: Content) => void = ignore;
  error: Error | undefined;
  readonly #ipc: IPCModule;
  readonly #self: string;
  readonly #peer: string;
  /** The server side: the socket the last message came from, where replies go. */
  #replyTo: Socket | undefined;
  readonly #isServer: boolean;

  private constructor(ipc: IPCModule, self: string, peer: string, isServer: boolean) {
    this.#ipc = ipc;
    this.#self = self;
    this.#peer = peer;
    this.#isServer = isServer;
  }

  /** The listening end: a node-ipc server at `address` (a socket path, or host and port). */
  static async listen(self: string, peer: string, address: NetConnectOpts): Promise<NodeIpcEndpoint> {
    const ipc = quietModule(SERVER_ID);
    const endpoint = new NodeIpcEndpoint(ipc, self, peer, true);
    const started = new Promise<void>((resolve) => {
      if ('path' in address) ipc.serve(address.path, resolve);
      else ipc.serveNet(address.host ?? '127.0.0.1', address.port, resolve);
    });
    const server = ipc.server;
    if (server === false) throw new Error('node-ipc made no server');
    server.on(EVENT, (data, socket) => {
      endpoint.#replyTo = socket;
      endpoint.onMessage((data as BareMessage).content);
    });
    server.on('error', (error) => {
      endpoint.error ??= error as Error;
    });
    server.start();
    await started;
    return endpoint;
  }

  /** The dialling end: connects to the node-ipc server at `address`. */
  static async dial(self: string, peer: string, address: NetConnectOpts): Promise<NodeIpcEndpoint> {
    const ipc = quietModule(`bench-${self}`);
    const endpoint = new NodeIpcEndpoint(ipc, self, peer, false);
    if ('path' in address) ipc.connectTo(SERVER_ID, address.path);
    else ipc.connectToNet(SERVER_ID, address.host ?? '127.0.0.1', address.port);
    const client = ipc.of[SERVER_ID];
    if (client === undefined) throw new Error('node-ipc made no client');
    await new Promise<void>((resolve, reject) => {
      client.on('connect', () => resolve());
      client.on('error', (error) => reject(error as Error));
    });
    client.on('error', (error) => {
      endpoint.error ??= error as Error;
    });
    client.on(EVENT, (data) => endpoint.onMessage((data as BareMessage).content));
    return endpoint;
  }

  #socket(): Socket {
    const socket = this.#isServer ? this.#replyTo : this.#ipc.of[SERVER_ID]?.socket;
    if (socket === undefined || socket === false) throw new Error('node-ipc endpoint is not connected');
    return socket;
  }

  send(content: Content): void {
    const message = bareMessage(this.#self, this.#peer, content);
    if (this.#isServer) {
      const server = this.#ipc.server;
      if (server !== false) server.emit(this.#socket(), EVENT, message);
    } else {
      this.#ipc.of[SERVER_ID]?.emit(EVENT, message);
    }
  }

  async blast(count: number, text: string, mark: number): Promise<number> {
    const socket = this.#socket();
    let markAt = NaN;
    for (let i = 0; i < count; i++) {
      if (i === mark) markAt = sharedNow();
      this.send({ seq: i, text });
      if (socket.writableNeedDrain) await once(socket, 'drain');
    }
    return markAt;
  }

  connects(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.#isServer) {
      const server = this.#ipc.server;
      if (server === false) return;
      const listening = server.server;
      const closed = listening === false ? Promise.resolve() : new Promise<void>((resolve) => listening.close(() => resolve()));
      for (const socket of server.sockets) socket.destroy();
      await closed;
    } else {
      const socket = this.#ipc.of[SERVER_ID]?.socket;
      const closed = socket === undefined || socket === false || socket.closed ? Promise.resolve() : once(socket, 'close');
      this.#ipc.disconnect(SERVER_ID);
      await closed;
    }
  }
}
