import { createHash } from 'node:crypto';
import { RouteError } from './errors.js';
import { validatePeerId } from './peer-id.js';

/**
 * The socket path budget, in bytes, counted as IPC::Manager counts it: a name
 * D fits in route directory R when `bytes(R) + 1 + bytes(D) + 1 <= 104` (the
 * `/` and the terminating NUL count), so the path itself is at most 103
 * bytes. 104 is the smallest `sun_path` among the systems IPC::Manager
 * supports (macOS and the BSDs); Linux would allow 108, but both
 * implementations must derive the same name from the same id, so we keep
 * Perl's budget to the byte.
 */
export const SOCKET_PATH_BUDGET = 104;

/** The prefix of a hashed entry name; an id beginning with it is always hashed. */
export const HASHED_NAME_PREFIX = 'h-';

/** Hex digits of sha256(id) kept in a hashed entry name. */
const HASHED_DIGITS = 40;

const HASHED_NAME = /^h-[0-9a-f]{40}$/;

// C0 controls, as IPC::Manager tests them (DEL is not among them: Perl keeps
// an id with DEL plain, and so must we, or neither side could dial the
// other; DEL is harmless in a file name). A NUL would truncate the socket
// path (a leading NUL even makes an abstract socket, outside any directory
// and its permissions); the others make names that terminals and tools mangle.
const CONTROL = /[\u0000-\u001f]/;

// Names next to an entry D are D.pid, D.name and D.stats; an id that is
// itself such a name would collide with another peer's files (the id
// `a.pid` with the lock of `a`), and listings skip these names.
const COMPANION_SUFFIX = /\.(?:pid|name|stats)$/;

/** Whether `name` fits in `routeDir` under the {@link SOCKET_PATH_BUDGET} (NUL included). */
function fitsBudget(routeDir: string, name: string): boolean {
  return Buffer.byteLength(routeDir) + 1 + Buffer.byteLength(name) + 1 <= SOCKET_PATH_BUDGET;
}

/**
 * The hashed entry name of `id`: `h-` followed by the first 40 hex digits of
 * the SHA-256 of its UTF-8 bytes. Does not validate `id`.
 *
 * @example
 * hashedEntryName('x'.repeat(200)); // 'h-' + 40 hex digits
 */
export function hashedEntryName(id: string): string {
  return HASHED_NAME_PREFIX + createHash('sha256').update(id, 'utf8').digest('hex').slice(0, HASHED_DIGITS);
}

/** True for a name of the form `hashedEntryName` produces. */
export function isHashedEntryName(name: string): boolean {
  return HASHED_NAME.test(name);
}

/**
 * Whether `id` must be stored under a hashed name rather than as itself,
 * and why (for messages and tests); `undefined` when the id is used as is.
 */
export function hashReason(routeDir: string, id: string): string | undefined {
  if (CONTROL.test(id)) return 'it contains a control character';
  if (id.includes('/') || id.includes('\\')) return 'it contains a path separator';
  if (id === '.' || id === '..') return 'it is a directory name';
  if (id.startsWith(HASHED_NAME_PREFIX)) return `it starts with "${HASHED_NAME_PREFIX}"`;
  if (COMPANION_SUFFIX.test(id)) return 'it ends like a companion file (.pid, .name, .stats)';
  if (!fitsBudget(routeDir, id)) {
    return `the path would exceed the ${SOCKET_PATH_BUDGET}-byte socket path budget (NUL included)`;
  }
  return undefined;
}

/**
 * The on-disk entry name D of peer `id` in route directory `routeDir`: the id
 * itself, or {@link hashedEntryName} of it when the id is too long for the
 * socket path budget (`bytes(routeDir) + 1 + bytes(id) + 1 > 104`, the `/`
 * and the NUL counted), holds a C0 control character (U+0000-U+001F), `/` or
 * `\`, starts with `h-`, is `.` or `..`, or ends in `.pid`, `.name` or
 * `.stats`. The first four rules are IPC::Manager's, to the byte; the last
 * two are ours (Perl keeps such ids plain) and keep every id inside the
 * directory and clear of other peers' companion files.
 *
 * `routeDir` is used as spelled: pass the same (absolute, normalized) path
 * every peer uses, since the length rule depends on it.
 *
 * @throws {InvalidIdError} when `id` is not a valid peer id ({@link validatePeerId}).
 * @throws {RouteError} when even the hashed name does not fit the budget
 *   (the route directory's own path is too long).
 * @example
 * entryNameFor('/tmp/ipcm-a1b2c3', 'worker-1'); // 'worker-1'
 * entryNameFor('/tmp/ipcm-a1b2c3', '../etc');   // 'h-…' (40 hex digits)
 */
export function entryNameFor(routeDir: string, id: string): string {
  validatePeerId(id);
  if (hashReason(routeDir, id) === undefined) return id;
  const hashed = hashedEntryName(id);
  assertFitsBudget(routeDir, hashed);
  return hashed;
}

/**
 * Whether `name`, found in `routeDir`, can be an entry D: not a companion
 * (`.pid`, `.name`, `.stats`), not one of our own `_` files, and the name
 * {@link entryNameFor} gives its id (so a plain name that should have been
 * hashed is not one).
 */
export function isEntryName(routeDir: string, name: string): boolean {
  if (name.startsWith('_') || COMPANION_SUFFIX.test(name)) return false;
  if (name.startsWith(HASHED_NAME_PREFIX)) return isHashedEntryName(name);
  try {
    return entryNameFor(routeDir, name) === name;
  } catch {
    return false;
  }
}

/**
 * Throws unless a hashed entry name fits in `routeDir`, that is unless the
 * directory can hold sockets at all.
 *
 * @throws {RouteError} naming the path and the budget.
 */
export function assertRouteFitsBudget(routeDir: string): void {
  assertFitsBudget(routeDir, HASHED_NAME_PREFIX + '0'.repeat(HASHED_DIGITS));
}

function assertFitsBudget(routeDir: string, name: string): void {
  if (fitsBudget(routeDir, name)) return;
  const full = `${routeDir}/${name}`;
  const bytes = Buffer.byteLength(full) + 1;
  throw new RouteError(
    `route directory path is too long for sockets: ${JSON.stringify(full)} is ${bytes} bytes with its NUL, ` +
      `over the ${SOCKET_PATH_BUDGET}-byte socket path budget; use a route directory of at most ` +
      `${SOCKET_PATH_BUDGET - 2 - name.length} bytes`,
  );
}
