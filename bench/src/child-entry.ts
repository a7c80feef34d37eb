import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The path of a compiled entry file to fork (`name` without extension). From
 * the compiled bench it sits next to this file; from the TypeScript sources
 * (jest) it is the one in dist/, which `tsc -b bench` must have built.
 */
export function compiledEntry(name: string): string {
  const dir = __filename.endsWith('.ts') ? join(__dirname, '..', 'dist') : __dirname;
  const entry = join(dir, `${name}.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the bench first (tsc -b bench)`);
  return entry;
}
