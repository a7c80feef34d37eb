/*
 * What is at a route entry's path D: nothing, a socket, our marker or
 * address file, or something that is not a route entry (left alone, R17).
 */
import { promises as fsp } from 'node:fs';
import { RouteError } from './errors.js';
import { parseRouteAddress } from './route-address.js';
import { describeType, errnoCode, readSmall } from './route-fs.js';
import type { RouteAddress } from './route-types.js';

/** What lstat and a look inside tell about the path D. */
export type Endpoint =
  | { readonly type: 'missing' }
  | { readonly type: 'socket' }
  | { readonly type: 'marker' }
  | { readonly type: 'address'; readonly address: RouteAddress }
  | { readonly type: 'foreign'; readonly what: string };

/** lstat `file` and, for a regular file, look inside (never following a symlink). */
export async function inspectEndpoint(file: string): Promise<Endpoint> {
  let stat;
  try {
    stat = await fsp.lstat(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { type: 'missing' };
    throw err;
  }
  if (stat.isSocket()) return { type: 'socket' };
  if (!stat.isFile()) return { type: 'foreign', what: describeType(stat) };
  let read;
  try {
    read = await readSmall(file);
  } catch (err) {
    if (err instanceof RouteError) return { type: 'foreign', what: 'not a route entry' };
    throw err;
  }
  if (read === undefined) return { type: 'missing' };
  if (read.text.length === 0) return { type: 'marker' };
  const address = parseRouteAddress(read.text);
  if (address !== undefined) return { type: 'address', address };
  return { type: 'foreign', what: 'a regular file that is not a route entry' };
}
