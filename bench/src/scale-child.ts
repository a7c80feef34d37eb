// The measuring process of the scale suite, run by runScale in a fresh
// process (fresh-process.ts) with the options as its settings.
import { serveJob } from './fresh-process.js';
import { runScaleHere, type ScaleOptions } from './scale-measure.js';

serveJob((options: ScaleOptions) => runScaleHere(options));
