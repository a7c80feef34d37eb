import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { describeWithRedis } from '../../packages/directory-redis/test/redis-server';

const DIST = path.join(__dirname, '..', 'dist');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a compiled example as its own process, resolving whatever its exit code. */
function runExample(name: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(DIST, `${name}.js`)], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

test('request-response: concurrent requests, a remote error, a timeout and a cancel', async () => {
  const { code, stdout, stderr } = await runExample('request-response');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('requests in flight at once: 5\n');
  expect(stdout).toContain('squares: 1, 4, 9, 16, 25\n');
  expect(stdout).toContain('remote error: ERR_IPCM_REMOTE: calc cannot do sqrt(-1)\n');
  expect(stdout).toContain('timed out: ERR_IPCM_REQUEST_TIMEOUT: no response from "sleepy" within 200 ms\n');
  expect(stdout).toContain('cancelled: AbortError\n');
  expect(stdout).toContain('requests in flight now: 0\n');
});

test('worker-pool: every job done by worker processes that exit cleanly', async () => {
  const { code, stdout, stderr } = await runExample('worker-pool');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const done = /^24 jobs done by 3 workers: worker-1 (\d+), worker-2 (\d+), worker-3 (\d+)$/m.exec(stdout);
  expect(done).not.toBeNull();
  expect(done?.slice(1).reduce((sum, n) => sum + Number(n), 0)).toBe(24);
  expect(stdout).toContain('primes found in total: 175780\n');
  expect(stdout).toContain('all results correct\n');
  expect(stdout).toContain('workers exited with codes: 0, 0, 0\n');
});

test('custom-transport: a third-party transport gets messaging, the role and the cache', async () => {
  const { code, stdout, stderr } = await runExample('custom-transport');
  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^alice listens at \{"transport":"abstract","name":"ipcm-example-\d+-[0-9a-f]{12}"\}$/m);
  expect(stdout).toContain('alice.listeningPeers() → [bob]\n');
  expect(stdout).toContain('bob got "hello over an abstract socket" from alice\n');
  expect(stdout).toContain('alice got "hello back" from bob\n');
  expect(stdout).toContain("alice.hasConnection('bob') → true; connections() → [bob]\n");
  expect(stdout).toContain('alice\'s cache: size 1, deposits 1, by type {"outbound":1}\n');
  expect(stdout).toContain('a minute later, closeIdleConnections(30000) → 1; connections() → []\n');
  expect(stdout).toContain("alice's cache: size 0, drops.idle 1\n");
});

describeWithRedis('many-hosts (needs redis-server)', () => {
  test('peers on 127.0.0.2, .3 and .4 meet through Redis: greetings, replies and a broadcast, clean exits', async () => {
    const { code, stdout, stderr } = await runExample('many-hosts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^alice listens on 127\.0\.0\.2:\d+$/m);
    expect(stdout).toMatch(/^bob listens on 127\.0\.0\.3:\d+$/m);
    expect(stdout).toMatch(/^carol listens on 127\.0\.0\.4:\d+$/m);
    for (const [from, to] of [['alice', 'bob'], ['bob', 'carol'], ['carol', 'alice'], ['bob', 'alice']]) {
      expect(stdout).toContain(`${to} got "hello ${to}, from ${from}" from ${from}\n`);
      expect(stdout).toContain(`${from} got {"reply":"hi ${from}, ${to} here"} from ${to}\n`);
    }
    expect(stdout).toContain('6 greetings sent across hosts, 6 replies back\n');
    expect(stdout).toContain('bob got "to everyone, from alice" from alice\n');
    expect(stdout).toContain('carol got "to everyone, from alice" from alice\n');
    expect(stdout).toContain("alice's broadcast reached bob, carol\n");
    expect(stdout).toContain('peers exited with codes: 0, 0, 0\n');
  });
});
