import { createHash } from 'node:crypto';
import { InvalidIdError, RouteError } from './errors.js';

/**
 * The longest route-directory path, in bytes, that a peer's socket may have:
 * `Buffer.byteLength(routeDir + '/' + name)`. 104 is IPC::Manager's budget
 * (the smallest `sun_path` among the systems it supports, macOS and the BSDs);
 * Linux would allow 107, but both implementations must derive the same name
 * from the same id, so we keep the common budget.
 */
export const SOCKET_PATH_BUDGET = 104;

/** The prefix of a hashed entry name; an id beginning with it is always hashed. */
export const HASHED_NAME_PREFIX = 'h-';

/** Hex digits of sha256(id) kept in a hashed entry name. */
const HASHED_DIGITS = 40;

const HASHED_NAME = /^h-[0-9a-f]{40}$/;

// C0 controls and DEL: a NUL would truncate the socket path (a leading NUL
// even makes an abstract socket, outside any directory and its permissions);
// the others make names that terminals and tools mangle.
const CONTROL = /[\u0000-\u001f\u007f]/;

// A lone surrogate has no UTF-8 encoding: Node writes U+FFFD instead, so two
// different ids would share one file (and one hash).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// Names next to an entry D are D.pid, D.name and D.stats; an id that is
// itself such a name would collide with another peer's files (the id
// `a.pid` with the lock of `a`), and listings skip these names.
const COMPANION_SUFFIX = /\.(?:pid|name|stats)$/;

/**
 * Checks what every peer id must satisfy, wherever it is used: a non-empty
 * string of well-formed Unicode that does not start with `_` (names starting
 * with `_` are reserved for the route directory's own temporary files).
 *
 * @throws {InvalidIdError} when `id` is not acceptable.
 * @example
 * assertPeerId('worker-1'); // ok
 * assertPeerId('_tmp');     // throws InvalidIdError
 */
export function assertPeerId(id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new InvalidIdError(`peer id must be a string, received ${typeof id}`);
  }
  if (id.length === 0) throw new InvalidIdError('peer id must not be empty');
  if (id.startsWith('_')) {
    throw new InvalidIdError(`peer id must not start with "_": ${JSON.stringify(id)}`);
  }
  if (LONE_SURROGATE.test(id)) {
    throw new InvalidIdError(`peer id is not well-formed Unicode (lone surrogate): ${JSON.stringify(id)}`);
  }
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
  if (Buffer.byteLength(`${routeDir}/${id}`) > SOCKET_PATH_BUDGET) {
    return `the path would exceed the ${SOCKET_PATH_BUDGET}-byte socket path budget`;
  }
  return undefined;
}

/**
 * The on-disk entry name D of peer `id` in route directory `routeDir`: the id
 * itself, or {@link hashedEntryName} of it when the id is too long for the
 * socket path budget (`Buffer.byteLength(routeDir + '/' + id) > 104`), holds a
 * control character (U+0000-U+001F, U+007F), `/` or `\`, starts with `h-`, is
 * `.` or `..`, or ends in `.pid`, `.name` or `.stats`. The first four rules
 * are IPC::Manager's; the last two are ours and keep every id inside the
 * directory and clear of other peers' companion files.
 *
 * `routeDir` is used as spelled: pass the same (absolute, normalized) path
 * every peer uses, since the length rule depends on it.
 *
 * @throws {InvalidIdError} when `id` is not a valid peer id ({@link assertPeerId}).
 * @throws {RouteError} when even the hashed name does not fit the budget
 *   (the route directory's own path is too long).
 * @example
 * entryNameFor('/tmp/ipcm-a1b2c3', 'worker-1'); // 'worker-1'
 * entryNameFor('/tmp/ipcm-a1b2c3', '../etc');   // 'h-…' (40 hex digits)
 */
export function entryNameFor(routeDir: string, id: string): string {
  assertPeerId(id);
  if (hashReason(routeDir, id) === undefined) return id;
  const hashed = hashedEntryName(id);
  assertFitsBudget(routeDir, hashed);
  return hashed;
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
  const full = `${routeDir}/${name}`;
  const bytes = Buffer.byteLength(full);
  if (bytes > SOCKET_PATH_BUDGET) {
    throw new RouteError(
      `route directory path is too long for sockets: ${JSON.stringify(full)} is ${bytes} bytes, ` +
        `over the ${SOCKET_PATH_BUDGET}-byte socket path budget; use a route directory of at most ` +
        `${SOCKET_PATH_BUDGET - 1 - name.length} bytes`,
    );
  }
}
