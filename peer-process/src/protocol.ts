/**
 * What one kind of peer process and its parent say to each other, as types:
 * the settings it is forked with, what its ready handshake carries, its
 * commands (arguments and reply), the events it reports unasked, and what
 * its close returns. Both sides are typed by the same protocol, so a
 * command table that drifts from its callers does not compile.
 *
 * @example
 * ```ts
 * type EchoPeer = {
 *   settings: { id: string };
 *   ready: { address: string };
 *   commands: { echo: { args: { text: string }; reply: string } };
 *   event: { type: 'heard'; from: string };
 *   closed: { sent: number };
 * };
 * ```
 */
export interface PeerProtocol {
  readonly settings: unknown;
  readonly ready: unknown;
  readonly commands: { readonly [cmd: string]: { readonly args: unknown; readonly reply: unknown } };
  readonly event: { readonly type: string };
  readonly closed: unknown;
}

/** A protocol that says nothing about its messages (for plain-JavaScript peers). */
export interface UntypedProtocol extends PeerProtocol {
  readonly settings: unknown;
  readonly ready: unknown;
  readonly commands: { readonly [cmd: string]: { readonly args: unknown; readonly reply: unknown } };
  readonly event: { readonly type: string; readonly [key: string]: unknown };
  readonly closed: unknown;
}

/** The command names of a protocol. */
export type CommandName<P extends PeerProtocol> = keyof P['commands'] & string;
/** The arguments of a command. */
export type ArgsOf<P extends PeerProtocol, K extends CommandName<P>> = P['commands'][K]['args'];
/** The reply to a command. */
export type ReplyOf<P extends PeerProtocol, K extends CommandName<P>> = P['commands'][K]['reply'];
/** The event of a protocol with this `type`. */
export type EventOf<P extends PeerProtocol, T extends P['event']['type']> = Extract<P['event'], { readonly type: T }>;
