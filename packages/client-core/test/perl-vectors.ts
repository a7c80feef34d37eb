// The captures from Perl IPC::Manager kept in test/fixtures (copied from the
// project's shared vectors; see each file's "provenance"), typed for tests.
// Tests read these copies only, never anything outside the repository.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One frame exactly as a Perl peer wrote it on the wire. */
export interface PerlFrame {
  readonly name: string;
  readonly note?: string;
  /** Length of the whole frame (header included). */
  readonly bytes: number;
  readonly hex: string;
  /** The decoded payload as Perl meant it (`broadcast` still `1`). */
  readonly json: Record<string, unknown>;
}

/** One file of a route-directory listing (pids replaced by `<pid ...>`). */
export interface ListedFile {
  readonly type: 'socket' | 'file';
  readonly mode: string;
  readonly content?: string;
}

export interface RouteListing {
  readonly name: string;
  readonly note: string;
  readonly listing: Readonly<Record<string, ListedFile>>;
}

/** The name Perl gave `id` in a route directory of `route_bytes` bytes. */
export interface OnDiskName {
  readonly id: string;
  /** bytes(route) + 1 + bytes(id). */
  readonly path_bytes: number;
  readonly perl: string;
}

function fixture<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', file), 'utf8')) as T;
}

const frames037 = fixture<{ frames: PerlFrame[] }>('ipc-manager-frames.json');
const route038 = fixture<{
  frames: PerlFrame[];
  routes: RouteListing[];
  on_disk_names: { route_bytes: number; cases: OnDiskName[] };
}>('ipc-manager-route.json');

/** Every captured frame: IPC::Manager 0.000037 replies and 0.000038 interop captures. */
export const perlFrames: readonly PerlFrame[] = [...frames037.frames, ...route038.frames];

/** The captured frame called `name`, as bytes. */
export function perlFrame(name: string): Buffer {
  const frame = perlFrames.find((f) => f.name === name);
  if (frame === undefined) throw new Error(`no captured frame called ${JSON.stringify(name)}`);
  return Buffer.from(frame.hex, 'hex');
}

/** Route-directory listings: Perl peers and ours, live and after close. */
export const perlRouteListings: readonly RouteListing[] = route038.routes;

/** The captured listing called `name`. */
export function perlRouteListing(name: string): RouteListing {
  const listing = perlRouteListings.find((l) => l.name === name);
  if (listing === undefined) throw new Error(`no captured listing called ${JSON.stringify(name)}`);
  return listing;
}

/** Perl's on-disk names for ids around the 104-byte edge, in a route of `routeBytes` bytes. */
export const perlOnDiskNames: { readonly routeBytes: number; readonly cases: readonly OnDiskName[] } = {
  routeBytes: route038.on_disk_names.route_bytes,
  cases: route038.on_disk_names.cases,
};
