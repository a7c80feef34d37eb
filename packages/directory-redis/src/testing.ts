/*
 * A throwaway redis-server for tests, examples and benchmarks: bound to
 * 127.0.0.1 on a free port, no persistence, in its own temp dir, stopped by
 * pid. Imported as `@ipcm/directory-redis/testing`; it needs the
 * `redis-server` binary on PATH ({@link findRedisServer}, {@link INSTALL_HINT}).
 * Not for production: it is how this repository's own tests, examples and
 * benchmarks get a real server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** How to install redis-server, for the message saying it is missing. */
export const INSTALL_HINT = 'install redis-server to run them (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis)';

/** The redis-server binary on PATH, if any. */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * `describe` when redis-server is installed; otherwise a describe whose one
 * test fails under CI=true and is skipped (with the install hint) elsewhere.
 */
/** A redis-server child process on a free loopback port (see the module comment). */
export class RedisServer {
  readonly port: number;
  readonly #dir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.#dir = dir;
  }

  /** Starts a server on a free loopback port. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(path.join(tmpdir(), 'ipcm-redis-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts a fresh, empty server on the same port (after {@link kill} or {@link stop}). */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error('redis-server is already running');
    const binary = findRedisServer();
    if (binary === undefined) throw new Error(`redis-server is not on PATH: ${INSTALL_HINT}`);
    const child = spawn(
      binary,
      ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'no', '--dir', this.#dir, '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
      child.once('error', reject);
    });
    child.stderr?.resume();
    this.#child = child;
  }

  /** SIGKILLs the server: every key is lost (no persistence). */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** Stops the server (SIGTERM) and removes its temp dir. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    const exited = once(child, 'exit');
    process.kill(child.pid as number, signal);
    await exited;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}
