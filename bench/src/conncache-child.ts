// One run of the conncache suite in a fresh process, forked by
// runConncacheSuite with the options as JSON in argv[2]; the result goes back
// over the IPC channel.
import { runConncache, type ConncacheOptions } from './conncache.js';

const options = JSON.parse(process.argv[2] ?? '') as ConncacheOptions;
process.send?.(runConncache(options), () => process.disconnect());
