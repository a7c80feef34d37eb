import type { WireError } from './wire.js';

/** The codes of {@link PeerProcessError}. */
export type PeerProcessErrorCode =
  | 'ERR_IPCM_PEER_START'
  | 'ERR_IPCM_PEER_EXITED'
  | 'ERR_IPCM_PEER_TIMEOUT'
  | 'ERR_IPCM_PEER_FAILED'
  | 'ERR_IPCM_PEER_COMMAND';

/** What went wrong with a peer process, seen from its parent. One subclass per code. */
export class PeerProcessError extends Error {
  readonly code: PeerProcessErrorCode;
  /** The child's own error (its `code` when it had one), for failures that happened there. */
  readonly remote: WireError | undefined;

  constructor(code: PeerProcessErrorCode, message: string, remote?: WireError) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.remote = remote;
  }
}

/** `ERR_IPCM_PEER_START`: the peer's start-up threw in the child (`remote` says what); the process exits. */
export class PeerStartError extends PeerProcessError {
  declare readonly code: 'ERR_IPCM_PEER_START';
  declare readonly remote: WireError;
  constructor(name: string, remote: WireError) {
    super('ERR_IPCM_PEER_START', `${name} could not start: ${remote.code === undefined ? remote.message : `${remote.code}: ${remote.message}`}`, remote);
  }
}

/** `ERR_IPCM_PEER_EXITED`: the process exited (or its channel closed) before what was awaited came. */
export class PeerExitedError extends PeerProcessError {
  declare readonly code: 'ERR_IPCM_PEER_EXITED';
  constructor(message: string) {
    super('ERR_IPCM_PEER_EXITED', message);
  }
}

/** `ERR_IPCM_PEER_TIMEOUT`: nothing came within the time allowed (a start, a reply, a report, an exit). */
export class PeerTimeoutError extends PeerProcessError {
  declare readonly code: 'ERR_IPCM_PEER_TIMEOUT';
  constructor(message: string) {
    super('ERR_IPCM_PEER_TIMEOUT', message);
  }
}

/** `ERR_IPCM_PEER_FAILED`: the child reported a failure outside any command; every wait fails from then on. */
export class PeerFailedError extends PeerProcessError {
  declare readonly code: 'ERR_IPCM_PEER_FAILED';
  constructor(message: string, remote?: WireError) {
    super('ERR_IPCM_PEER_FAILED', message, remote);
  }
}

/** `ERR_IPCM_PEER_COMMAND`: a command's handler threw (or there is no handler); `remote` is its error. */
export class PeerCommandError extends PeerProcessError {
  declare readonly code: 'ERR_IPCM_PEER_COMMAND';
  declare readonly remote: WireError;
  constructor(name: string, cmd: string, remote: WireError) {
    super('ERR_IPCM_PEER_COMMAND', `${name} ${cmd}: ${remote.code === undefined ? remote.message : `${remote.code}: ${remote.message}`}`, remote);
  }
}
