export type { CloseReason, ConnectionEntry, ConnectionHost, PeerIdOf } from './connection-host.js';
export { connections, disconnectConnection, hasConnection, lastActivity } from './connection-operations.js';
export { closeIdleConnections } from './close-idle-connections.js';
export { ConnectionRole } from './connection-role.js';
export type { ConnectionHostClass, ConnectionRoleMethods } from './connection-role.js';
