import type { Client, ClientStats } from '@ipcm/client-core';
import { TcpClient } from '@ipcm/client-tcp';
import { UnixClient, removeRoute, spawnRoute } from '@ipcm/client-unix';
import { PeerProcess } from '@ipcm/peer-process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Checklist } from './checklist.js';
import { isContent } from './content.js';
import { REPORT_TIMEOUT_MS, START_TIMEOUT_MS, type DemoPeer, type PeerSettings, type TransportName } from './control.js';
import { Inbox } from './inbox.js';
import { ManualClock } from './manual-clock.js';
import { bold, CROSS, red } from './style.js';

/** The peer processes the demo starts. */
export const CAST: readonly Omit<PeerSettings, 'route'>[] = [
  { id: 'unix-a', transport: 'unix', listen: true },
  { id: 'unix-b', transport: 'unix', listen: true },
  { id: 'unix-c', transport: 'unix', listen: true },
  { id: 'unix-quiet', transport: 'unix', listen: false },
  { id: 'tcp-a', transport: 'tcp', listen: true },
  { id: 'tcp-b', transport: 'tcp', listen: true },
  { id: 'tcp-quiet', transport: 'tcp', listen: false },
];

/** A client in the demo's own process that directs the others. */
export interface Conductor {
  readonly id: string;
  readonly client: Client;
  readonly inbox: Inbox;
  readonly transport: TransportName;
  readonly listen: boolean;
}

/** One line of the summary: a client's final stats. */
export interface FinalRow {
  readonly id: string;
  readonly where: string;
  readonly transport: TransportName;
  readonly listen: boolean;
  readonly stats: ClientStats;
}

/** What shutting everything down found. */
export interface Shutdown {
  readonly rows: FinalRow[];
  readonly exitCodes: Map<string, number | null | string>;
  readonly leftovers: string[];
  readonly statsFiles: number;
  readonly removed: boolean;
}

/**
 * Everything the scenes share: the route directory, the peer processes, the
 * three conductors (a Unix one on an injected clock, a TCP one, and a small
 * Unix one with `maxConnections: 2`), the checklist and the output.
 */
export class Stage {
  readonly route: string;
  readonly clock: ManualClock;
  readonly checks = new Checklist();
  readonly peers = new Map<string, PeerProcess<DemoPeer>>();
  readonly conductors: { readonly unix: Conductor; readonly tcp: Conductor; readonly small: Conductor };
  #n = 0;
  #scenes = 0;

  private constructor(route: string, clock: ManualClock, clients: { unix: Client; tcp: Client; small: Client }) {
    this.route = route;
    this.clock = clock;
    const conductor = (client: Client, transport: TransportName): Conductor => {
      // A peer that does not listen says "hi" first; the welcome goes back
      // over the connection it opened.
      client.on('message', ({ from, content }) => {
        if (isContent(content, 'hi')) {
          client.send(from, { kind: 'welcome' }).catch((error: Error) => this.say(red(`${CROSS} welcome to ${from}: ${error.message}`)));
        }
      });
      return { id: client.id, client, inbox: new Inbox(client), transport, listen: client.listening };
    };
    this.conductors = {
      unix: conductor(clients.unix, 'unix'),
      tcp: conductor(clients.tcp, 'tcp'),
      small: conductor(clients.small, 'unix'),
    };
  }

  /** Creates the route directory and the conductors. */
  static async open(): Promise<Stage> {
    const route = await spawnRoute({ prefix: 'ipcm-demo-' });
    const clock = new ManualClock();
    const created: Client[] = [];
    const keep = <C extends Client>(client: C): C => {
      created.push(client);
      return client;
    };
    try {
      return new Stage(route, clock, {
        unix: keep(await UnixClient.create({ id: 'conductor-unix', route, clock })),
        tcp: keep(await TcpClient.create({ id: 'conductor-tcp', route })),
        small: keep(await UnixClient.create({ id: 'conductor-small', route, listen: false, maxConnections: 2 })),
      });
    } catch (error) {
      await Promise.all(created.map((client) => client.destroy()));
      await removeRoute(route);
      throw error;
    }
  }

  /** Forks every peer of the cast at once; those that started are kept even if another failed. */
  async startPeers(): Promise<void> {
    const started = await Promise.allSettled(
      CAST.map((settings) =>
        PeerProcess.start<DemoPeer>({
          entry: path.join(__dirname, 'peer.js'),
          settings: { ...settings, route: this.route },
          name: settings.id,
          startTimeoutMs: START_TIMEOUT_MS,
          timeoutMs: REPORT_TIMEOUT_MS,
        }),
      ),
    );
    const failures: string[] = [];
    for (const result of started) {
      if (result.status === 'fulfilled') this.peers.set(result.value.name, result.value);
      else failures.push((result.reason as Error).message);
    }
    if (failures.length > 0) throw new Error(`peers failed to start: ${failures.join('; ')}`);
  }

  peer(id: string): PeerProcess<DemoPeer> {
    const peer = this.peers.get(id);
    if (peer === undefined) throw new Error(`no peer ${id}`);
    return peer;
  }

  say(line = ''): void {
    console.log(line === '' ? '' : `  ${line}`);
  }

  /** Runs one numbered scene; a scene that throws is a failed check and stops the show. */
  async scene(title: string, run: () => Promise<void>): Promise<boolean> {
    console.log(`\n${bold(`${++this.#scenes}. ${title}`)}`);
    try {
      await run();
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.say(red(`${CROSS} ${message}`));
      this.checks.check(`scene "${title}" ran to the end`, false, message);
      return false;
    }
  }

  /** A fresh number for a ping or a broadcast, so each reply is matched to its request. */
  nextNumber(): number {
    return ++this.#n;
  }

  /** Sends one ping and waits for its pong; returns the ping's number. */
  async ping(conductor: Conductor, peerId: string): Promise<number> {
    const n = this.nextNumber();
    const pong = conductor.inbox.take(`pong #${n} from ${peerId}`, (m) => m.from === peerId && isContent(m.content, 'pong') && m.content.n === n);
    await conductor.client.send(peerId, { kind: 'ping', n });
    await pong;
    return n;
  }

  /** Sends `count` pings without waiting between them, then waits for every pong. */
  async pingMany(conductor: Conductor, peerId: string, count: number): Promise<void> {
    const first = this.#n + 1;
    this.#n += count;
    const pongs = conductor.inbox.take(
      `${count} pongs from ${peerId}`,
      (m) => m.from === peerId && isContent(m.content, 'pong') && m.content.n >= first && m.content.n < first + count,
      count,
    );
    const sends: Promise<void>[] = [];
    for (let n = first; n < first + count; n++) sends.push(conductor.client.send(peerId, { kind: 'ping', n }));
    await Promise.all([...sends, pongs]);
  }

  /**
   * Closes every client (conductors, then the peers, each of which exits),
   * looks at what is left in the route directory and removes it. Never
   * throws: what went wrong shows in the result.
   */
  async shutdown(): Promise<Shutdown> {
    const rows: FinalRow[] = [];
    const exitCodes = new Map<string, number | null | string>();
    for (const { id, client, transport, listen } of Object.values(this.conductors)) {
      await client.close();
      rows.push({ id, where: 'demo', transport, listen, stats: client.stats() });
    }
    await Promise.all(
      [...this.peers.values()].map(async (peer) => {
        try {
          const { result: stats, exitCode } = await peer.close();
          const { id, transport, listen } = peer.settings;
          rows.push({ id, where: `pid ${peer.pid}`, transport, listen, stats });
          exitCodes.set(id, exitCode);
        } catch (error) {
          // close() has killed it
          exitCodes.set(peer.name, (error as Error).message);
        }
      }),
    );
    const order = [...Object.values(this.conductors).map((c) => c.id), ...CAST.map((p) => p.id)];
    rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    let names: string[] = [];
    try {
      names = await fsp.readdir(this.route);
    } catch {
      // Reported below as leftovers of an unreadable directory.
      names = ['(unreadable)'];
    }
    await removeRoute(this.route).catch(() => {});
    const removed = await fsp.access(this.route).then(
      () => false,
      () => true,
    );
    return {
      rows,
      exitCodes,
      leftovers: names.filter((name) => !name.endsWith('.stats')),
      statsFiles: names.filter((name) => name.endsWith('.stats')).length,
      removed,
    };
  }
}

/** True when both lists hold the same ids, in any order. */
export function sameIds(actual: Iterable<string>, expected: Iterable<string>): boolean {
  const a = [...actual].sort();
  const b = [...expected].sort();
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
