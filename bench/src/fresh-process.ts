// A suite (or one reading) run in a fresh process, so other suites' heaps,
// JIT state and freed memory do not colour it: the shared peer-process
// harness with a single command, 'run'.
import { PeerProcess, compiledEntry, runPeer } from '@ipcm/peer-process';

/** A process that runs one job from its settings and replies with the result. */
export type JobPeer<Settings, Result> = {
  readonly settings: Settings;
  readonly ready: null;
  readonly commands: { readonly run: { readonly args: null; readonly reply: Result } };
  readonly event: never;
  readonly closed: void;
};

export interface FreshProcessOptions {
  /** Node options for the child. @default process.execArgv */
  readonly execArgv?: readonly string[];
  /** Longest wait for the result. @default no limit */
  readonly timeoutMs?: number;
}

/**
 * Forks the compiled bench entry `entry` (which calls {@link serveJob}),
 * runs its job with `settings` and resolves with the result once the
 * process has exited. A failure names the job; the process is never left
 * running.
 */
export async function inFreshProcess<Settings, Result>(entry: string, settings: Settings, options: FreshProcessOptions = {}): Promise<Result> {
  const child = await PeerProcess.start<JobPeer<Settings, Result>>({
    entry: compiledEntry(__filename, entry),
    settings,
    ...(options.execArgv === undefined ? {} : { execArgv: options.execArgv }),
    ...(options.timeoutMs === undefined ? {} : { startTimeoutMs: options.timeoutMs, timeoutMs: options.timeoutMs }),
  });
  try {
    const result = await child.request('run', null);
    await child.close();
    return result;
  } finally {
    await child.kill();
  }
}

/** The child side of {@link inFreshProcess}: call at the top level of the entry file. */
export function serveJob<Settings, Result>(run: (settings: Settings) => Result | Promise<Result>): void {
  runPeer<JobPeer<Settings, Result>>({
    start: (settings) => ({ ready: null, commands: { run: () => run(settings) } }),
  });
}
