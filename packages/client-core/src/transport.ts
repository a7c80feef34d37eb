import type { Socket } from 'node:net';
import type { EntryProbe, RouteAddress } from './route-types.js';

/**
 * How a listening peer appears in the route directory:
 * - `'socket'`: the entry is the listening Unix socket itself;
 * - `'address'`: the entry is a small file holding the peer's address.
 */
export type ListeningEntryKind = 'socket' | 'address';

/** Where to reach a peer, as the engine hands it to {@link Transport.connect}. */
export interface DialTarget {
  /** The peer's id. */
  readonly id: string;
  /** The peer's route entry path, when it was found in the route directory. */
  readonly path?: string;
  /** The peer's published or configured address, for address-based transports. */
  readonly address?: RouteAddress;
}

/** A running listener returned by {@link Transport.listen}. */
export interface TransportListener {
  /** What to publish in the route entry (address transports only). */
  readonly address?: RouteAddress;
  /** Stop accepting connections. Established connections are not touched. */
  close(): Promise<void>;
  /** Optional: let the process exit while only this listener is open (`net.Server#unref`). */
  unref?(): void;
  /** Optional: undoes {@link unref} (`net.Server#ref`). */
  ref?(): void;
}

/**
 * What a transport gives the client engine. A transport only moves bytes:
 * it listens, dials and tells whether a route entry is alive. Framing,
 * hello, caching and everything else stay in the engine, so a third party
 * can add a transport (a Windows named pipe, a socket on an abstract path)
 * by implementing this interface alone.
 */
export interface Transport {
  /**
   * A short name used in errors and stats, e.g. `'unix'` or `'tcp'`. An
   * address transport's published addresses carry it as their `transport`
   * field, so transports sharing a route directory tell their peers apart.
   */
  readonly name: string;
  /** How this transport's listening entries look in the route directory. */
  readonly entryKind: ListeningEntryKind;
  /**
   * Start listening. `entryPath` is the route entry this client owns (if it
   * uses a route directory): a socket transport binds there and leaves the
   * file mode 0600; an address transport returns the address to publish.
   * `onConnection` receives each accepted socket; the engine owns it from
   * then on (it attaches its own `'error'` listener immediately).
   */
  listen(entryPath: string | undefined, onConnection: (socket: Socket) => void): Promise<TransportListener>;
  /**
   * Open a connection to a peer. Returns the socket at once (writes made
   * before it is ready are queued by the socket) and a promise that settles
   * when it is ready for use (after TLS, if any) or failed.
   */
  connect(target: DialTarget): { socket: Socket; ready: Promise<void> };
  /**
   * Whether a listening entry found in the route directory is alive, used to
   * decide whether a leftover entry may be reaped: `'stale'` only when the
   * probe proves nobody is listening (for example ECONNREFUSED); `'live'`
   * for a target it cannot check (another transport's entry).
   */
  probe: EntryProbe;
  /**
   * Optional: a peer not found in the route directory may still be known to
   * the transport (a static `host:port` map). Return its target, or
   * `undefined` when unknown.
   */
  resolveStatic?(id: string): DialTarget | undefined;
  /** Optional: every statically known peer id, listed by `peers()`. */
  staticPeers?(): readonly string[];
  /** Optional: fields added to this client's hello (an auth token, say). */
  helloFields?(): Readonly<Record<string, unknown>>;
  /**
   * Optional: checks an accepted connection's hello before the connection is
   * cached or any message on it delivered. Throw (an `AuthError`) to refuse
   * the peer; the message must not repeat secrets from the hello.
   */
  verifyHello?(hello: Readonly<Record<string, unknown>>): void;
}
