import type { ClientOptions } from '@ipcm/client-core';
import type { SecureContextOptions } from 'node:tls';

/** TLS settings, used on both sides of every connection of a TLS client. */
export interface TcpTlsOptions extends SecureContextOptions {
  /**
   * Ask connecting peers for a certificate (mutual TLS). Peers without a
   * certificate signed by `ca` are then refused.
   * @default false
   */
  requestCert?: boolean;
  /**
   * Refuse peers whose certificate does not verify against `ca`.
   * Turning this off removes the protection TLS gives; only for tests.
   * @default true
   */
  rejectUnauthorized?: boolean;
  /** Server name to verify in peers' certificates, when it is not the host dialled. */
  servername?: string;
}

/** Options of {@link TcpClient}: the client-core options, plus: */
export interface TcpClientOptions extends ClientOptions {
  /**
   * Interface to listen on. Anything but a loopback address (`127.0.0.0/8`,
   * `::1`, `localhost`) is refused unless `token` or `tls` is set (R20).
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * The host other peers dial to reach this client: what it publishes in
   * its directory (the route directory, Redis...). Distinct from `host`,
   * the interface it binds: a client bound to a wildcard (`0.0.0.0`, `::`)
   * must say which of its addresses others should use, so `advertiseHost`
   * is required then. Anything but a loopback address needs `token` or
   * `tls`: anyone who can write to the directory could otherwise redirect
   * this id.
   * @default host
   */
  advertiseHost?: string;
  /** Port to listen on; `0` picks a free one. @default 0 */
  port?: number;
  /**
   * Peers known by address rather than through the route directory, for
   * groups spread over several hosts: id to `"host:port"` (`"[::1]:4000"`
   * for IPv6). The shorthand for a `StaticDirectory`, looked up before the
   * route directory (or the `directory` given).
   * @default {}
   */
  peers?: Readonly<Record<string, string>>;
  /**
   * A shared secret: sent in this client's hello, and required in the hello
   * of every connection it accepts (compared in constant time; never
   * printed). At most 1024 bytes.
   */
  token?: string;
  /** Use TLS for every connection (both directions). */
  tls?: TcpTlsOptions;
  /**
   * TCP keep-alive: idle time before the first probe, in milliseconds, so a
   * peer that vanished without closing is noticed. At most 32767000
   * (Linux's longest keep-alive idle time).
   * @default 10000
   */
  keepAliveMs?: number;
  /**
   * How long dialling a peer may take before it fails with `ERR_IPCM_CONNECT`.
   * At most 2147483647 (the longest timer).
   * @default 10000
   */
  connectTimeoutMs?: number;
}
