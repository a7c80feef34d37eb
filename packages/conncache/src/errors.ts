/**
 * One or more user callbacks threw during a cache operation and no `onError`
 * option was given. The operation still ran to the end: entries whose checker
 * or `ping()` threw were kept, entries whose `dispose` threw were removed and
 * counted as dropped. Thrown once, after the operation.
 *
 * @example
 * try {
 *   cache.prune();
 * } catch (err) {
 *   if (err instanceof ConnCacheCallbackError) console.warn(err.dropped, err.errors);
 *   else throw err;
 * }
 */
export class ConnCacheCallbackError extends AggregateError {
  readonly code = 'ERR_IPCM_CACHE_CALLBACK' as const;
  /** How many connections the operation dropped (all of them disposed, or tried). */
  readonly dropped: number;

  constructor(errors: readonly unknown[], dropped: number) {
    const first = errors[0];
    const detail = first instanceof Error ? first.message : String(first);
    super(
      errors,
      `${errors.length} ConnCache callback${errors.length === 1 ? '' : 's'} threw ` +
        `(first: ${detail}); ${dropped} connection${dropped === 1 ? '' : 's'} dropped`,
    );
    this.name = 'ConnCacheCallbackError';
    this.dropped = dropped;
  }
}
