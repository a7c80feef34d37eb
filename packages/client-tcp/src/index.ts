export { TcpClient } from './tcp-client.js';
export type { TcpClientOptions, TcpTlsOptions } from './options.js';
export { TcpTransport } from './tcp-transport.js';
export { isLoopback, MAX_TOKEN_BYTES } from './tcp-settings.js';
export type { TcpSettings } from './tcp-settings.js';
// What a user of this package needs from client-core, so one install and one
// import are enough.
export {
  spawnRoute,
  removeRoute,
  IpcmError,
  FrameTooLargeError,
  TruncatedFrameError,
  BadJsonError,
  BadMessageError,
  BadHelloError,
  HelloTimeoutError,
  ProtocolError,
  InvalidIdError,
  IdInUseError,
  RouteError,
  UnknownPeerError,
  PeerNotListeningError,
  WrongTransportError,
  ConnectError,
  ConnectionClosedError,
  BackpressureError,
  ClientClosedError,
  AuthError,
  ConfigError,
} from '@ipcm/client-core';
export type {
  Message,
  ClientOptions,
  ClientEvents,
  ConnectEvent,
  DisconnectEvent,
  BroadcastResult,
  ClientStats,
  Serializer,
  Clock,
  IpcmErrorCode,
} from '@ipcm/client-core';
