import { DEFAULT_MAX_FRAME_BYTES } from './frame-decoder.js';
import { MAX_FRAME_PAYLOAD_BYTES } from './frame-encoder.js';
import { validatePeerId } from './message.js';
import { MAX_TIMER_MS, type ClientOptions, type Clock, type Timers } from './options.js';
import type { PeerDirectory } from './peer-directory.js';
import type { Serializer } from './serializer.js';
import { checkIntegerOption, checkOptionNames, describeValue as describe } from './option-checks.js';
import { InvalidOptionError } from './errors.js';

/** The names of every {@link ClientOptions} field (the compiler checks none is missing). */
export const CLIENT_OPTION_NAMES = [
  'id',
  'route',
  'directory',
  'listen',
  'maxConnections',
  'maxOutbound',
  'maxInbound',
  'maxFrameBytes',
  'maxPendingBytes',
  'maxWaitingSends',
  'helloTimeoutMs',
  'frameTimeoutMs',
  'maxHandshakes',
  'lingerMs',
  'maxQueuedMessages',
  'serializer',
  'clock',
  'timers',
  'maxPendingRequests',
  'requestTimeoutMs',
  'exposeErrorDetails',
] as const satisfies ReadonlyArray<keyof ClientOptions>;
// Fails to compile when ClientOptions gains a field not listed above.
const allListed: Exclude<keyof ClientOptions, (typeof CLIENT_OPTION_NAMES)[number]> extends never ? true : never = true;
void allListed;

/** Client options with every default filled in. */
export interface ResolvedOptions {
  readonly id: string;
  readonly route: string | undefined;
  readonly directory: PeerDirectory | undefined;
  readonly listen: boolean;
  readonly maxConnections: number | null;
  readonly maxOutbound: number | null;
  readonly maxInbound: number | null;
  readonly maxFrameBytes: number;
  readonly maxPendingBytes: number;
  readonly maxWaitingSends: number;
  readonly helloTimeoutMs: number;
  readonly frameTimeoutMs: number;
  readonly maxHandshakes: number;
  readonly lingerMs: number;
  readonly maxQueuedMessages: number;
  readonly serializer: Serializer | undefined;
  readonly clock: Clock | undefined;
  readonly timers: Timers | undefined;
  readonly maxPendingRequests: number;
  readonly requestTimeoutMs: number;
  readonly exposeErrorDetails: boolean;
}

/**
 * Validates client options once, naming the option and the value in every
 * error. `extraNames` are the options a transport's client adds; any other
 * unknown name is refused.
 */
export function checkOptions(options: ClientOptions, extraNames: Iterable<string> = []): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`client options must be an object; received ${describe(options)}`);
  }
  checkOptionNames(options, [...CLIENT_OPTION_NAMES, ...extraNames], 'client options');
  validatePeerId(options.id);
  if (options.route !== undefined && (typeof options.route !== 'string' || options.route === '')) {
    throw new InvalidOptionError(`route must be a non-empty directory path; received ${describe(options.route)}`);
  }
  const directory = options.directory;
  if (directory !== undefined && (typeof directory?.register !== 'function' || typeof directory.lookup !== 'function' || typeof directory.watch !== 'function')) {
    throw new InvalidOptionError(`directory must be a PeerDirectory; received ${describe(directory)}`);
  }
  if (directory !== undefined && options.route !== undefined) {
    throw new InvalidOptionError('give either route (the shorthand for a route directory) or directory, not both');
  }
  if (options.timers !== undefined && (typeof options.timers?.setTimeout !== 'function' || typeof options.timers.clearTimeout !== 'function')) {
    throw new InvalidOptionError(`timers must have setTimeout() and clearTimeout() functions; received ${describe(options.timers)}`);
  }
  if (options.listen !== undefined && typeof options.listen !== 'boolean') {
    throw new InvalidOptionError(`listen must be a boolean; received ${describe(options.listen)}`);
  }
  if (options.serializer !== undefined && (typeof options.serializer?.encode !== 'function' || typeof options.serializer?.decode !== 'function')) {
    throw new InvalidOptionError(`serializer must have encode() and decode() methods; received ${describe(options.serializer)}`);
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
    throw new InvalidOptionError(`clock must have a now() method; received ${describe(options.clock)}`);
  }
  if (options.exposeErrorDetails !== undefined && typeof options.exposeErrorDetails !== 'boolean') {
    throw new InvalidOptionError(`exposeErrorDetails must be a boolean; received ${describe(options.exposeErrorDetails)}`);
  }
  return {
    id: options.id,
    route: options.route,
    directory,
    listen: options.listen ?? true,
    maxConnections: capacity('maxConnections', options.maxConnections, 64),
    maxOutbound: capacity('maxOutbound', options.maxOutbound, null),
    maxInbound: capacity('maxInbound', options.maxInbound, null),
    maxFrameBytes: checkIntegerOption('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 1, MAX_FRAME_PAYLOAD_BYTES),
    maxPendingBytes: checkIntegerOption('maxPendingBytes', options.maxPendingBytes, 16 * 1024 * 1024, 1),
    maxWaitingSends: checkIntegerOption('maxWaitingSends', options.maxWaitingSends, 1024, 0),
    helloTimeoutMs: checkIntegerOption('helloTimeoutMs', options.helloTimeoutMs, 5000, 1, MAX_TIMER_MS),
    frameTimeoutMs: checkIntegerOption('frameTimeoutMs', options.frameTimeoutMs, 30_000, 1, MAX_TIMER_MS),
    maxHandshakes: checkIntegerOption('maxHandshakes', options.maxHandshakes, 128, 1),
    lingerMs: checkIntegerOption('lingerMs', options.lingerMs, 2000, 0, MAX_TIMER_MS),
    maxQueuedMessages: checkIntegerOption('maxQueuedMessages', options.maxQueuedMessages, 10_000, 1),
    serializer: options.serializer,
    clock: options.clock,
    timers: options.timers,
    maxPendingRequests: checkIntegerOption('maxPendingRequests', options.maxPendingRequests, 10_000, 1),
    requestTimeoutMs:
      options.requestTimeoutMs === Infinity
        ? Infinity
        : checkIntegerOption('requestTimeoutMs', options.requestTimeoutMs, 30_000, 1, MAX_TIMER_MS),
    exposeErrorDetails: options.exposeErrorDetails ?? false,
  };
}

function capacity(name: string, value: number | null | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  return checkIntegerOption(name, value, 0, 0);
}
