import { BadContentError } from './errors.js';

/**
 * What goes on the wire as a message's content, or a {@link ContentProblem}
 * saying why nothing can. Only the top level is looked at, so the check
 * costs the same for any content: IPC::Manager requires a defined
 * `content`, and a function, a symbol or `undefined` there would make the
 * JSON serializer leave the key out (the receiver would drop the message).
 * Nested values follow JSON: functions, symbols and `undefined` inside
 * objects are left out and become `null` in arrays, as `JSON.stringify`
 * does; BigInts and circular references anywhere are refused by the
 * serializer.
 *
 * With the JSON serializer (`json`), an object's `toJSON()` is what goes on
 * the wire, so it is called here, once, and its result is checked and sent
 * instead (an invalid `Date` gives `null`).
 */
export function wireContent(content: unknown, json: boolean): unknown {
  if (json && typeof content === 'object' && content !== null && typeof (content as { toJSON?: unknown }).toJSON === 'function') {
    const value = (content as { toJSON(key: string): unknown }).toJSON('content');
    if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') {
      return new ContentProblem(`content's toJSON() returned ${describeKind(value)}, which has no JSON form as content`);
    }
    return value;
  }
  if (content === null) return new ContentProblem('content is null (an IPC::Manager peer refuses a message whose content is not defined)');
  if (content === undefined || typeof content === 'function' || typeof content === 'symbol') {
    return new ContentProblem(`content is ${describeKind(content)}, which has no JSON form`);
  }
  return content;
}

/** Why content cannot be sent, as {@link wireContent} returns it. */
export class ContentProblem {
  constructor(readonly problem: string) {}
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
