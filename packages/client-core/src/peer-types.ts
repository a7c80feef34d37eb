/**
 * Declares the types of what peers exchange, for clients and request
 * tables that want them checked: plain message `content`, request values
 * and response values. Every member is optional and defaults to `unknown`.
 *
 * @example
 * ```ts
 * interface Calc extends PeerTypes {
 *   content: { log: string };
 *   request: { op: 'add'; args: [number, number] };
 *   response: number;
 * }
 * const table = new RequestTable<RequestOf<Calc>, ResponseOf<Calc>>({ send });
 * const sum: number = await table.request('calc', { op: 'add', args: [1, 2] });
 * ```
 */
export interface PeerTypes {
  content?: unknown;
  request?: unknown;
  response?: unknown;
}

/** The plain message content type of `T` (`unknown` when not declared). */
export type ContentOf<T extends PeerTypes> = T extends { content: infer C } ? C : unknown;
/** The request value type of `T` (`unknown` when not declared). */
export type RequestOf<T extends PeerTypes> = T extends { request: infer R } ? R : unknown;
/** The response value type of `T` (`unknown` when not declared). */
export type ResponseOf<T extends PeerTypes> = T extends { response: infer R } ? R : unknown;
