import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import * as path from 'node:path';
import {
  FrameDecoder,
  RouteDirectory,
  encodeFrame,
  removeRoute,
  spawnRoute,
  type Client,
  type ClientOptions,
  type CreateOptions,
  type IpcmError,
  type Message,
} from '@ipcm/client-core';
import { PeerProcess, PeerProcessError } from '@ipcm/peer-process';

/** What a transport package hands the conformance suite. */
export interface ConformanceTarget {
  /** `'unix'` or `'tcp'`: used in test names. */
  readonly name: string;
  /** Creates and starts a client of this transport. */
  create(options: ClientOptions & { route: string }, create?: CreateOptions): Promise<Client>;
  /** The module (compiled, absolute path) and export a child process loads to make a client. */
  readonly childModule: { readonly path: string; readonly exportName: string };
  /** Extra options a child needs (for example TCP host), merged into its client options. */
  readonly childOptions?: Record<string, unknown>;
  /** Opens a raw socket to a listening peer (found through the route directory). */
  rawConnect(route: string, peerId: string): Promise<Socket>;
}

/** A controllable clock: tests move time instead of sleeping. */
export class FakeClock {
  constructor(public time = 1_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

const FIXTURE = path.resolve(__dirname, '../fixtures/peer.js');

/** What test/fixtures/peer.js runs: `require(module)[exportName].create(options)`. */
export interface ChildSpec {
  readonly module: string;
  readonly exportName: string;
  readonly options: Record<string, unknown>;
  /** `'readme-reply'`: reply as the READMEs show, with no 'error' listener (see the fixture). */
  readonly mode?: string;
  /** Keep what it receives, for the 'received' command. */
  readonly record?: boolean;
}

/**
 * Forks test/fixtures/peer.js with `spec` through the shared peer-process
 * harness. `ready` resolves with `{ ready: true, pid, address }`, or
 * `{ error }` (the client's error code, or why the process went) when the
 * client could not be created. The caller kills it (`kill()`).
 */
export function forkPeer(
  spec: ChildSpec,
  options: { readonly env?: NodeJS.ProcessEnv; readonly pipeStderr?: boolean; readonly execArgv?: readonly string[] } = {},
): ChildPeer & { readonly ready: Promise<Record<string, unknown>> } {
  const peer = new PeerProcess({
    entry: FIXTURE,
    settings: spec,
    name: String(spec.options['id']),
    ...(options.pipeStderr === true ? { stderr: 'pipe' as const } : {}),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.execArgv === undefined ? {} : { execArgv: options.execArgv }),
  });
  const failure = (error: unknown): Record<string, unknown> => ({
    error: error instanceof PeerProcessError ? (error.remote?.code ?? error.remote?.message ?? error.message) : String(error),
  });
  return {
    process: peer.process,
    exited: peer.exited.then(() => undefined),
    kill: (signal) => peer.kill(signal).then(() => undefined),
    ready: peer.ready.then((ready) => ({ ready: true, pid: peer.pid, ...(ready as Record<string, unknown>) }), failure),
    next: (type) => peer.next(type),
    command: ({ cmd, ...args }) =>
      (cmd === 'close' ? peer.close().then(() => ({})) : peer.request(String(cmd), args)).then(
        (reply) => reply as Record<string, unknown>,
        failure,
      ),
  };
}

/** A child process running one client (see test/fixtures/peer.js). */
export interface ChildPeer {
  readonly process: ChildProcess;
  /** Sends a command (`{ cmd, ...args }`) to the child; resolves with its reply, or `{ error }` with the code it failed with. */
  command(message: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** The next event of this type the child reported (for example 'replied'). */
  next(type: string): Promise<Record<string, unknown>>;
  /** Resolves when the child has exited. */
  readonly exited: Promise<void>;
  /** Kills the child if it is still running (SIGKILL unless told otherwise); resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Per-test resources: a fresh route directory, and every client and child
 * created through it, all closed in `cleanup()`.
 */
export class Harness {
  route = '';
  readonly #clients: Client[] = [];
  readonly #sockets: Socket[] = [];
  readonly #children: ChildPeer[] = [];
  readonly target: ConformanceTarget;

  constructor(target: ConformanceTarget) {
    this.target = target;
  }

  async setup(): Promise<void> {
    this.route = await spawnRoute({ prefix: `ipcm-${this.target.name}-` });
  }

  async cleanup(): Promise<void> {
    for (const socket of this.#sockets.splice(0)) socket.destroy();
    // A client whose close() already failed (on purpose) rejects again here.
    await Promise.all(this.#clients.splice(0).map((client) => client.destroy().catch(() => undefined)));
    await Promise.all(this.#children.splice(0).map((child) => child.kill()));
    await removeRoute(this.route);
  }

  async client(id: string, options: Partial<ClientOptions> = {}): Promise<Client> {
    const client = await this.target.create({ ...options, id, route: options.route ?? this.route });
    this.#clients.push(client);
    return client;
  }

  /**
   * Opens a raw socket to a listening peer. It gets a no-op 'error'
   * listener: a raw peer that the client hangs up on may see EPIPE or
   * ECONNRESET, which must not crash the test process.
   */
  async raw(peerId: string): Promise<Socket> {
    const socket = await this.target.rawConnect(this.route, peerId);
    socket.on('error', () => {});
    this.#sockets.push(socket);
    return socket;
  }

  /** Starts a client in another process and waits until it is ready (or failed). */
  async child(
    id: string,
    options: Record<string, unknown> = {},
    extra: Pick<ChildSpec, 'mode'> = {},
    fork: Parameters<typeof forkPeer>[1] = {},
  ): Promise<ChildPeer & { ready: Record<string, unknown> }> {
    const spec: ChildSpec = {
      module: this.target.childModule.path,
      exportName: this.target.childModule.exportName,
      options: { id, route: this.route, ...this.target.childOptions, ...options },
      ...extra,
    };
    const peer = forkPeer(spec, fork);
    this.#children.push(peer);
    return { ...peer, ready: await peer.ready };
  }

  /** The route entry path of a peer (socket, marker or address file). */
  async entryPath(peerId: string): Promise<string> {
    const dir = await RouteDirectory.open(this.route, { create: false });
    return dir.entryPath(peerId);
  }
}

/** Collects the next `count` messages a client delivers through its 'message' event. */
export function nextMessages(client: Client, count: number): Promise<Message[]> {
  return new Promise((resolve) => {
    const got: Message[] = [];
    const onMessage = (message: Message): void => {
      got.push(message);
      if (got.length === count) {
        client.off('message', onMessage);
        resolve(got);
      }
    };
    client.on('message', onMessage);
  });
}

/** Collects the next `count` 'error' events of a client. */
export function nextErrors(client: Client, count: number): Promise<IpcmError[]> {
  return new Promise((resolve) => {
    const got: IpcmError[] = [];
    const onError = (error: IpcmError): void => {
      got.push(error);
      if (got.length === count) {
        client.off('error', onError);
        resolve(got);
      }
    };
    client.on('error', onError);
  });
}

/** A frame holding the JSON of `value` (not necessarily a valid message). */
export function jsonFrame(value: unknown): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify(value)));
}

/** A well-formed message frame from `from` to `to`. */
export function messageFrame(from: string, to: string, content: unknown, extra: Record<string, unknown> = {}): Buffer {
  return jsonFrame({ id: `${from}-${String(Math.random())}`, stamp: Date.now() / 1000, stamp_ord: 0, from, to, content, ...extra });
}

/**
 * Collects every 'error' event of a client from now on, for tests that must
 * not hang when an expected error never comes: check the array once a later
 * event proves the earlier frames were processed.
 */
export function recordErrors(client: Client): IpcmError[] {
  const got: IpcmError[] = [];
  client.on('error', (error: IpcmError) => got.push(error));
  return got;
}

/** The hello frame a peer that opens a connection sends first. */
export function helloFrame(id: string): Buffer {
  return jsonFrame({ hello: id });
}

/** Writes to a raw socket and resolves once the bytes have been handed to the kernel. */
export function writeRaw(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Reads the next `count` frames from a raw socket, JSON-decoded. The socket
 * must be between frames (a fresh decoder starts at the next byte).
 */
export function nextFrames(socket: Socket, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    const got: unknown[] = [];
    const done = (error?: Error): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(got);
    };
    const onData = (chunk: Buffer): void => {
      try {
        decoder.decode(chunk, (payload) => {
          if (got.length < count) got.push(JSON.parse(payload.toString('utf8')) as unknown);
        });
      } catch (error) {
        done(error as Error);
        return;
      }
      if (got.length >= count) done();
    };
    const onClose = (): void => done(new Error(`socket closed after ${got.length} of ${count} frames`));
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/**
 * Resolves when a raw socket has been closed by the other side. A reset
 * (ECONNRESET, or EPIPE on a later write) counts as closed too: a client may
 * hang up with our bytes unread.
 */
export async function closedByPeer(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  socket.resume();
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
}

/** Opens a raw Unix socket connection; resolves once connected. */
export async function rawUnixConnect(socketPath: string): Promise<Socket> {
  const socket = connect({ path: socketPath });
  await once(socket, 'connect');
  return socket;
}
