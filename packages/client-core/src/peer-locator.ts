import { PeerNotListeningError, UnknownPeerError, WrongTransportError } from './errors.js';
import type { PeerDirectory, PeerLocation } from './peer-directory.js';
import type { DialTarget, Transport } from './transport.js';

// Where a peer is, in the directory's terms, and whether this client's
// transport can reach it: the rules dialling, broadcast, waitForPeer and
// the gone-peer check share.

/**
 * Where to dial `peerId`. A socket transport over a directory that can
 * say where sockets live dials the path at once (no look-up on the first
 * message); everything else asks the directory. `resolved` says whether
 * the directory has been consulted.
 */
export async function dialTargetFor(
  directory: PeerDirectory,
  peerId: string,
  transport: Transport,
): Promise<DialTarget & { resolved: boolean }> {
  if (transport.entryKind === 'socket' && directory.entryPath !== undefined) {
    return { id: peerId, path: directory.entryPath(peerId), resolved: false };
  }
  return { ...(await resolvePeer(directory, peerId, transport)), resolved: true };
}

/** Looks `peerId` up in the directory; throws the coded reason it cannot be dialled. */
export async function resolvePeer(directory: PeerDirectory, peerId: string, transport: Transport): Promise<DialTarget> {
  const location = await directory.lookup(peerId);
  if (location === undefined) {
    throw new UnknownPeerError(`no peer ${JSON.stringify(peerId)} in ${directory.description}`);
  }
  return dialTarget(location, transport);
}

/** The target for a listed peer, or the coded reason this client cannot dial it. */
export function dialTarget(location: PeerLocation, transport: Transport): DialTarget {
  const peerId = location.id;
  if (!location.listening) {
    throw new PeerNotListeningError(
      `peer ${JSON.stringify(peerId)} does not listen; it can be reached only over a connection it opened`,
    );
  }
  if (!reachable(location, transport)) {
    const address = location.address;
    throw new WrongTransportError(
      address?.transport === transport.name
        ? `peer ${JSON.stringify(peerId)} published a ${transport.name} address that ${transport.name} cannot dial (malformed)`
        : `peer ${JSON.stringify(peerId)} listens on another transport (${address === undefined ? 'a Unix socket' : `an address on ${address.transport}`}), not ${transport.name}`,
    );
  }
  return location.address === undefined ? { id: peerId, path: location.path } : { id: peerId, address: location.address };
}

/**
 * A listening peer this client's transport can dial: a socket path for a
 * socket transport; for the others, an address the transport accepts
 * ({@link Transport.canDial}; by default, one carrying its name).
 */
export function reachable(location: PeerLocation, transport: Transport): boolean {
  if (!location.listening) return false;
  if (transport.entryKind === 'socket') return location.address === undefined && location.path !== undefined;
  const address = location.address;
  if (address === undefined) return false;
  return transport.canDial === undefined ? address.transport === transport.name : transport.canDial(address);
}

/**
 * True when the directory says `peerId` is gone: its `isGone` where it has
 * one (the route directory also probes a listed peer's endpoint), else not
 * listed. The engine never checks liveness itself. A peer the directory
 * cannot answer for now is not known gone.
 */
export async function peerIsGone(directory: PeerDirectory | undefined, peerId: string): Promise<boolean> {
  if (directory === undefined) return false;
  try {
    return await goneFrom(directory, peerId);
  } catch {
    return false;
  }
}

/** Whether `directory` says `peerId` is gone (its `isGone`, else: not listed); rejects when it cannot say. */
export async function goneFrom(directory: PeerDirectory, peerId: string): Promise<boolean> {
  return directory.isGone !== undefined ? directory.isGone(peerId) : (await directory.lookup(peerId)) === undefined;
}
