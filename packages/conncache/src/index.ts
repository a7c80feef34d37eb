export { ConnCache } from './conn-cache.js';
export { ConnCacheCallbackError } from './errors.js';
export type { ConnCacheOptions } from './options.js';
export type {
  CallbackErrorInfo,
  CallbackOperation,
  Clock,
  ConnCacheStats,
  ConnRecord,
  DropReason,
} from './types.js';
