// The measuring process of the scale suite, forked by runScale with
// --expose-gc and the options as JSON in argv[2]; the result goes back over
// the IPC channel.
import { runScaleHere, type ScaleOptions } from './scale-measure.js';

const options = JSON.parse(process.argv[2] ?? '') as ScaleOptions;
runScaleHere(options).then(
  (result) => process.send?.({ result }, () => process.disconnect()),
  (error: unknown) =>
    process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.disconnect()),
);
