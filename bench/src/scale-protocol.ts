/**
 * A peer host (`scale-host.ts`) seen from the measuring process, as a
 * protocol of the shared peer-process harness.
 */
export type ScaleHostPeer = {
  readonly settings: null;
  readonly ready: null;
  readonly commands: {
    /**
     * Start one @ipcm UnixClient per id in the route directory `route`, and
     * one bare `net` server per id at `<bareDir>/<index>`; every peer answers
     * each message with an ack. Replies with the bare servers' paths.
     */
    readonly host: {
      readonly args: { readonly route: string; readonly bareDir: string; readonly ids: readonly string[]; readonly first: number };
      readonly reply: { readonly barePaths: readonly string[] };
    };
    /** Close every client and server of the last `host`. */
    readonly unhost: { readonly args: null; readonly reply: void };
  };
  readonly event: never;
  readonly closed: void;
};
