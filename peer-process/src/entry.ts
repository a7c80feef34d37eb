import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The compiled entry file `name` (without extension) to fork, next to the
 * calling module: pass the caller's `__filename`, from a file directly in
 * `src/` of a project compiled to `dist/`. From the compiled code it is the
 * sibling `.js`; from the TypeScript source (jest runs the sources) it is
 * the one in `../dist/`, which `tsc -b` must have built: a missing file
 * throws, naming it.
 */
export function compiledEntry(callerFilename: string, name: string): string {
  const here = path.dirname(callerFilename);
  const dir = callerFilename.endsWith('.ts') ? path.join(here, '..', 'dist') : here;
  const entry = path.join(dir, `${name}.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (tsc -b)`);
  return entry;
}
