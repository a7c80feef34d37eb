import type { Duplex } from 'node:stream';
import type { EntryProbe, RouteAddress } from './route-types.js';
import type { PeerDirectory } from './peer-directory.js';

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
  /** The peer's socket path, for socket transports (a route directory's `D`). */
  readonly path?: string | undefined;
  /**
   * The peer's published or configured address, for address-based
   * transports; the engine hands over only addresses {@link Transport.canDial} accepts.
   */
  readonly address?: RouteAddress | undefined;
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
 * it listens, dials and tells whether an endpoint is alive. Who the peers
 * are and where they listen is the {@link PeerDirectory}'s business (a
 * static map of addresses is a `StaticDirectory`, not a transport feature);
 * framing, hello, caching and everything else stay in the engine, so a third
 * party can add a transport (a Windows named pipe, a socket on an abstract
 * path) by implementing this interface alone.
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
   * `onConnection` receives each accepted connection, any `stream.Duplex`
   * (a `net.Socket`, a TLS socket, one end of an in-memory pair in a test:
   * the engine uses only the Duplex API); the engine owns it from
   * then on (it attaches its own `'error'` listener immediately).
   */
  listen(entryPath: string | undefined, onConnection: (socket: Duplex) => void): Promise<TransportListener>;
  /**
   * Open a connection to a peer. Returns the socket at once (writes made
   * before it is ready are queued by the socket) and a promise that settles
   * when it is ready for use (after TLS, if any) or failed.
   */
  connect(target: DialTarget): { socket: Duplex; ready: Promise<void> };
  /**
   * Optional, for address transports: whether `address` (found in a
   * directory) is one this transport can dial: its own `transport` name and
   * well-formed keys (TCP: a non-empty host and a port in 1-65535). The one
   * check the engine asks before dialling, listing a peer as reachable
   * (`listeningPeers`, `broadcast`) or resolving `waitForPeer`: a peer whose
   * address fails it is never dialled (`ERR_IPCM_WRONG_TRANSPORT`).
   * Directories store any address with a non-empty `transport` string;
   * anything more is this method's to judge.
   * @default address.transport === name
   */
  canDial?(address: RouteAddress): boolean;
  /**
   * Whether a listening entry found in the route directory is alive, used to
   * decide whether a leftover entry may be reaped: `'stale'` only when the
   * probe proves nobody is listening (for example ECONNREFUSED); `'live'`
   * for a target it cannot check (another transport's entry).
   */
  probe: EntryProbe;
  /**
   * Optional: true when accepted connections must prove who they are (a
   * token, TLS). Passed to the directory's `register` as `authenticated`:
   * a directory may refuse to publish an address other hosts can dial for
   * a transport that accepts anyone.
   */
  readonly authenticated?: boolean;
  /** Optional: fields added to this client's hello (an auth token, say). */
  helloFields?(): Readonly<Record<string, unknown>>;
  /**
   * Optional: checks an accepted connection's hello before the connection is
   * cached or any message on it delivered. Throw (an `AuthError`) to refuse
   * the peer; the message must not repeat secrets from the hello.
   */
  verifyHello?(hello: Readonly<Record<string, unknown>>): void;
}
