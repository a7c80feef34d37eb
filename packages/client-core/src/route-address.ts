/*
 * The address file format: one line of JSON whose `transport` names the
 * transport that can reach the peer (`{"transport":"tcp",...}`). Only the
 * shape every transport shares is checked here; whether the other keys make
 * an address a transport can dial is that transport's `canDial`.
 */
import { isPlainObject, safeJson } from './route-checks.js';
import type { RouteAddress } from './route-types.js';

/**
 * Parses the content of an address entry; `undefined` when it is not one
 * (not JSON, or not an object with a non-empty string `transport`).
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
  return isRouteAddress(value) ? value : undefined;
}

/** Throws a TypeError showing `address` unless it is a {@link RouteAddress}. */
export function assertRouteAddress(address: unknown): asserts address is RouteAddress {
  if (!isRouteAddress(address)) {
    throw new TypeError(`address must be an object with a non-empty string "transport", received ${safeJson(address)}`);
  }
}

function isRouteAddress(value: unknown): value is RouteAddress {
  return isPlainObject(value) && typeof value['transport'] === 'string' && value['transport'] !== '';
}
