/**
 * Checks an integer option: `fallback` when undefined, else a number from
 * `min` to `max`. Errors name the option and the value received: a
 * `TypeError` for a wrong type, a `RangeError` for a value out of range.
 * For transports' own options too.
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
    throw new TypeError(`${name} must be a number; received ${describeValue(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}; received ${describeValue(value)}`);
  }
  return value;
}

/** A received value as an error message shows it (never call it on a secret). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value);
}
