// The idle-sweep suite, run by runIdleSweep in a fresh process
// (fresh-process.ts) with the options as its settings.
import { serveJob } from './fresh-process.js';
import { runIdleSweepHere, type IdleSweepOptions } from './idle-sweep.js';

serveJob((options: IdleSweepOptions) => runIdleSweepHere(options));
