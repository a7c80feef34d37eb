import {
  ConfigError,
  InvalidOptionError,
  OptionRangeError,
  isLoopback,
  validatePeerId,
  type ClientOptions,
} from '@ipcm/client-core';
import { checkIntegerOption, describeValue as describe, MAX_TIMER_MS } from '@ipcm/client-core/internal';
import type { TcpClientOptions, TcpTlsOptions } from './options.js';
import type { TcpAddress } from './tcp-address.js';

/** Longest token accepted, in UTF-8 bytes (R21). */
export const MAX_TOKEN_BYTES = 1024;

/** The names of the options {@link TcpClientOptions} adds to the client-core ones (the compiler checks none is missing). */
export const TCP_OPTION_NAMES = [
  'host',
  'advertiseHost',
  'port',
  'peers',
  'token',
  'tls',
  'keepAliveMs',
  'connectTimeoutMs',
] as const satisfies ReadonlyArray<Exclude<keyof TcpClientOptions, keyof ClientOptions>>;
const allListed: Exclude<keyof TcpClientOptions, keyof ClientOptions | (typeof TCP_OPTION_NAMES)[number]> extends never
  ? true
  : never = true;
void allListed;

/** The TCP options of a client, checked, with defaults filled in. */
export interface TcpSettings {
  readonly host: string;
  /** What the listener publishes: `advertiseHost`, else `host`. */
  readonly advertiseHost: string;
  readonly port: number;
  readonly peers: ReadonlyMap<string, TcpAddress>;
  readonly token: string | undefined;
  readonly tls: TcpTlsOptions | undefined;
  readonly keepAliveMs: number;
  readonly connectTimeoutMs: number;
}

/** Validates the TCP-specific options once, naming the option and the value in every error. */
export function checkTcpOptions(options: TcpClientOptions): TcpSettings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`client options must be an object; received ${describe(options)}`);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') {
    throw new InvalidOptionError(`host must be a non-empty string; received ${JSON.stringify(host)}`);
  }
  const port = checkIntegerOption('port', options.port, 0, 0, 65535);
  const advertised = options.advertiseHost;
  if (advertised !== undefined && (typeof advertised !== 'string' || advertised === '' || isWildcard(advertised))) {
    throw new InvalidOptionError(`advertiseHost must be a host other peers can dial (not a wildcard); received ${JSON.stringify(advertised)}`);
  }
  if (advertised === undefined && isWildcard(host)) {
    throw new ConfigError(
      `listening on ${JSON.stringify(host)} (every interface) needs advertiseHost: the host other peers should dial`,
    );
  }
  const advertiseHost = advertised ?? host;
  const token = options.token;
  if (token !== undefined) {
    if (typeof token !== 'string' || token === '') {
      throw new InvalidOptionError('token must be a non-empty string');
    }
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
      throw new OptionRangeError(`token must be at most ${MAX_TOKEN_BYTES} bytes`);
    }
  }
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null)) {
    throw new InvalidOptionError(`tls must be an object of TLS options; received ${describe(options.tls)}`);
  }
  // Anyone who can reach a non-loopback port could talk to us: require
  // proof of who they are (R20).
  if (!isLoopback(host) && token === undefined && options.tls === undefined) {
    throw new ConfigError(
      `listening on ${JSON.stringify(host)} would accept connections from other hosts; set a token or tls to do that`,
    );
  }
  // Publishing an address other hosts can dial lets anyone who can write
  // to the directory redirect this id: only with proof of who dials.
  if (!isLoopback(advertiseHost) && token === undefined && options.tls === undefined) {
    throw new ConfigError(
      `advertising ${JSON.stringify(advertiseHost)} would let other hosts dial this client; set a token or tls to do that`,
    );
  }
  if (options.peers !== undefined && (typeof options.peers !== 'object' || options.peers === null || Array.isArray(options.peers))) {
    throw new InvalidOptionError(`peers must be an object mapping ids to "host:port"; received ${describe(options.peers)}`);
  }
  const peers = new Map<string, TcpAddress>();
  for (const [id, address] of Object.entries(options.peers ?? {})) {
    validatePeerId(id);
    peers.set(id, parseHostPort(id, address));
  }
  return {
    host,
    advertiseHost,
    port,
    peers,
    token,
    tls: options.tls,
    keepAliveMs: checkIntegerOption('keepAliveMs', options.keepAliveMs, 10_000, 1, MAX_KEEP_ALIVE_MS),
    connectTimeoutMs: checkIntegerOption('connectTimeoutMs', options.connectTimeoutMs, 10_000, 1, MAX_TIMER_MS),
  };
}

/** True for the hosts that bind every interface: nobody can dial them. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '0' || host === '::ffff:0.0.0.0' || /^(0{0,4}:){2,7}0{0,4}$/.test(host);
}

function parseHostPort(id: string, text: unknown): TcpAddress {
  const match = typeof text === 'string' ? /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text) : null;
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new InvalidOptionError(`peers[${JSON.stringify(id)}] must be "host:port" (or "[v6]:port"); received ${JSON.stringify(text)}`);
  }
  return { transport: 'tcp', host: (match[1] ?? match[2]) as string, port };
}

/**
 * The longest keep-alive idle time Linux takes (TCP_KEEPIDLE, 32,767 s);
 * beyond it the kernel refuses the setting and Node ignores the refusal, so
 * the socket would silently have no keep-alive.
 */
const MAX_KEEP_ALIVE_MS = 32_767_000;
