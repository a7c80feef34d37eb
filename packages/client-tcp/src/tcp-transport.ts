import { createHash, timingSafeEqual } from 'node:crypto';
import { connect as netConnect, createServer as netCreateServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as tlsCreateServer } from 'node:tls';
import {
  AuthError,
  WrongTransportError,
  whenSocketReady,
  type DialTarget,
  type Liveness,
  type ProbeTarget,
  type RouteAddress,
  type Transport,
  type TransportListener,
} from '@ipcm/client-core';
import { isTcpAddress, type TcpAddress } from './tcp-address.js';
import { MAX_TOKEN_BYTES, type TcpSettings } from './tcp-settings.js';

/**
 * TCP (optionally TLS) transport: listens, dials and probes. A listening
 * peer publishes its advertised address in its directory; the static
 * `peers` map is a `StaticDirectory` (see TcpClient), not the transport's
 * business. Nagle is off and keep-alive on for every connection.
 */
export class TcpTransport implements Transport {
  readonly name = 'tcp';
  readonly entryKind = 'address';
  /** True with a token or TLS: a directory may then publish a non-loopback address for us. */
  readonly authenticated: boolean;
  readonly #settings: TcpSettings;
  readonly #tokenDigest: Buffer | undefined;

  constructor(settings: TcpSettings) {
    this.#settings = settings;
    this.authenticated = settings.token !== undefined || settings.tls !== undefined;
    this.#tokenDigest = settings.token === undefined ? undefined : digest(settings.token);
  }

  async listen(_entryPath: string | undefined, onConnection: (socket: Socket) => void): Promise<TransportListener> {
    const { host, port, tls } = this.#settings;
    const accept = (socket: Socket): void => {
      this.#tune(socket);
      onConnection(socket);
    };
    const server: Server =
      tls === undefined
        ? netCreateServer(accept)
        : tlsCreateServer(
            {
              ...tls,
              requestCert: tls.requestCert ?? false,
              rejectUnauthorized: tls.rejectUnauthorized ?? true,
              // A handshake that drags on holds a socket before any hello
              // timer runs: bound it like a dial.
              handshakeTimeout: this.#settings.connectTimeoutMs,
            },
            accept,
          );
    // A failed TLS handshake (a refused certificate, a plain-TCP probe) is
    // that connection's problem, not the server's.
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {}); // EMFILE while accepting: keep listening (R31)
    const bound = server.address() as AddressInfo;
    return {
      address: { transport: 'tcp', host: this.#settings.advertiseHost, port: bound.port },
      close: async () => {
        if (server.listening) server.close();
      },
      unref: () => void server.unref(),
      ref: () => void server.ref(),
    };
  }

  /** An address TCP can dial: `{ transport: 'tcp', host, port }`, well-formed ({@link isTcpAddress}). */
  canDial(address: RouteAddress): address is TcpAddress {
    return isTcpAddress(address);
  }

  connect(target: DialTarget): { socket: Socket; ready: Promise<void> } {
    const address = target.address;
    if (address === undefined || !this.canDial(address)) {
      throw new WrongTransportError(
        `peer ${JSON.stringify(target.id)} does not listen on TCP${address === undefined ? '' : ` (its entry says ${JSON.stringify(address.transport)})`}`,
      );
    }
    const { tls, connectTimeoutMs } = this.#settings;
    const socket =
      tls === undefined
        ? netConnect({ host: address.host, port: address.port })
        : tlsConnect({
            ...tls,
            host: address.host,
            port: address.port,
            rejectUnauthorized: tls.rejectUnauthorized ?? true,
            ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
          });
    this.#tune(socket);
    return { socket, ready: whenSocketReady(socket, tls === undefined ? 'connect' : 'secureConnect', connectTimeoutMs) };
  }

  async probe(target: ProbeTarget): Promise<Liveness> {
    // Another transport's entry can't be checked from here: say live, so it
    // is never reaped on our word.
    if (target.kind !== 'address' || !this.canDial(target.address)) return 'live';
    const socket = netConnect({ host: target.address.host, port: target.address.port });
    try {
      await whenSocketReady(socket, 'connect', this.#settings.connectTimeoutMs);
      return 'live';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? 'stale' : 'live';
    } finally {
      socket.destroy();
    }
  }

  helloFields(): Readonly<Record<string, unknown>> {
    return this.#settings.token === undefined ? {} : { token: this.#settings.token };
  }

  verifyHello(hello: Readonly<Record<string, unknown>>): void {
    const expected = this.#tokenDigest;
    if (expected === undefined) return;
    const token = hello['token'];
    // The message never repeats what the peer sent (R21).
    if (typeof token !== 'string') throw new AuthError('peer sent no token');
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) throw new AuthError('peer sent an oversized token');
    // Equal-length digests make the comparison constant-time whatever the
    // token's length.
    if (!timingSafeEqual(digest(token), expected)) throw new AuthError('peer sent a wrong token');
  }

  #tune(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.#settings.keepAliveMs);
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
