import { inspect } from 'node:util';

/**
 * Checks a capacity (`null` or a non-negative safe integer) and returns it
 * with `-0` turned into `0`. `name` is how the user spelled the setting, for
 * the message.
 * @internal
 */
export function checkCapacity(value: unknown, name: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number') {
    throw new TypeError(
      `${name} must be null (unlimited) or a non-negative safe integer; received ${describe(value)}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `${name} must be null (unlimited) or a non-negative safe integer; received ${describe(value)}`,
    );
  }
  return value === 0 ? 0 : value;
}

/** Checks that an optional callback option is a function when given. */
export function checkFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function; received ${describe(value)}`);
  }
}

/** Checks a type argument: the cache tells types from ages and checkers by `typeof`. */
export function checkType(value: unknown, name = 'type'): void {
  if (typeof value !== 'string') {
    throw new TypeError(`${name} must be a string; received ${describe(value)}`);
  }
}

export function describe(value: unknown): string {
  return inspect(value, { depth: 0, breakLength: Infinity });
}
