// @ipcm/client-core/internal: helpers the other @ipcm packages share with
// client-core (option checks in the house style, the role host the bench
// sweeps). Not public API: no semver promise, may change in any release.
// Applications and third-party transports should not import it.
export { checkIntegerOption, checkOptionNames, describeValue } from './option-checks.js';
export { MAX_TIMER_MS } from './options.js';
export { createRoleHost } from './role-host.js';
export type { RoleHostConnection, RoleHostContext } from './role-host.js';
