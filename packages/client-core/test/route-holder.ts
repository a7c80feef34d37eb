// The route-holder fixture (test/fixtures/route-holder.js) seen from the
// tests that fork it: its protocol on the shared peer-process harness, and
// the one way to fork it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PeerProcess } from '@ipcm/peer-process';

const FIXTURE = path.join(__dirname, 'fixtures', 'route-holder.js');
/** The modules the fixture runs compiled (from dist/); tsc -b re-emits only those that changed. */
const COMPILED_MODULES = [
  'route-directory',
  'route-reaper',
  'entry-store',
  'entry-endpoint',
  'lock-file',
  'route-claim',
  'route-address',
  'route-checks',
  'route-fs',
];

/** What a claim came to: held (by that pid, at that socket path), or refused with the error's code. */
export type Outcome = { ok: true; pid: number; path: string } | { ok: false; code?: string; message: string };

/**
 * What test/fixtures/route-holder.js says. `'hold'` claims at once (ready
 * carries the outcome); `'race'` is ready once loaded and claims on `go`.
 * Its close closes its server and releases its claim.
 */
export type RouteHolder = {
  settings: { dir: string; id: string; mode: 'hold' | 'race' };
  ready: Outcome | { loaded: true };
  commands: { go: { args: null; reply: Outcome } };
  event: never;
  closed: { released: true };
};

let built = false;

/** Throws, naming it, when a module the fixture runs is missing from dist/ or older than its source. */
function checkBuilt(): void {
  if (built) return;
  for (const name of COMPILED_MODULES) {
    const source = path.join(__dirname, '..', 'src', `${name}.ts`);
    const compiled = path.join(__dirname, '..', 'dist', `${name}.js`);
    if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(source).mtimeMs) {
      throw new Error(`${compiled} is missing or older than its source: run \`node_modules/.bin/tsc -b packages/client-core\` first`);
    }
  }
  built = true;
}

/**
 * Forks a route holder of `settings.id` in `settings.dir`; `ready` says
 * when it has loaded (and, holding, what its claim came to). The caller
 * kills or closes it.
 */
export function forkRouteHolder(settings: RouteHolder['settings']): PeerProcess<RouteHolder> {
  checkBuilt();
  // None of the parent's Node options (the test runner's): plain JavaScript on compiled code needs none.
  return new PeerProcess<RouteHolder>({ entry: FIXTURE, settings, execArgv: [] });
}
