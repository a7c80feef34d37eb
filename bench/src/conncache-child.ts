// One run of the conncache suite, run by runConncacheSuite in a fresh
// process (fresh-process.ts) with the options as its settings.
import { runConncache, type ConncacheOptions } from './conncache.js';
import { serveJob } from './fresh-process.js';

serveJob((options: ConncacheOptions) => runConncache(options));
