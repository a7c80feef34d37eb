// One run of the conncache suite in a fresh process, forked by
// runConncacheSuite with the options as JSON in argv[2]; the result goes back
// over the IPC channel.
import { runConncache, type ConncacheOptions } from './conncache.js';

const options = JSON.parse(process.argv[2] ?? '') as ConncacheOptions;
runConncache(options).then(
  (result) => process.send?.(result, () => process.disconnect()),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
    process.disconnect?.();
  },
);
