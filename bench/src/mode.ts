/**
 * How long a run takes: `full` (the default, a few minutes at most),
 * `quick` (under a minute in all) and `tiny` (a few seconds, for the smoke
 * test that only keeps the code from rotting; its numbers mean nothing).
 */
export type Mode = 'full' | 'quick' | 'tiny';
