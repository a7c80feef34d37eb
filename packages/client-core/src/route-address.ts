/*
 * The address file format: one line of JSON whose `transport` names the
 * transport that can reach the peer (`{"transport":"tcp",...}`).
 */
import { isPlainObject, safeJson } from './route-checks.js';
import type { RouteAddress, TcpAddress } from './route-types.js';

/**
 * Parses the content of an address entry; `undefined` when it is not one.
 *
 * @example
 * parseRouteAddress('{"transport":"tcp","host":"127.0.0.1","port":4000}\n');
 */
export function parseRouteAddress(text: string): RouteAddress | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value) || typeof value['transport'] !== 'string' || value['transport'] === '') {
    return undefined;
  }
  if (value['transport'] === 'tcp' && !isTcpAddress(value as RouteAddress)) return undefined;
  return value as RouteAddress;
}

/**
 * True when `address` is a well-formed {@link TcpAddress}: transport `'tcp'`,
 * a non-empty host and an integer port in 1-65535.
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

export function assertRouteAddress(address: unknown): asserts address is RouteAddress {
  if (!isPlainObject(address) || typeof address['transport'] !== 'string' || address['transport'] === '') {
    throw new TypeError(`address must be an object with a non-empty string "transport", received ${safeJson(address)}`);
  }
  if (address['transport'] === 'tcp' && !isTcpAddress(address as RouteAddress)) {
    throw new TypeError(`a tcp address needs a non-empty host and a port in 1-65535, received ${safeJson(address)}`);
  }
}
