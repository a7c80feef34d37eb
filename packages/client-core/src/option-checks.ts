import { InvalidOptionError, OptionRangeError } from './errors.js';

/**
 * Checks an integer option: `fallback` when undefined, else a number from
 * `min` to `max`. Errors name the option and the value received: an
 * {@link InvalidOptionError} (a `TypeError`) for a wrong type, an
 * {@link OptionRangeError} (a `RangeError`) for a value out of range, both
 * with code `ERR_IPCM_INVALID_OPTION`. For transports' own options too.
 */
export function checkIntegerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new InvalidOptionError(`${name} must be a number; received ${describeValue(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new OptionRangeError(`${name} must be an integer from ${min} to ${max}; received ${describeValue(value)}`);
  }
  return value;
}

/**
 * Refuses an options object with a key that is not in `known` (a typo such
 * as `maxConections` would otherwise be silently ignored), naming the
 * closest known option. `what` says whose options they are, for the message.
 *
 * @throws {@link InvalidOptionError} (`ERR_IPCM_INVALID_OPTION`) for the first unknown key.
 * @example
 * ```ts
 * checkOptionNames(options, ['host', 'port'], 'TcpTransport options');
 * ```
 */
export function checkOptionNames(options: object, known: Iterable<string>, what = 'options'): void {
  const names = new Set(known);
  for (const key of Object.keys(options)) {
    if (names.has(key)) continue;
    const closest = closestName(key, names);
    throw new InvalidOptionError(
      `unknown option ${JSON.stringify(key)} in ${what}; did you mean ${JSON.stringify(closest)}? (known: ${[...names].join(', ')})`,
    );
  }
}

/** The known name nearest to `name` (fewest edits, case ignored; ties: first listed). */
function closestName(name: string, known: ReadonlySet<string>): string {
  let best = '';
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions), in O(a × b) time and O(b) space. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** A received value as an error message shows it (never call it on a secret). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}
