export {
  IpcmError,
  FrameTooLargeError,
  FrameTimeoutError,
  TruncatedFrameError,
  BadJsonError,
  BadMessageError,
  BadContentError,
  BadHelloError,
  HelloTimeoutError,
  ProtocolError,
  InvalidIdError,
  IdInUseError,
  RouteError,
  UnknownPeerError,
  PeerNotListeningError,
  WrongTransportError,
  WaitTimeoutError,
  ConnectError,
  ConnectionClosedError,
  BackpressureError,
  SendAbortedError,
  SendTimeoutError,
  ClientClosedError,
  AuthError,
  ConfigError,
  IllegalConstructorError,
  InvalidOptionError,
  OptionRangeError,
  IPCM_ERROR_CODES,
} from './errors.js';
export type { IpcmErrorCode } from './errors.js';
export { FrameDecoder, DEFAULT_MAX_FRAME_BYTES } from './frame-decoder.js';
export type { FrameDecoderOptions, FrameHandler } from './frame-decoder.js';
export { encodeFrame, FRAME_HEADER_BYTES, MAX_FRAME_PAYLOAD_BYTES } from './frame-encoder.js';
export { jsonSerializer, encodeValueFrame } from './serializer.js';
export type { Serializer } from './serializer.js';
export {
  createMessage,
  validateMessage,
  decodeMessage,
  validatePeerId,
  encodeHello,
  decodeHello,
  MAX_PEER_ID_BYTES,
} from './message.js';
export type { Message, MessageInit, MessageClock, ValidateMessageOptions, DecodeMessageOptions, Hello } from './message.js';
export { RouteDirectory, spawnRoute, removeRoute } from './route-directory.js';
export { parseRouteAddress } from './route-address.js';
export { isLoopback } from './loopback.js';
export type {
  EntryKind,
  Liveness,
  RouteAddress,
  ProbeTarget,
  EntryProbe,
  PeerEntry,
  PeerStats,
  RouteDirectoryOptions,
  ClaimOptions,
  RouteClaim,
  SpawnRouteOptions,
} from './route-types.js';
export type { Transport, TransportListener, DialTarget, ListeningEntryKind } from './transport.js';
export { whenSocketReady } from './socket-ready.js';
export { realTimers } from './options.js';
export type { ClientOptions, Clock, Timers, SendOptions, CreateOptions } from './options.js';
export { Client } from './client.js';
export type { BroadcastResult, CloseOptions } from './client.js';
export type { WaitForPeerOptions } from './peer-watch.js';
export type { ClientEvents, ConnectEvent, DisconnectEvent, PeerEvent } from './client-events.js';
export type { ClientStats } from './client-stats.js';
export type { Direction } from './peer-connection.js';
export type {
  PeerDirectory,
  PeerLocation,
  Registration,
  RegisterOptions,
  DirectoryEvent,
  WatchOptions,
} from './peer-directory.js';
export {
  DirectoryUnavailableError,
  RequestTimeoutError,
  TooManyRequestsError,
  RemoteError,
  HandlerError,
} from './errors.js';
export {
  isRequestContent,
  isResponseContent,
  requestContent,
  responseContent,
  GENERIC_HANDLER_ERROR,
} from './request-wire.js';
export type { RequestContent, ResponseContent } from './request-wire.js';
export { RequestTable, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_REQUEST_TIMEOUT_MS } from './requests.js';
export type { RequestTableOptions, RequestOptions, RequestStats } from './requests.js';
export { Responder } from './responder.js';
export type { RequestHandler, HandleOptions, ResponderOptions, ResponderStats } from './responder.js';
export { DIAGNOSTICS_CHANNELS } from './diagnostics.js';
export type {
  ConnectDiagnostic,
  DisconnectDiagnostic,
  SendDiagnostic,
  MessageDiagnostic,
  RequestDiagnostic,
  ResponseDiagnostic,
  RequestOutcome,
  ErrorDiagnostic,
  LifecycleEvent,
  LifecycleFields,
} from './diagnostics.js';
export type { PeerTypes, ContentOf, RequestOf, ResponseOf } from './peer-types.js';
export { FsDirectory } from './fs-directory.js';
export type { FsDirectoryOptions } from './fs-directory.js';
export type { FsRegistration } from './fs-registration.js';
export { StaticDirectory } from './static-directory.js';
export { combineDirectories } from './directory-chain.js';
