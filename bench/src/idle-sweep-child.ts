// The idle-sweep suite in a fresh process, forked by runIdleSweep with the
// options as JSON in argv[2]; the result goes back over the IPC channel.
import { runIdleSweepHere, type IdleSweepOptions } from './idle-sweep.js';

const options = JSON.parse(process.argv[2] ?? '') as IdleSweepOptions;
try {
  process.send?.({ result: runIdleSweepHere(options) }, () => process.disconnect());
} catch (error) {
  process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.disconnect());
}
