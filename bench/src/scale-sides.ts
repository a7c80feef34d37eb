import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { BroadcastResult } from '@ipcm/client-core';
import { UnixClient } from '@ipcm/client-unix';
import { countFds } from './fds.js';
import { withTimeout } from './messaging-pair.js';
import { TEXT, bareFrameParser, bareMessage, encodeBareFrame } from './messaging-wire.js';

/** Counts acks and lets the caller wait for a number of them. */
export class AckCounter {
  #count = 0;
  #target = 0;
  #resolve: (() => void) | undefined;

  /** Resets the count; resolves once `total` acks have come in. */
  expect(total: number, timeoutMs: number, what: string): Promise<void> {
    this.#count = 0;
    this.#target = total;
    const done = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    if (total === 0) this.#resolve?.();
    return withTimeout(done, timeoutMs, `${what}: ${total} acks`).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (got ${this.#count})`);
    });
  }

  readonly ack = (): void => {
    this.#count++;
    if (this.#count === this.#target) this.#resolve?.();
  };
}

/** The measuring end of the scale suite, for @ipcm or bare: one connection per peer. */
export interface Side {
  /** Sends one message to each peer `from..to-1` (opening its connection if needed) and waits for every ack. */
  sendTo(from: number, to: number): Promise<void>;
  /** Sends one message to every peer over the open connections and waits for every ack. */
  broadcast(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh measuring UnixClient in `route`; its clock can be moved forward (for idle sweeps). */
export class IpcmSide implements Side {
  readonly client: UnixClient;
  readonly #ids: readonly string[];
  readonly #acks = new AckCounter();
  readonly #timeoutMs: number;
  readonly #skew: { ms: number };

  private constructor(client: UnixClient, ids: readonly string[], timeoutMs: number, skew: { ms: number }) {
    this.client = client;
    this.#ids = ids;
    this.#timeoutMs = timeoutMs;
    this.#skew = skew;
    client.on('message', this.#acks.ack);
  }

  static async open(id: string, route: string, ids: readonly string[], timeoutMs: number): Promise<IpcmSide> {
    const skew = { ms: 0 };
    const clock = { now: (): number => performance.now() + skew.ms };
    // maxConnections above the peer count: no connection may be evicted.
    const client = await UnixClient.create({ id, route, maxConnections: ids.length + 16, clock });
    return new IpcmSide(client, ids, timeoutMs, skew);
  }

  /** Moves the client's clock forward by `ms`. */
  skip(ms: number): void {
    this.#skew.ms += ms;
  }

  async sendTo(from: number, to: number): Promise<void> {
    const waiting = this.#acks.expect(to - from, this.#timeoutMs, '@ipcm sends');
    const sends = Promise.allSettled(this.#ids.slice(from, to).map((id, i) => this.client.send(id, { seq: from + i, text: TEXT })));
    await waiting;
    const refused = (await sends).find((s) => s.status === 'rejected');
    if (refused !== undefined) throw new Error(`a send failed: ${String((refused as PromiseRejectedResult).reason)}`);
  }

  async broadcast(): Promise<void> {
    const n = this.#ids.length;
    const waiting = this.#acks.expect(n, this.#timeoutMs, '@ipcm broadcast');
    const results: Map<string, BroadcastResult> = await this.client.broadcast({ seq: -1, text: TEXT });
    await waiting;
    const failed = [...results.values()].filter((r) => !r.sent);
    if (results.size !== n || failed.length > 0) {
      throw new Error(`broadcast reached ${results.size - failed.length} of ${n} peers: ${failed[0]?.error?.message ?? ''}`);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** `net.Socket`s to the bare peers' servers: one frame per message, the simplest thing that does the job. */
export class BareSide implements Side {
  readonly #self: string;
  readonly #paths: readonly string[];
  readonly #ids: readonly string[];
  readonly #sockets: (Socket | undefined)[];
  readonly #acks = new AckCounter();
  readonly #timeoutMs: number;

  constructor(self: string, paths: readonly string[], ids: readonly string[], timeoutMs: number) {
    this.#self = self;
    this.#paths = paths;
    this.#ids = ids;
    this.#sockets = new Array<Socket | undefined>(paths.length);
    this.#timeoutMs = timeoutMs;
  }

  #write(i: number, seq: number): void {
    let socket = this.#sockets[i];
    if (socket === undefined) {
      socket = createConnection({ path: this.#paths[i] as string });
      socket.on('data', bareFrameParser(this.#acks.ack));
      socket.on('error', () => {});
      this.#sockets[i] = socket;
    }
    // Written once connected; a fresh message per peer, as @ipcm builds one.
    socket.write(encodeBareFrame(bareMessage(this.#self, this.#ids[i] as string, { seq, text: TEXT })));
  }

  async sendTo(from: number, to: number): Promise<void> {
    const waiting = this.#acks.expect(to - from, this.#timeoutMs, 'bare sends');
    for (let i = from; i < to; i++) this.#write(i, i);
    await waiting;
  }

  async broadcast(): Promise<void> {
    const waiting = this.#acks.expect(this.#paths.length, this.#timeoutMs, 'bare broadcast');
    for (let i = 0; i < this.#paths.length; i++) this.#write(i, -1);
    await waiting;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#sockets.map((socket) => {
        if (socket === undefined || socket.closed) return Promise.resolve();
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        socket.destroy();
        return closed;
      }),
    );
  }
}

export interface Memory {
  readonly rss: number;
  readonly heap: number;
  readonly external: number;
  /** Physical size of V8's young generation, which grows with the allocation rate, not with what is kept. */
  readonly newSpace: number;
  readonly fds: number;
}

/** Memory and fds of this process after two full GCs (when `gc()` is exposed). */
export function settledMemory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const { rss, heapUsed, external } = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? NaN;
  return { rss, heap: heapUsed, external, newSpace, fds: countFds() };
}

/** Growth per connection between two readings. */
export interface PerConnection {
  readonly rss: number;
  readonly heap: number;
  readonly external: number;
  readonly newSpace: number;
  readonly fds: number;
}

export function perConnection(before: Memory, after: Memory, connections: number): PerConnection {
  return {
    rss: (after.rss - before.rss) / connections,
    heap: (after.heap - before.heap) / connections,
    external: (after.external - before.external) / connections,
    newSpace: (after.newSpace - before.newSpace) / connections,
    fds: (after.fds - before.fds) / connections,
  };
}
