export { UnixClient } from './unix-client.js';
export type { UnixClientOptions } from './unix-client.js';
export { UnixTransport } from './unix-transport.js';
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
