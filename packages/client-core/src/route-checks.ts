/*
 * Checks on values handed to the route directory or read back from its files,
 * with messages that show the value received.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function assertCounts(option: string, counts: unknown): asserts counts is Record<string, number> {
  if (!isPlainObject(counts)) throw new TypeError(`${option} must be an object, received ${safeJson(counts)}`);
  for (const [peer, n] of Object.entries(counts)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new TypeError(`${option}[${JSON.stringify(peer)}] must be a non-negative integer, received ${safeJson(n)}`);
    }
  }
}

/** Copies counts into a prototype-less object, so an id like `__proto__` is just a key. */
export function countsFrom(counts: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [peer, n] of Object.entries(counts)) {
    if (typeof n === 'number') out[peer] = n;
  }
  return out;
}
