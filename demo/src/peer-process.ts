import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ClientStats } from '@ipcm/client-core';
import type { PeerCommand, PeerReport, PeerSettings } from './control.js';

type ReportType = PeerReport['type'];
type ReportOf<T extends ReportType> = Extract<PeerReport, { type: T }>;

interface Waiter {
  readonly type: ReportType;
  readonly resolve: (report: PeerReport) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * How long the demo waits for a peer process before calling it a failure.
 * Generous: on a busy CI machine, starting seven Node processes takes a while.
 */
const START_TIMEOUT_MS = 20_000;
const REPORT_TIMEOUT_MS = 10_000;

/**
 * A peer running in its own process (peer.ts), seen from the demo: start it,
 * give it commands, wait for its reports, close it and collect its exit code.
 */
export class PeerProcess {
  readonly settings: PeerSettings;
  readonly #child: ChildProcess;
  readonly #reports: PeerReport[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #exited: Promise<number | null>;
  #gone: string | undefined;

  private constructor(settings: PeerSettings) {
    this.settings = settings;
    // stdout stays with the demo's terminal; the channel carries control only.
    this.#child = fork(path.join(__dirname, 'peer.js'), [JSON.stringify(settings)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (report: PeerReport) => this.#receive(report));
    this.#child.on('error', (error) => this.#fail(`${settings.id}: ${error.message}`));
    // 'close', not 'exit': it comes after the channel's last report has been read.
    this.#exited = new Promise((resolve) => {
      this.#child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.#fail(`${settings.id} exited (${signal ?? `code ${code}`})`);
        resolve(code);
      });
    });
  }

  /** Forks a peer and resolves once its client is listening (or has claimed its id). */
  static async start(settings: PeerSettings): Promise<PeerProcess> {
    const peer = new PeerProcess(settings);
    try {
      await peer.next('ready', START_TIMEOUT_MS);
    } catch (error) {
      peer.kill();
      throw error;
    }
    return peer;
  }

  get id(): string {
    return this.settings.id;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  command(command: PeerCommand): void {
    this.#child.send(command, (error) => {
      if (error !== null) this.#fail(`${this.id}: ${error.message}`);
    });
  }

  /** The next report of this type (earlier ones are kept until asked for). */
  next<T extends ReportType>(type: T, timeoutMs = REPORT_TIMEOUT_MS): Promise<ReportOf<T>> {
    const index = this.#reports.findIndex((report) => report.type === type);
    if (index >= 0) return Promise.resolve(this.#reports.splice(index, 1)[0] as ReportOf<T>);
    if (this.#gone !== undefined) return Promise.reject(new Error(this.#gone));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`${this.id} sent no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = { type, resolve: resolve as (report: PeerReport) => void, reject, timer };
      this.#waiters.push(waiter);
    });
  }

  /** Closes the peer's client; resolves with its final stats and the process's exit code. */
  async close(): Promise<{ stats: ClientStats; exitCode: number | null }> {
    const closed = this.next('closed');
    this.command({ cmd: 'close' });
    const { stats } = await closed;
    return { stats, exitCode: await this.#exited };
  }

  /** Ends the process if it is still running (only after something went wrong). */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill();
  }

  #receive(report: PeerReport): void {
    if (report.type === 'failed') {
      this.#fail(report.error);
      return;
    }
    const waiter = this.#waiters.find((w) => w.type === report.type);
    if (waiter === undefined) {
      this.#reports.push(report);
      return;
    }
    this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
    clearTimeout(waiter.timer);
    waiter.resolve(report);
  }

  /** From now on every wait fails with `reason` (the first reason wins). */
  #fail(reason: string): void {
    this.#gone ??= reason;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(this.#gone));
    }
  }
}
