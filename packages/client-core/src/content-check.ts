import { BadContentError } from './errors.js';

/**
 * What is wrong with `content` as a message's content, or `undefined` when
 * nothing is. Only the top level is looked at, so the check costs the same
 * for any content: IPC::Manager requires a defined `content`, and a
 * function, a symbol or `undefined` there would make the JSON serializer
 * leave the key out (the receiver would drop the message). Nested values
 * follow JSON: functions, symbols and `undefined` inside objects are left
 * out and become `null` in arrays, as `JSON.stringify` does; BigInts and
 * circular references anywhere are refused by the serializer.
 *
 * With the JSON serializer (`json`), an object's `toJSON()` is what goes on
 * the wire, so its result is checked instead (an invalid `Date` gives `null`).
 */
export function contentProblem(content: unknown, json: boolean): string | undefined {
  let value = content;
  if (json && typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(key: string): unknown }).toJSON('content');
    if (value === null || typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol') {
      return `content's toJSON() returned ${describeKind(value)}, which has no JSON form as content`;
    }
    return undefined;
  }
  if (value === null) return 'content is null (an IPC::Manager peer refuses a message whose content is not defined)';
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    return `content is ${describeKind(value)}, which has no JSON form`;
  }
  return undefined;
}

/** What a serializer's (or a `toJSON()`'s) throw means for the content. */
export function encodingProblem(cause: unknown, json: boolean): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  return json ? `content has no JSON form (${why})` : `the serializer failed (${why})`;
}

/** The error for content that cannot be sent as `subject` (e.g. `a message to "bob"`). */
export function badContent(subject: string, problem: string, cause?: unknown): BadContentError {
  return new BadContentError(`cannot send ${subject}: ${problem}`, cause === undefined ? undefined : { cause });
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return `a ${typeof value}`;
}
