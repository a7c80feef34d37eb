import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  PeerCommandError,
  PeerExitedError,
  PeerFailedError,
  PeerProcess,
  PeerProcessError,
  PeerStartError,
  PeerTimeoutError,
  compiledEntry,
  type Timers,
} from '@ipcm/peer-process';
// The repository's one set of test timers (a clock that `advance()` moves,
// firing what falls due, in order), from client-core's tests.
import { FakeTimers, settledFlag } from '../../packages/client-core/test/fake-timers.js';

const ENTRY = path.join(__dirname, 'fixtures', 'echo-peer.js');
const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

type EchoPeer = {
  settings: { failStart?: string; closeResult?: unknown; closeHangs?: boolean; lingers?: boolean };
  ready: { hello: string };
  commands: {
    echo: { args: unknown; reply: unknown };
    throw: { args: { code: string }; reply: never };
    report: { args: { types: string[] }; reply: number };
    fail: { args: { message: string }; reply: void };
    exit: { args: { code: number }; reply: never };
    hang: { args: null; reply: never };
  };
  event: { type: 'a' | 'b' };
  closed: unknown;
};

const peers: PeerProcess<EchoPeer>[] = [];

async function start(settings: EchoPeer['settings'] = {}, options: { timers?: Timers; timeoutMs?: number } = {}): Promise<PeerProcess<EchoPeer>> {
  const peer = await PeerProcess.start<EchoPeer>({ entry: ENTRY, settings, ...options });
  peers.push(peer);
  return peer;
}

afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.kill()));
});

test('start resolves once the child is ready, with what its ready handshake carries and its pid', async () => {
  const peer = await start();
  await expect(peer.ready).resolves.toEqual({ hello: 'ready' });
  expect(peer.pid).toBe(peer.process.pid);
  expect(peer.running).toBe(true);
});

test('a command resolves with its handler reply; concurrent commands are matched by sequence number', async () => {
  const peer = await start();
  const replies = await Promise.all([1, 2, 3].map((n) => peer.request('echo', { n })));
  expect(replies).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
});

test('a handler that throws rejects that command with ERR_IPCM_PEER_COMMAND and its code; the peer keeps working', async () => {
  const peer = await start();
  const error = (await peer.request('throw', { code: 'ERR_SOMETHING' }).catch((e: unknown) => e)) as PeerCommandError;
  expect(error).toBeInstanceOf(PeerCommandError);
  expect(error.code).toBe('ERR_IPCM_PEER_COMMAND');
  expect(error.remote).toEqual({ code: 'ERR_SOMETHING', message: 'handler threw' });
  await expect(peer.request('echo', 'still here')).resolves.toBe('still here');
});

test('an unknown command is a command error, not a crash', async () => {
  const peer = await start();
  const untyped = peer as unknown as PeerProcess;
  await expect(untyped.request('nope', null)).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_COMMAND', remote: { message: 'unknown command nope' } });
});

test('events are kept until awaited, in order, whether the wait starts before or after they come', async () => {
  const peer = await start();
  const b = peer.next('b');
  await peer.request('report', { types: ['a', 'b', 'a'] });
  await expect(b).resolves.toEqual({ type: 'b' });
  await expect(peer.next('a')).resolves.toEqual({ type: 'a' });
  await expect(peer.next('a')).resolves.toEqual({ type: 'a' });
});

test('close runs the child close, resolves with its result and exit code 0, and the process is gone', async () => {
  const peer = await start({ closeResult: { sent: 3 } });
  await expect(peer.close()).resolves.toEqual({ exitCode: 0, signal: null, result: { sent: 3 } });
  expect(peer.running).toBe(false);
});

test('a close that does not finish in time kills the process and rejects with ERR_IPCM_PEER_TIMEOUT', async () => {
  const timers = new FakeTimers();
  const peer = await start({ closeHangs: true }, { timers });
  const closing = peer.close({ timeoutMs: 10_000 });
  await peer.request('echo', null).catch(() => undefined); // the close reached the child first (this one is refused)
  const settled = settledFlag(closing.catch(() => undefined));
  timers.advance(9_999);
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(settled()).toBe(false);
  expect(peer.process.killed).toBe(false);
  timers.advance(1);
  await expect(closing).rejects.toBeInstanceOf(PeerTimeoutError);
  expect(peer.running).toBe(false);
  expect((await peer.exited).signal).toBe('SIGKILL');
});

test('a start that throws in the child rejects with ERR_IPCM_PEER_START carrying its code, and nothing is left running', async () => {
  const attempt = PeerProcess.start<EchoPeer>({ entry: ENTRY, settings: { failStart: 'ERR_IPCM_ID_IN_USE' } });
  const error = (await attempt.catch((e: unknown) => e)) as PeerStartError;
  expect(error).toBeInstanceOf(PeerStartError);
  expect(error.code).toBe('ERR_IPCM_PEER_START');
  expect(error.remote.code).toBe('ERR_IPCM_ID_IN_USE');
});

test('a peer that fails to start exits by itself with code 1 (forked without start)', async () => {
  const peer = new PeerProcess<EchoPeer>({ entry: ENTRY, settings: { failStart: 'ERR_X' } });
  peers.push(peer);
  await expect(peer.ready).rejects.toBeInstanceOf(PeerStartError);
  await expect(peer.exited).resolves.toEqual({ exitCode: 1, signal: null });
});

test('a process that exits with a command pending rejects it with ERR_IPCM_PEER_EXITED, and every later wait too', async () => {
  const peer = await start();
  const error = (await peer.request('exit', { code: 3 }).catch((e: unknown) => e)) as PeerExitedError;
  expect(error).toBeInstanceOf(PeerExitedError);
  expect(error.message).toContain('code 3');
  await expect(peer.exited).resolves.toEqual({ exitCode: 3, signal: null });
  await expect(peer.request('echo', 1)).rejects.toBeInstanceOf(PeerExitedError);
  await expect(peer.next('a')).rejects.toBeInstanceOf(PeerExitedError);
});

test('a killed process: kill resolves with the signal', async () => {
  const peer = await start();
  const pending = peer.request('hang', null);
  await expect(peer.kill()).resolves.toEqual({ exitCode: null, signal: 'SIGKILL' });
  await expect(pending).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_EXITED' });
});

test('timeouts run on the injected timers: a reply that never comes is ERR_IPCM_PEER_TIMEOUT with no real waiting', async () => {
  const timers = new FakeTimers();
  const peer = await start({}, { timers, timeoutMs: 30_000 });
  const hung = peer.request('hang', null);
  const event = peer.next('a', { timeoutMs: 5_000 });
  await peer.request('echo', 'after'); // the hang command reached the child first
  timers.advance(5_000);
  await expect(event).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_TIMEOUT', message: 'echo-peer reported no "a" within 5000 ms' });
  expect(timers.active).toBe(1); // only the command's
  timers.advance(25_000);
  await expect(hung).rejects.toBeInstanceOf(PeerTimeoutError);
  // A timed-out event wait is forgotten: the next event goes to the next wait.
  await peer.request('report', { types: ['a'] });
  await expect(peer.next('a')).resolves.toEqual({ type: 'a' });
  expect(timers.active).toBe(0);
});

test('a start timeout kills the child, forked by the constructor too (nobody calls kill), and every wait fails with ERR_IPCM_PEER_TIMEOUT', async () => {
  const timers = new FakeTimers();
  const peer = new PeerProcess<EchoPeer>({ entry: ENTRY, settings: {}, timers, startTimeoutMs: 1_000 });
  peers.push(peer);
  timers.advance(1_000); // before the child can have said ready: no I/O has run yet
  expect(peer.process.killed).toBe(true); // the signal went out from the timeout itself
  await expect(peer.ready).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_TIMEOUT', message: 'echo-peer was not ready within 1000 ms' });
  await expect(peer.exited).resolves.toEqual({ exitCode: null, signal: 'SIGKILL' });
  await expect(peer.request('echo', 1)).rejects.toBeInstanceOf(PeerTimeoutError);
});


test('a failure the child reports fails every wait from then on, with its message', async () => {
  const peer = await start();
  const waiting = peer.next('a');
  // The report comes before the command's reply: the command fails too.
  await expect(peer.request('fail', { message: 'send to x failed' })).rejects.toBeInstanceOf(PeerFailedError);
  await expect(waiting).rejects.toBeInstanceOf(PeerFailedError);
  await expect(peer.request('echo', 1)).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_FAILED', message: 'echo-peer failed: send to x failed' });
});

test('the child exits when its parent goes away (the channel closes)', async () => {
  const peer = await start();
  peer.process.disconnect();
  await expect(peer.exited).resolves.toEqual({ exitCode: 0, signal: null });
});

/**
 * `promise` has settled by the time a microtask after this call runs, so
 * before any I/O: an exit, or a reply, cannot have settled it.
 */
async function settledAtOnce(promise: Promise<unknown>): Promise<boolean> {
  const settled = settledFlag(promise);
  await undefined; // the reactions of an already settled promise run first
  return settled();
}

test('a command or an event wait on a channel the child left while still running rejects at once with ERR_IPCM_PEER_EXITED (no timeout set)', async () => {
  const timers = new FakeTimers();
  const peer = await start({ lingers: true }, { timers });
  const left = once(peer.process, 'disconnect');
  const closing = peer.close({ timeoutMs: 10_000 }); // the child closes, leaves the channel, and lingers
  await left;
  expect(peer.running).toBe(true);
  for (const ask of [() => peer.request('echo', 1), () => peer.next('a')]) {
    const wait = ask();
    expect(await settledAtOnce(wait)).toBe(true);
    await expect(wait).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_EXITED', message: expect.stringContaining('echo-peer has left the channel (still running)') });
  }
  expect(peer.running).toBe(true);
  // The close's own wait, for the exit, is bounded by its timeout: then the process is killed.
  timers.advance(10_000);
  await expect(closing).rejects.toBeInstanceOf(PeerTimeoutError);
  expect((await peer.exited).signal).toBe('SIGKILL');
});

test('a command after this side disconnected the channel rejects at once with ERR_IPCM_PEER_EXITED, before the child has exited; a close then kills it', async () => {
  const peer = await start();
  peer.process.disconnect();
  const refused = peer.request('echo', 1);
  expect(await settledAtOnce(refused)).toBe(true);
  await expect(refused).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_EXITED', message: 'echo-peer has left the channel (still running): cannot send echo' });
  await expect(peer.close()).rejects.toMatchObject({ code: 'ERR_IPCM_PEER_EXITED', message: expect.stringContaining('cannot send close') });
  expect(peer.running).toBe(false);
});

test('compiledEntry names a missing build', () => {
  expect(() => compiledEntry(path.join(__dirname, 'src', 'x.ts'), 'nothing-here')).toThrow(/nothing-here\.js is missing: build first/);
  expect(compiledEntry(path.join(__dirname, 'fixtures', 'x.js'), 'echo-peer')).toBe(ENTRY);
});

test.each([
  [new PeerStartError('p', { code: 'ERR_X', message: 'm' }), 'ERR_IPCM_PEER_START', 'PeerStartError'],
  [new PeerExitedError('m'), 'ERR_IPCM_PEER_EXITED', 'PeerExitedError'],
  [new PeerTimeoutError('m'), 'ERR_IPCM_PEER_TIMEOUT', 'PeerTimeoutError'],
  [new PeerFailedError('m'), 'ERR_IPCM_PEER_FAILED', 'PeerFailedError'],
  [new PeerCommandError('p', 'c', { message: 'm' }), 'ERR_IPCM_PEER_COMMAND', 'PeerCommandError'],
] as const)('%s: a PeerProcessError with code %s, named and documented in the README', (error, code, name) => {
  expect(error).toBeInstanceOf(PeerProcessError);
  expect(error.code).toBe(code);
  expect(error.name).toBe(name);
  expect(README).toContain(`| \`${code}\` | \`${name}\` |`);
});
