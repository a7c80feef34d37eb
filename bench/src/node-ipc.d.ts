// The part of @achrinza/node-ipc (10.1.x, which ships no types) that the
// benchmark uses. Its CommonJS build exports `IPCModule` (the class) and
// `default` (a shared instance); each endpoint makes its own instance.
declare module '@achrinza/node-ipc' {
  import type { Server, Socket } from 'node:net';

  interface NodeIpcConfig {
    id: string;
    silent: boolean;
    rawBuffer: boolean;
    /** Reconnect attempts after a close; `0` with `stopRetrying` means none. */
    maxRetries: number;
    stopRetrying: boolean;
    retry: number;
    maxConnections: number;
  }

  /** A connection made by `connectTo` / `connectToNet` (`ipc.of[id]`). */
  interface NodeIpcClient {
    on(event: string, listener: (data: unknown) => void): void;
    emit(event: string, data: unknown): void;
    socket: Socket | false;
  }

  /** The server made by `serve` / `serveNet` (`ipc.server`). */
  interface NodeIpcServer {
    on(event: 'start', listener: () => void): void;
    on(event: string, listener: (data: unknown, socket: Socket) => void): void;
    emit(socket: Socket, event: string, data: unknown): void;
    start(): void;
    stop(): void;
    sockets: Socket[];
    server: Server | false;
  }

  export class IPCModule {
    config: NodeIpcConfig;
    of: Record<string, NodeIpcClient | undefined>;
    server: NodeIpcServer | false;
    serve(path: string, callback?: () => void): void;
    serveNet(host: string, port: number, callback?: () => void): void;
    connectTo(id: string, path: string, callback?: () => void): void;
    connectToNet(id: string, host: string, port: number, callback?: () => void): void;
    disconnect(id: string): void;
  }
}
