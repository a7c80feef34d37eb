// The contents of the @ipcm messages exchanged in the demo.

export type DemoContent =
  | { readonly kind: 'ping'; readonly n: number }
  | { readonly kind: 'pong'; readonly n: number }
  | { readonly kind: 'news'; readonly n: number }
  | { readonly kind: 'ack'; readonly n: number }
  | { readonly kind: 'hi' }
  | { readonly kind: 'welcome' };

export type ContentKind = DemoContent['kind'];

/** True when a message's content is of this kind (contents arrive as `unknown`). */
export function isContent<K extends ContentKind>(value: unknown, kind: K): value is Extract<DemoContent, { kind: K }> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === kind;
}
