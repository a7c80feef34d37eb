import type { CommandName, PeerProtocol, UntypedProtocol } from './protocol.js';
import { isToChild, toWireError, type ToChild, type ToParent } from './wire.js';

/** What a peer's `start` gets besides its settings: the way back to its parent. */
export interface PeerChannel<P extends PeerProtocol> {
  /** Reports an event the parent may await with `next(type)`. */
  report(event: P['event']): void;
  /** Reports a failure outside any command: every wait of the parent fails from now on. */
  fail(error: unknown): void;
}

/** One handler per command: its arguments in, its reply (or a promise of it) out; a throw becomes the parent's `ERR_IPCM_PEER_COMMAND`. */
export type CommandHandlers<P extends PeerProtocol> = {
  readonly [K in CommandName<P>]: (args: P['commands'][K]['args']) => P['commands'][K]['reply'] | Promise<P['commands'][K]['reply']>;
};

/** A started peer: what its ready handshake carries, its command table, and how it closes. */
export interface PeerBehaviour<P extends PeerProtocol> {
  /** Sent to the parent once started (its `ready` resolves with it). */
  readonly ready: P['ready'];
  readonly commands: CommandHandlers<P>;
  /** Run on the parent's `close()`; its result goes back to the parent. The process then leaves the channel and exits when nothing else holds it. */
  close?(): P['closed'] | Promise<P['closed']>;
  /**
   * Run when the parent goes away without closing (it died or disconnected);
   * the process exits right after.
   */
  abandoned?(): void;
}

/** A peer process: starts from its settings (a throw is reported to the parent as `ERR_IPCM_PEER_START` and the process exits 1). */
export interface PeerDefinition<P extends PeerProtocol> {
  start(settings: P['settings'], channel: PeerChannel<P>): PeerBehaviour<P> | Promise<PeerBehaviour<P>>;
}

/**
 * The child side of a peer process: call it once, at the top level of the
 * entry file the parent forks (its settings are the first message on the
 * channel, and a message that comes before anyone listens is lost). It
 * starts the peer, sends the ready handshake (or the start failure),
 * dispatches commands to their handlers and sends back their replies, and
 * exits when the parent goes away.
 *
 * @example
 * ```ts
 * runPeer<EchoPeer>({
 *   async start({ id }, channel) {
 *     const client = await UnixClient.create({ id, route });
 *     client.on('message', (m) => channel.report({ type: 'heard', from: m.from }));
 *     return { ready: { address: String(client.address) }, commands: { echo: ({ text }) => text }, close: () => client.close() };
 *   },
 * });
 * ```
 */
export function runPeer<P extends PeerProtocol = UntypedProtocol>(definition: PeerDefinition<P>): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('runPeer: this process has no IPC channel (fork it with PeerProcess)');
  const post = (message: ToParent, then?: () => void): void => {
    if (!process.connected) return;
    send(message, undefined, {}, () => then?.());
  };

  let behaviour: PeerBehaviour<P> | undefined;
  let closing = false;
  const early: ToChild[] = [];

  const channel: PeerChannel<P> = {
    report: (event) => post({ ipcmPeer: 'event', event }),
    fail: (error) => post({ ipcmPeer: 'failed', error: toWireError(error) }),
  };

  const dispatch = async (message: ToChild): Promise<void> => {
    if (message.ipcmPeer === 'settings') return;
    const current = behaviour as PeerBehaviour<P>;
    if (closing) {
      post({ ipcmPeer: 'reply', seq: message.seq, error: { message: 'the peer is closing' } });
      return;
    }
    if (message.ipcmPeer === 'close') {
      closing = true;
      let reply: ToParent;
      try {
        reply = { ipcmPeer: 'reply', seq: message.seq, value: await current.close?.() };
      } catch (error) {
        reply = { ipcmPeer: 'reply', seq: message.seq, error: toWireError(error) };
        process.exitCode = 1;
      }
      post(reply, () => process.disconnect());
      return;
    }
    const handler = (current.commands as Readonly<Record<string, ((args: unknown) => unknown) | undefined>>)[message.cmd];
    try {
      if (handler === undefined) throw new Error(`unknown command ${message.cmd}`);
      post({ ipcmPeer: 'reply', seq: message.seq, value: await handler(message.args) });
    } catch (error) {
      post({ ipcmPeer: 'reply', seq: message.seq, error: toWireError(error) });
    }
  };

  const begin = async (settings: unknown): Promise<void> => {
    try {
      behaviour = await definition.start(settings as P['settings'], channel);
    } catch (error) {
      process.exitCode = 1;
      post({ ipcmPeer: 'start-failed', error: toWireError(error) }, () => process.disconnect());
      return;
    }
    post({ ipcmPeer: 'ready', ready: behaviour.ready });
    for (const message of early.splice(0)) void dispatch(message);
  };

  process.on('message', (message: unknown) => {
    if (!isToChild(message)) return;
    if (message.ipcmPeer === 'settings') void begin(message.settings);
    else if (behaviour === undefined) early.push(message);
    else void dispatch(message);
  });
  // If the parent goes away, so do we; after our own close, we leave on our own.
  process.on('disconnect', () => {
    if (closing) return;
    try {
      behaviour?.abandoned?.();
    } finally {
      process.exit(process.exitCode ?? 0);
    }
  });
}
