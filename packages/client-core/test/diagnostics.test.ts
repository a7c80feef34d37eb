import { execFile } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  DIAGNOSTICS_CHANNELS,
  diag,
  formatLifecycle,
} from '../src/diagnostics.js';
import type { RequestDiagnostic, ResponseDiagnostic } from '../src/diagnostics.js';
import { ConnectError, ConnectionClosedError } from '../src/errors.js';
import { createMessage } from '../src/message.js';
import { FakeTimers } from './fake-timers.js';
import { pair } from './request-pair.js';

const run = promisify(execFile);

/** Subscribes to a channel for one test; returns what it saw and an unsubscribe. */
function watch(name: string): { seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const listener = (payload: unknown): void => {
    seen.push(payload);
  };
  diagnosticsChannel.subscribe(name, listener);
  return { seen, stop: () => diagnosticsChannel.unsubscribe(name, listener) };
}

describe('diagnostics_channel', () => {
  test('the channel names are the documented ones', () => {
    expect(Object.values(DIAGNOSTICS_CHANNELS).sort()).toEqual([
      'ipcm:client:connect',
      'ipcm:client:disconnect',
      'ipcm:client:error',
      'ipcm:client:message',
      'ipcm:client:request',
      'ipcm:client:response',
      'ipcm:client:send',
    ]);
  });

  test('nothing is built when no one subscribes (zero cost)', () => {
    const build = jest.fn();
    for (const publish of Object.values(diag)) publish(build as never);
    expect(Object.keys(diag).sort()).toEqual(Object.keys(DIAGNOSTICS_CHANNELS).sort());
    expect(build).not.toHaveBeenCalled();
  });

  test('a subscriber sees each event with its payload; content and messages by reference', () => {
    const watches = Object.values(DIAGNOSTICS_CHANNELS).map((name) => [name, watch(name)] as const);
    try {
      const content = { big: 'payload' };
      const message = createMessage({ from: 'b', to: 'a', content });
      const error = new ConnectError('refused');
      diag.connect(() => ({ clientId: 'a', peerId: 'b', direction: 'outbound' }));
      diag.disconnect(() => ({ clientId: 'a', peerId: 'b', direction: 'outbound', reason: 'closed' }));
      diag.send(() => ({ clientId: 'a', peerId: 'b', content }));
      diag.message(() => ({ clientId: 'a', message }));
      diag.error(() => ({ clientId: 'a', error, peerId: 'b' }));
      const seen = Object.fromEntries(watches.map(([name, w]) => [name, w.seen]));
      expect(seen['ipcm:client:connect']).toEqual([{ clientId: 'a', peerId: 'b', direction: 'outbound' }]);
      expect(seen['ipcm:client:disconnect']).toEqual([{ clientId: 'a', peerId: 'b', direction: 'outbound', reason: 'closed' }]);
      expect((seen['ipcm:client:send']?.[0] as { content: unknown }).content).toBe(content);
      expect((seen['ipcm:client:message']?.[0] as { message: unknown }).message).toBe(message);
      expect((seen['ipcm:client:error']?.[0] as { error: unknown }).error).toBe(error);
    } finally {
      for (const [, w] of watches) w.stop();
    }
  });

  test('a request table publishes ipcm:client:request and one ipcm:client:response per outcome', async () => {
    const requests = watch(DIAGNOSTICS_CHANNELS.request);
    const responses = watch(DIAGNOSTICS_CHANNELS.response);
    try {
      const timers = new FakeTimers();
      const [a, b] = pair({ timers });
      b.responder.handle((request) => {
        if (request === 'crash') throw new Error('no');
        if (request === 'hang') return new Promise(() => {});
        return 'ok';
      });
      await a.table.request('bob', 'hi');
      await a.table.request('bob', 'crash').catch(() => {});
      const hung = a.table.request('bob', 'hang', { timeoutMs: 10 }).catch(() => {});
      timers.advance(10);
      await hung;
      const gone = a.table.request('bob', 'hang').catch(() => {});
      a.table.peerGone('bob', new ConnectionClosedError('gone'));
      await gone;
      const outcomes = (responses.seen as ResponseDiagnostic[]).map((r) => r.outcome);
      expect(outcomes).toEqual(['answered', 'remote-error', 'timeout', 'failed']);
      const started = requests.seen as RequestDiagnostic[];
      expect(started).toHaveLength(4);
      expect(started[0]).toEqual({ clientId: 'alice', peerId: 'bob', requestId: expect.any(String) });
      expect((responses.seen as ResponseDiagnostic[]).map((r) => r.requestId)).toEqual(started.map((r) => r.requestId));
      expect((responses.seen[0] as ResponseDiagnostic).error).toBeUndefined();
      expect((responses.seen[2] as ResponseDiagnostic).error).toBeInstanceOf(Error);
    } finally {
      requests.stop();
      responses.stop();
    }
  });
});

describe('NODE_DEBUG=ipcm', () => {
  test('a life-cycle line names the event, ids JSON-quoted, and an error by code only', () => {
    const error = new ConnectError('connect ECONNREFUSED /tmp/secret-path', {
      cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    });
    expect(formatLifecycle('dial', { clientId: 'a', peerId: 'b\nc', direction: 'outbound', error })).toBe(
      'dial client="a" peer="b\\nc" direction=outbound error=ERR_IPCM_CONNECT(ECONNREFUSED)',
    );
    expect(formatLifecycle('evict', { clientId: 'a', peerId: 'b', reason: 'capacity', count: 2 })).toBe(
      'evict client="a" peer="b" reason="capacity" count=2',
    );
    expect(formatLifecycle('error', { clientId: 'a', error: 'a string thrown' })).toBe('error client="a" error=unknown');
  });

  // The real output of util.debuglog in a child process (needs the built dist/, as `pnpm test` does).
  const dist = path.resolve(__dirname, '../dist/diagnostics.js');
  const script = `
    const { debugLifecycle, debugEnabled } = require(${JSON.stringify(dist)});
    const secretError = Object.assign(new Error('content SECRET-CONTENT token TOKEN-0123'), { code: 'ERR_IPCM_AUTH' });
    for (const event of ['listen', 'dial', 'accept', 'hello', 'evict', 'reap', 'close', 'error']) {
      // Extra fields a careless caller might pass: never printed.
      debugLifecycle(event, { clientId: 'me', peerId: 'you', direction: 'inbound', reason: 'closed', error: secretError,
        content: 'SECRET-CONTENT', message: { content: 'SECRET-CONTENT' }, token: 'TOKEN-0123' });
    }
    process.stdout.write(String(debugEnabled()));
  `;

  test('prints the life-cycle events to stderr, with no content and no token', async () => {
    expect(existsSync(dist)).toBe(true);
    const { stdout, stderr } = await run(process.execPath, ['-e', script], { env: { ...process.env, NODE_DEBUG: 'ipcm' } });
    expect(stdout).toBe('true');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[1]).toMatch(/^IPCM \d+: dial client="me" peer="you" direction=inbound reason="closed" error=ERR_IPCM_AUTH$/);
    expect(stderr).not.toContain('SECRET');
    expect(stderr).not.toContain('TOKEN');
  });

  test('prints nothing without NODE_DEBUG=ipcm', async () => {
    const env = { ...process.env };
    delete env['NODE_DEBUG'];
    const { stdout, stderr } = await run(process.execPath, ['-e', script], { env });
    expect(stdout).toBe('false');
    expect(stderr).toBe('');
  });
});
