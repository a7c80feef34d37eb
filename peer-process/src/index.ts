export { PeerProcess, type PeerClosed, type PeerExit, type PeerProcessOptions, type WaitOptions } from './parent.js';
export { runPeer, type CommandHandlers, type PeerBehaviour, type PeerChannel, type PeerDefinition } from './child.js';
export type { ArgsOf, CommandName, EventOf, PeerProtocol, ReplyOf, UntypedProtocol } from './protocol.js';
export {
  PeerCommandError,
  PeerExitedError,
  PeerFailedError,
  PeerProcessError,
  PeerStartError,
  PeerTimeoutError,
  type PeerProcessErrorCode,
} from './errors.js';
export { compiledEntry } from './entry.js';
export { realTimers, type Timers } from './timers.js';
export type { WireError } from './wire.js';
