import { spawn } from 'node:child_process';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import {
  DIAGNOSTICS_CHANNELS,
  GENERIC_HANDLER_ERROR,
  type IpcmError,
  type Message,
  type RemoteError,
  type ResponseDiagnostic,
} from '@ipcm/client-core';
import { FakeTimers, settledFlag } from '../fake-timers.js';
import { Harness, nextErrors, nextMessages, type ConformanceTarget } from './harness.js';

/** Resolves with the next payload published on `name` that `match` accepts, then unsubscribes. */
function nextPublished<P>(name: string, match: (payload: P) => boolean = () => true): Promise<P> {
  return new Promise((resolve) => {
    const onPublish = (payload: unknown): void => {
      if (!match(payload as P)) return;
      diagnosticsChannel.unsubscribe(name, onPublish);
      resolve(payload as P);
    };
    diagnosticsChannel.subscribe(name, onPublish);
  });
}

/**
 * Request/response between clients (IPC::Manager's `ipcm_request_id` /
 * `ipcm_response_id` messages), across processes where it matters: R45,
 * R46, timeouts, aborts, handler errors, close, and the observability of a
 * real client pair.
 */
export function defineRequestSuite(target: ConformanceTarget): void {
  describe(`${target.name} client: requests and responses`, () => {
    const h = new Harness(target);
    beforeEach(() => h.setup());
    afterEach(() => h.cleanup());

    test('a request to another process is answered, and that process requests us back', async () => {
      const app = await h.client('app');
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'echo' });
      await expect(app.request('kid', { n: 1 })).resolves.toEqual({ echo: { n: 1 } });
      const reply = await app.requestMessage('kid', [1, 2]);
      expect(reply).toMatchObject({ from: 'kid', to: 'app', content: { response: { echo: [1, 2] } } });
      expect(typeof reply.content.ipcm_response_id).toBe('string');

      app.handle((request) => ({ doubled: (request as number) * 2 }));
      await expect(kid.command({ cmd: 'request', to: 'app', value: 21 })).resolves.toMatchObject({ responses: [{ doubled: 42 }] });
      // Requests and responses never reached 'message'; plain messages still do.
      const plain = nextMessages(app, 1);
      await kid.command({ cmd: 'send', to: 'app', content: 'plain' });
      expect((await plain)[0]?.content).toBe('plain');
      expect(app.stats().requests).toMatchObject({ answered: 2, pending: 0, late: 0 });
      expect(app.stats().responder).toMatchObject({ received: 1, responded: 1, running: 0 });
    });

    test('R45: the responder SIGKILLed mid-request rejects it promptly, not after the timeout', async () => {
      const timers = new FakeTimers(); // never advanced: the timeout cannot be what rejects
      const app = await h.client('app', { timers });
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'hang' });
      const connected = once(app, 'connect');
      const answer = app.request('kid', 'work', { timeoutMs: 60_000 });
      await connected;
      kid.process.kill('SIGKILL');
      await expect(answer).rejects.toMatchObject({ code: 'ERR_IPCM_CONNECTION_CLOSED' });
      // (The same timers drive the connection timeouts, so only the request's own count is checked.)
      expect(app.stats().requests).toMatchObject({ failed: 1, timedOut: 0, pending: 0 });
    });

    test('a request times out after timeoutMs on the injected timers', async () => {
      const timers = new FakeTimers();
      const app = await h.client('app', { timers, requestTimeoutMs: 5000 });
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'hang' });
      const answer = app.request('kid', 'work');
      timers.advance(4999);
      expect(app.stats().requests.pending).toBe(1);
      timers.advance(1);
      await expect(answer).rejects.toMatchObject({ code: 'ERR_IPCM_REQUEST_TIMEOUT' });
      expect(app.stats().requests).toMatchObject({ timedOut: 1, pending: 0 });
    });

    test('R45: a late response after the timeout is counted and dropped, never delivered as a message', async () => {
      const timers = new FakeTimers();
      const app = await h.client('app', { timers });
      const calc = await h.client('calc');
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const taken = once(calc, 'connect');
      calc.handle(async (n) => {
        await gate;
        return (n as number) + 1;
      });
      const delivered: Message[] = [];
      app.on('message', (message) => delivered.push(message));
      const answer = app.request('calc', 1, { timeoutMs: 1000 });
      await taken;
      timers.advance(1000);
      await expect(answer).rejects.toMatchObject({ code: 'ERR_IPCM_REQUEST_TIMEOUT' });
      const late = nextPublished<ResponseDiagnostic>(DIAGNOSTICS_CHANNELS.response, (p) => p.clientId === 'app' && p.outcome === 'late');
      release();
      await late;
      // A plain message sent after the response arrives after it (one connection, in order).
      const after = nextMessages(app, 1);
      await calc.send('app', 'after');
      await after;
      expect(delivered.map((m) => m.content)).toEqual(['after']);
      expect(app.stats().requests).toMatchObject({ late: 1, timedOut: 1, answered: 0 });
    });

    test('an aborted request rejects with the signal reason and is counted', async () => {
      const app = await h.client('app');
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'hang' });
      const controller = new AbortController();
      const answer = app.request('kid', 'work', { signal: controller.signal });
      controller.abort();
      await expect(answer).rejects.toMatchObject({ name: 'AbortError' });
      await expect(app.request('kid', 'x', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(app.stats().requests).toMatchObject({ aborted: 2, pending: 0 });
    });

    test('a handler that throws answers ipcm_error: the generic text unless details are exposed', async () => {
      const app = await h.client('app');
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'throw', secret: 'db password is hunter2' });
      const hidden = (await app.request('kid', 1).catch((error: unknown) => error)) as RemoteError;
      expect(hidden).toMatchObject({ code: 'ERR_IPCM_REMOTE', remoteMessage: GENERIC_HANDLER_ERROR, peerId: 'kid' });
      expect(hidden.message).not.toContain('hunter2');
      await kid.command({ cmd: 'handle', kind: 'throw', secret: 'db password is hunter2', exposeErrorDetails: true });
      await expect(app.request('kid', 1)).rejects.toMatchObject({ code: 'ERR_IPCM_REMOTE', remoteMessage: 'db password is hunter2' });
      expect(app.stats().requests.remoteErrors).toBe(2);
    });

    test('the responding client reports a handler failure as ERR_IPCM_HANDLER with the thrown cause', async () => {
      const app = await h.client('app');
      const calc = await h.client('calc', { exposeErrorDetails: true });
      const thrown = new Error('no such op');
      calc.handle(() => {
        throw thrown;
      });
      const reported = nextErrors(calc, 1);
      await expect(app.request('calc', 'op')).rejects.toMatchObject({ remoteMessage: 'no such op' });
      const [error] = await reported;
      expect(error).toMatchObject({ code: 'ERR_IPCM_HANDLER', cause: thrown });
      expect(calc.stats().responder).toMatchObject({ handlerErrors: 1, responded: 1 });
    });

    test('R46: 10,000 concurrent requests to one responder process are all answered', async () => {
      const app = await h.client('app');
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'echo' });
      const answers = await Promise.all(Array.from({ length: 10_000 }, (_, i) => app.request('kid', i)));
      expect(answers.every((answer, i) => (answer as { echo: number }).echo === i)).toBe(true);
      expect(app.stats().requests).toMatchObject({ answered: 10_000, pending: 0, late: 0 });
    });

    test('R46: 10,000 concurrent requests from another process run at most maxQueuedMessages handlers at once', async () => {
      const calc = await h.client('calc', { maxQueuedMessages: 100 });
      let running = 0;
      let most = 0;
      calc.handle(async (n) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return n;
      });
      const kid = await h.child('kid');
      const reply = await kid.command({ cmd: 'request', to: 'calc', value: 7, count: 10_000, timeoutMs: 600_000 });
      expect(reply['error']).toBeUndefined();
      expect((reply['responses'] as unknown[]).length).toBe(10_000);
      expect(most).toBeLessThanOrEqual(100);
      expect(most).toBeGreaterThan(1);
      expect(calc.stats().responder).toMatchObject({ received: 10_000, responded: 10_000, running: 0 });
    });

    test('R46: pending requests are bounded by maxPendingRequests', async () => {
      const app = await h.client('app', { maxPendingRequests: 2 });
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'hang' });
      const waiting = [app.request('kid', 1), app.request('kid', 2)].map((p) => p.catch((error: IpcmError) => error));
      await expect(app.request('kid', 3)).rejects.toMatchObject({ code: 'ERR_IPCM_TOO_MANY_REQUESTS' });
      expect(app.stats().requests).toMatchObject({ pending: 2, refused: 1 });
      await app.destroy();
      for (const error of await Promise.all(waiting)) expect(error).toMatchObject({ code: 'ERR_IPCM_CLIENT_CLOSED' });
    });

    test('R46: close() rejects the requests still pending with ERR_IPCM_CLIENT_CLOSED (injected timers, never advanced: no linger to wait out)', async () => {
      const app = await h.client('app', { timers: new FakeTimers() });
      const kid = await h.child('kid');
      await kid.command({ cmd: 'handle', kind: 'hang' });
      const answer = app.request('kid', 'work', { timeoutMs: Infinity });
      const settled = answer.catch((error: IpcmError) => error);
      await once(app, 'connect');
      await app.close();
      expect(await settled).toMatchObject({ code: 'ERR_IPCM_CLIENT_CLOSED' });
      await expect(app.request('kid', 'more')).rejects.toMatchObject({ code: 'ERR_IPCM_CLIENT_CLOSED' });
    });

    test('close() lets a running handler answer before the connections end', async () => {
      const app = await h.client('app');
      const calc = await h.client('calc');
      let release: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        calc.handle(async () => {
          resolve();
          await new Promise<void>((r) => (release = r));
          return 'done';
        });
      });
      const answer = app.request('calc', 'x');
      await started;
      const closing = calc.close();
      release();
      await closing;
      await expect(answer).resolves.toBe('done');
    });

    test('close() waits for a running handler at most lingerMs, on the injected timers', async () => {
      const timers = new FakeTimers();
      const app = await h.client('app');
      const calc = await h.client('calc', { timers, lingerMs: 30_000 });
      const started = new Promise<void>((resolve) => calc.handle(() => (resolve(), new Promise<never>(() => {}))));
      const answer = app.request('calc', 'x').catch((error: IpcmError) => error);
      await started;
      const closing = calc.close();
      const closed = settledFlag(closing);
      const turns = async (): Promise<void> => {
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      };
      await turns();
      timers.advance(29_999);
      await turns();
      expect(closed()).toBe(false);
      timers.advance(1);
      await closing;
      expect(await answer).toMatchObject({ code: expect.stringMatching(/^ERR_IPCM_/) as unknown });
    });

    test('a diagnostics_channel subscriber sees connect, send, message, request, response and disconnect', async () => {
      const seen: Array<{ channel: string; payload: Record<string, unknown> }> = [];
      const subscribers = Object.values(DIAGNOSTICS_CHANNELS).map((name) => {
        const onPublish = (payload: unknown): void => {
          const p = payload as Record<string, unknown>;
          if (p['clientId'] === 'diag-a') seen.push({ channel: name, payload: p });
        };
        diagnosticsChannel.subscribe(name, onPublish);
        return () => diagnosticsChannel.unsubscribe(name, onPublish);
      });
      try {
        const a = await h.client('diag-a');
        const b = await h.client('diag-b');
        b.handle((n) => n);
        const got = nextMessages(a, 1);
        await a.send('diag-b', { hi: 1 });
        await a.request('diag-b', 5);
        await b.send('diag-a', 'back');
        await got;
        const gone = once(a, 'disconnect');
        a.disconnectConnection('diag-b');
        await gone;
        const channels = new Set(seen.map((e) => e.channel));
        for (const name of ['connect', 'send', 'message', 'request', 'response', 'disconnect'] as const) {
          expect(channels).toContain(DIAGNOSTICS_CHANNELS[name]);
        }
        expect(seen.find((e) => e.channel === DIAGNOSTICS_CHANNELS.send)?.payload).toMatchObject({ peerId: 'diag-b', content: { hi: 1 } });
        expect(seen.find((e) => e.channel === DIAGNOSTICS_CHANNELS.connect)?.payload).toMatchObject({ peerId: 'diag-b', direction: 'outbound' });
        expect(seen.find((e) => e.channel === DIAGNOSTICS_CHANNELS.response)?.payload).toMatchObject({ outcome: 'answered' });
      } finally {
        for (const unsubscribe of subscribers) unsubscribe();
      }
    });

    test('create() with an aborted signal releases the claim: the id can be claimed again at once', async () => {
      const controller = new AbortController();
      const reason = new Error('stop');
      const creating = target.create({ id: 'quitter', route: h.route }, { signal: controller.signal });
      controller.abort(reason);
      await expect(creating).rejects.toBe(reason);
      const again = await h.client('quitter');
      expect(again.closed).toBe(false);
    });

    test('close({ signal }) aborted turns into destroy', async () => {
      const app = await h.client('app');
      const controller = new AbortController();
      controller.abort();
      await app.close({ signal: controller.signal });
      expect(app.closed).toBe(true);
    });

    test('an unref()ed client that only answers lets its process exit', async () => {
      const script = `
        const { ${target.childModule.exportName}: C } = require(${JSON.stringify(target.childModule.path)});
        C.create(${JSON.stringify({ id: 'quiet', route: h.route, ...target.childOptions })}).then((client) => {
          client.handle((n) => n).unref();
          process.stdout.write('ready');
        });`;
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    });
  });
}
