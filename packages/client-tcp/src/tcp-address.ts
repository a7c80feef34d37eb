/*
 * What a TCP peer publishes in its directory, and the one rule that says
 * whether an address found there is one TCP can dial. client-core stores
 * any address with a `transport`; this is TCP's half (its transport's
 * `canDial`).
 */
import type { RouteAddress } from '@ipcm/client-core';

/** The address of a peer listening on TCP, as published in its directory. */
export interface TcpAddress extends RouteAddress {
  readonly transport: 'tcp';
  readonly host: string;
  readonly port: number;
}

/**
 * True when `address` is a well-formed {@link TcpAddress}: transport
 * `'tcp'`, a non-empty string host and an integer port in 1-65535.
 *
 * @example
 * isTcpAddress({ transport: 'tcp', host: '127.0.0.1', port: 4000 }); // true
 * isTcpAddress({ transport: 'tcp', host: '127.0.0.1', port: 0 });    // false
 */
export function isTcpAddress(address: RouteAddress): address is TcpAddress {
  const { host, port } = address;
  return (
    address.transport === 'tcp' &&
    typeof host === 'string' &&
    host !== '' &&
    typeof port === 'number' &&
    Number.isInteger(port) &&
    port > 0 &&
    port < 65536
  );
}
