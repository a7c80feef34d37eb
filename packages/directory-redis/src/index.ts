export { RedisDirectory } from './redis-directory.js';
export type { RedisRegistration } from './redis-registration.js';
export { DirectoryUnavailableError } from './errors.js';
export { MAX_QUEUED_EVENTS } from './watch-hub.js';
export type { RedisDirectoryOptions, RedisRegisterOptions, RedisConnection } from './options.js';
