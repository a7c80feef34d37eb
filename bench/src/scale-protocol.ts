/** Measuring process to a peer host (`scale-host.ts`), over the IPC channel. */
export type HostCommand =
  /**
   * Start one @ipcm UnixClient per id in the route directory `route`, and
   * one bare `net` server per id at `<bareDir>/<index>`; every peer answers
   * each message with an ack.
   */
  | { readonly cmd: 'host'; readonly route: string; readonly bareDir: string; readonly ids: readonly string[]; readonly first: number }
  /** Close every client and server of the last `host`. */
  | { readonly cmd: 'unhost' };

/** Peer host to the measuring process. */
export type HostReport =
  | { readonly type: 'hosted'; readonly barePaths: readonly string[] }
  | { readonly type: 'unhosted' }
  | { readonly type: 'failed'; readonly error: string };
