/*
 * The one peer-id rule: what an id may be, wherever it appears (our own id,
 * a hello, a message's `from`, the id we dial, the id we claim or name on
 * disk). It accepts what IPC::Manager accepts and refuses only what can never
 * be made safe; ids that are awkward as file names (control characters, `/`,
 * `\`, `..`, too long) are valid and are hashed on disk by peer-name.ts.
 */
import { InvalidIdError } from './errors.js';

/** Longest peer id accepted, in bytes of UTF-8. */
export const MAX_PEER_ID_BYTES = 1024;

// With the `u` flag, [\ud800-\udfff] matches only lone surrogates: a pair is
// one code point. A lone surrogate has no UTF-8 form (Node would write
// U+FFFD), so two different ids would share one name, one hash and one hello.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

function show(id: string): string {
  const json = JSON.stringify(id);
  return json.length > 64 ? `${json.slice(0, 61)}...` : json;
}

/**
 * Checks a peer id: a non-empty string of at most {@link MAX_PEER_ID_BYTES}
 * bytes of UTF-8, well-formed UTF-16 (no lone surrogates), not starting with
 * `_` (IPC::Manager reserves it; our temporary files in the route directory
 * use it). Everything else is accepted, as IPC::Manager accepts it: control
 * characters, `/`, `\`, `.`, `..`; the route directory stores such ids under a
 * hashed name ({@link entryNameFor}), so no id reaches a path unhashed unless
 * it is safe as a file name.
 *
 * @returns the id, typed as a string.
 * @throws {@link InvalidIdError} naming the rule broken.
 * @example
 * ```ts
 * validatePeerId('worker-1');   // 'worker-1'
 * validatePeerId('tab\there');  // 'tab\there' (hashed on disk)
 * validatePeerId('_tmp');       // throws InvalidIdError
 * ```
 */
export function validatePeerId(id: unknown): string {
  const problem = peerIdProblem(id);
  if (problem !== undefined) throw new InvalidIdError(typeof id === 'string' && id !== '' ? `${problem}: ${show(id)}` : problem);
  return id as string;
}

/**
 * The rule `id` breaks, in words that never quote it (a peer's bytes stay
 * out of errors built from it, R39), or `undefined` for a valid id.
 */
export function peerIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') {
    const what = id === null ? 'null' : Array.isArray(id) ? 'an array' : `a ${typeof id}`;
    return `peer id must be a string, got ${what}`;
  }
  if (id.length === 0) return 'peer id is empty';
  // Checked before scanning: a UTF-16 length over the limit is over it in UTF-8 too.
  if (id.length > MAX_PEER_ID_BYTES || Buffer.byteLength(id, 'utf8') > MAX_PEER_ID_BYTES) {
    return `peer id is longer than ${MAX_PEER_ID_BYTES} bytes of UTF-8`;
  }
  const bad = LONE_SURROGATE.exec(id);
  if (bad !== null) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase();
    return `peer id is not well-formed Unicode (lone surrogate U+${code} at index ${bad.index})`;
  }
  if (id.startsWith('_')) return 'peer id may not start with "_" (reserved)';
  return undefined;
}
