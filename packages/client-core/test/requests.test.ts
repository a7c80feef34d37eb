import { ClientClosedError, ConnectionClosedError, IpcmError } from '../src/errors.js';
import { createMessage } from '../src/message.js';
import type { Message } from '../src/message.js';
import { HandlerError, RemoteError, RequestTimeoutError, TooManyRequestsError } from '../src/errors.js';
import { GENERIC_HANDLER_ERROR, responseContent } from '../src/request-wire.js';
import type { ResponseContent } from '../src/request-wire.js';
import { RequestTable } from '../src/requests.js';
import { Responder } from '../src/responder.js';
import { FakeTimers } from './fake-timers.js';
import { pair, settle } from './request-pair.js';

/** A promise's rejection (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('RequestTable and Responder over an in-process pair', () => {
  test('a request resolves with the response value; the reply message is available too', async () => {
    const [a, b] = pair();
    b.responder.handle((request) => ({ doubled: (request as number) * 2 }));
    await expect(a.table.request('bob', 21)).resolves.toEqual({ doubled: 42 });
    const reply = (await a.table.requestMessage('bob', 1)) as Message<ResponseContent>;
    expect(reply.from).toBe('bob');
    expect(reply.content).toEqual({ ipcm_response_id: expect.any(String), response: { doubled: 2 } });
    expect(a.plain).toEqual([]);
    expect(b.plain).toEqual([]);
    expect(a.table.stats()).toMatchObject({ pending: 0, sent: 2, answered: 2, late: 0 });
    expect(b.responder.stats()).toEqual({ received: 2, running: 0, responded: 2, handlerErrors: 0, sendFailures: 0 });
  });

  test('the handler gets the request value and the whole request message', async () => {
    const [a, b] = pair();
    const seen: Array<[unknown, Message]> = [];
    b.responder.handle((request, message) => {
      seen.push([request, message]);
      return null;
    });
    await expect(a.table.request('bob', { q: 'x' })).resolves.toBeNull();
    expect(seen[0]?.[0]).toEqual({ q: 'x' });
    expect(seen[0]?.[1]).toMatchObject({ from: 'alice', to: 'bob', content: { request: { q: 'x' } } });
  });

  test('R46: 10,000 concurrent requests to one responder are all answered, in any order, and nothing is left behind', async () => {
    const timers = new FakeTimers();
    const [a, b] = pair({ timers, maxPendingRequests: 10_000 });
    const held: Array<() => void> = [];
    b.responder.handle(
      (request) =>
        new Promise<unknown>((resolve) => {
          held.push(() => resolve(request));
        }),
    );
    const count = 10_000;
    const replies = Array.from({ length: count }, (_, i) => a.table.request('bob', i));
    expect(a.table.pending).toBe(count);
    expect(timers.active).toBe(count);
    while (held.length < count) await settle();
    // Answer in reverse order: completion order is irrelevant.
    for (let i = held.length - 1; i >= 0; i--) held[i]?.();
    const values = await Promise.all(replies);
    expect(values).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(a.table.stats()).toMatchObject({ pending: 0, sent: count, answered: count, late: 0, timedOut: 0 });
    expect(timers.active).toBe(0); // every timer cleared: memory is back to nothing
    expect(b.responder.stats().running).toBe(0);
  });

  test('R45: a timeout rejects with ERR_IPCM_REQUEST_TIMEOUT; the late response is counted and dropped, not delivered', async () => {
    const timers = new FakeTimers();
    const [a, b] = pair({ timers });
    let answer: (() => void) | undefined;
    b.responder.handle(() => new Promise((resolve) => (answer = () => resolve('too late'))));
    const reply = a.table.request('bob', 'slow', { timeoutMs: 5_000 });
    while (answer === undefined) await settle();
    timers.advance(4_999);
    expect(a.table.pending).toBe(1);
    timers.advance(1);
    const error = await rejection(reply);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).code).toBe('ERR_IPCM_REQUEST_TIMEOUT');
    expect(a.table.stats()).toMatchObject({ pending: 0, timedOut: 1, late: 0 });
    answer();
    while (a.table.stats().late === 0) await settle();
    expect(a.table.stats()).toMatchObject({ late: 1, answered: 0 });
    expect(a.plain).toEqual([]);
  });

  test('the table timeout applies when the request names none; Infinity waits for ever', async () => {
    const timers = new FakeTimers();
    const [a, b] = pair({ timers, timeoutMs: 100 });
    b.responder.handle(() => new Promise(() => {}));
    const defaulted = a.table.request('bob', 1);
    const forever = a.table.request('bob', 2, { timeoutMs: Infinity });
    expect(timers.active).toBe(1);
    timers.advance(100);
    expect(await rejection(defaulted)).toBeInstanceOf(RequestTimeoutError);
    timers.advance(1e12);
    expect(a.table.pending).toBe(1);
    a.table.close();
    expect(await rejection(forever)).toBeInstanceOf(ClientClosedError);
  });

  test('abort rejects at once with signal.reason, and a later response counts as late', async () => {
    const timers = new FakeTimers();
    const [a, b] = pair({ timers });
    let answer: (() => void) | undefined;
    b.responder.handle(() => new Promise((resolve) => (answer = () => resolve('ignored'))));
    const controller = new AbortController();
    const reply = a.table.request('bob', 'x', { signal: controller.signal });
    while (answer === undefined) await settle();
    controller.abort();
    const error = await rejection(reply);
    expect(error).toBe(controller.signal.reason);
    expect((error as DOMException).name).toBe('AbortError');
    expect(timers.active).toBe(0);
    answer();
    while (a.table.stats().late === 0) await settle();
    expect(a.table.stats()).toMatchObject({ aborted: 1, late: 1, pending: 0 });
  });

  test('abort with a reason of the caller rejects with that reason', async () => {
    const [a, b] = pair({ timers: new FakeTimers() });
    b.responder.handle(() => new Promise(() => {}));
    const controller = new AbortController();
    const reply = a.table.request('bob', 'x', { signal: controller.signal });
    const reason = new Error('user gave up');
    controller.abort(reason);
    expect(await rejection(reply)).toBe(reason);
  });

  test('an already aborted signal rejects without sending anything', async () => {
    const [a, b] = pair();
    b.responder.handle(() => 'x');
    const reason = new Error('before');
    const error = await rejection(a.table.request('bob', 'x', { signal: AbortSignal.abort(reason) }));
    expect(error).toBe(reason);
    await settle();
    expect(a.framesSent).toBe(0);
    expect(b.responder.stats().received).toBe(0);
  });

  test('the abort listener is removed once the request settles', async () => {
    const [a, b] = pair();
    b.responder.handle(() => 'ok');
    const controller = new AbortController();
    await a.table.request('bob', 'x', { signal: controller.signal });
    controller.abort(); // must not count or throw
    expect(a.table.stats().aborted).toBe(0);
  });

  test('a handler that throws: the requester gets ERR_IPCM_REMOTE with the generic text, no details; the responder reports ERR_IPCM_HANDLER', async () => {
    const [a, b] = pair();
    const thrown = new Error('secret internal failure');
    b.responder.handle(() => {
      throw thrown;
    });
    const error = await rejection(a.table.request('bob', 'crash'));
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toBeInstanceOf(IpcmError);
    const remote = error as RemoteError;
    expect(remote.code).toBe('ERR_IPCM_REMOTE');
    expect(remote.remoteMessage).toBe(GENERIC_HANDLER_ERROR);
    expect(remote.message).toContain('Internal service error');
    expect(remote.message).not.toContain('secret');
    expect(remote.peerId).toBe('bob');
    expect(a.table.stats()).toMatchObject({ remoteErrors: 1, answered: 0 });
    await settle();
    expect(b.errors).toHaveLength(1);
    expect(b.errors[0]?.error).toBeInstanceOf(HandlerError);
    expect(b.errors[0]?.error.cause).toBe(thrown);
    expect(b.errors[0]?.peerId).toBe('alice');
    // The responder goes on answering.
    b.responder.handle(() => 'ok');
    await expect(a.table.request('bob', 'hello')).resolves.toBe('ok');
  });

  test('exposeErrorDetails sends the error message; a rejected promise counts as a throw', async () => {
    const [a, b] = pair();
    b.responder.handle(() => Promise.reject(new Error('detailed failure info')), { exposeErrorDetails: true });
    const error = (await rejection(a.table.request('bob', 'crash'))) as RemoteError;
    expect(error.remoteMessage).toBe('detailed failure info');
    expect(error.message).toContain('detailed failure info');
    expect(b.responder.stats()).toMatchObject({ handlerErrors: 1, responded: 1 });
  });

  test('a remote error message quotes the peer text escaped and cut short; remoteMessage keeps it whole', async () => {
    const [a, b] = pair();
    const text = `line one\nline two\u0007${'x'.repeat(500)}`;
    b.responder.handle(() => {
      throw new Error(text);
    }, { exposeErrorDetails: true });
    const error = (await rejection(a.table.request('bob', 'crash'))) as RemoteError;
    expect(error.remoteMessage).toBe(text);
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
    expect(error.message.length).toBeLessThan(300);
  });

  test('R46: past maxPendingRequests a request is refused with ERR_IPCM_TOO_MANY_REQUESTS and nothing is sent', async () => {
    const [a, b] = pair({ maxPendingRequests: 2 });
    const release: Array<() => void> = [];
    b.responder.handle((request) => new Promise((resolve) => release.push(() => resolve(request))));
    const first = a.table.request('bob', 1);
    const second = a.table.request('bob', 2);
    const error = await rejection(a.table.request('bob', 3));
    expect(error).toBeInstanceOf(TooManyRequestsError);
    expect((error as TooManyRequestsError).code).toBe('ERR_IPCM_TOO_MANY_REQUESTS');
    while (release.length < 2) await settle();
    expect(b.responder.stats().received).toBe(2);
    release[0]?.();
    await expect(first).resolves.toBe(1);
    const fourth = a.table.request('bob', 4); // room again
    while (release.length < 3) await settle();
    release[1]?.();
    release[2]?.();
    await expect(Promise.all([second, fourth])).resolves.toEqual([2, 4]);
    expect(a.table.stats()).toMatchObject({ refused: 1, answered: 3, pending: 0 });
  });

  test('R45: peerGone rejects that peer\'s requests at once, and only those', async () => {
    const timers = new FakeTimers();
    const [a, b] = pair({ timers });
    b.responder.handle(() => new Promise(() => {}));
    const toBob = [a.table.request('bob', 1), a.table.request('bob', 2)];
    const elsewhere = a.table.request('carol', 3); // the fake transport rejects it: no such peer
    expect(await rejection(elsewhere)).toEqual(new Error('no peer carol'));
    expect(a.table.peerGone('bob')).toBe(2);
    for (const reply of toBob) {
      const error = await rejection(reply);
      expect(error).toBeInstanceOf(ConnectionClosedError);
    }
    expect(timers.active).toBe(0);
    expect(a.table.peerGone('bob')).toBe(0);
    expect(a.table.stats()).toMatchObject({ failed: 3, pending: 0 });
  });

  test('peerGone rejects with the error the client gives', async () => {
    const [a, b] = pair();
    b.responder.handle(() => new Promise(() => {}));
    const reply = a.table.request('bob', 1);
    const gone = new ConnectionClosedError('bob died');
    a.table.peerGone('bob', gone);
    expect(await rejection(reply)).toBe(gone);
  });

  test('R46: close() rejects what is pending and every later request with ERR_IPCM_CLIENT_CLOSED; idempotent', async () => {
    const timers = new FakeTimers();
    const [a, b] = pair({ timers });
    b.responder.handle(() => new Promise(() => {}));
    const replies = [a.table.request('bob', 1), a.table.request('bob', 2)];
    a.table.close();
    a.table.close(new Error('second close is ignored'));
    expect(a.table.closed).toBe(true);
    for (const reply of replies) expect(await rejection(reply)).toBeInstanceOf(ClientClosedError);
    expect(await rejection(a.table.request('bob', 3))).toBeInstanceOf(ClientClosedError);
    expect(timers.active).toBe(0);
    expect(a.table.stats()).toMatchObject({ pending: 0, failed: 2 });
  });

  test('a failed send rejects the request with the send error', async () => {
    const [a] = pair({ timers: new FakeTimers() });
    const broken = new ConnectionClosedError('gone while writing');
    a.failSends = broken;
    expect(await rejection(a.table.request('bob', 1))).toBe(broken);
    expect(a.table.stats()).toMatchObject({ failed: 1, sent: 0, pending: 0 });
  });

  test('a send function that throws synchronously rejects the request', async () => {
    const table = new RequestTable({
      send: () => {
        throw new TypeError('bad');
      },
    });
    expect(await rejection(table.request('bob', 1))).toBeInstanceOf(TypeError);
    expect(table.pending).toBe(0);
  });

  test('a response from another peer than the one asked is not taken as the answer', async () => {
    let requestId = '';
    const table = new RequestTable({ send: async () => {}, newId: () => (requestId = 'fixed-id') });
    const reply = table.request('bob', 1);
    const forged = createMessage({ from: 'mallory', to: 'alice', content: responseContent(requestId, 'forged') });
    expect(table.accept(forged)).toBe(true);
    expect(table.stats()).toMatchObject({ late: 1, pending: 1 });
    const real = createMessage({ from: 'bob', to: 'alice', content: responseContent(requestId, 'real') });
    expect(table.accept(real)).toBe(true);
    await expect(reply).resolves.toBe('real');
  });

  test('a failed response send goes to onError, not to an exception', async () => {
    const [a, b] = pair({ timers: new FakeTimers() });
    b.responder.handle(() => 'answer');
    const broken = new ConnectionClosedError('alice went away');
    b.failSends = broken;
    const reply = a.table.request('bob', 1);
    while (b.errors.length === 0) await settle();
    expect(b.errors[0]?.error).toBe(broken);
    expect(b.responder.stats()).toMatchObject({ sendFailures: 1, responded: 0, running: 0 });
    a.table.close();
    await rejection(reply);
  });

  test('without a handler a request is delivered as a plain message, and can be answered by hand', async () => {
    const [a, b] = pair();
    const reply = a.table.request('bob', 'by hand');
    while (b.plain.length === 0) await settle();
    const message = b.plain[0] as Message<{ ipcm_request_id: string; request: unknown }>;
    expect(message.content).toEqual({ ipcm_request_id: expect.any(String), request: 'by hand' });
    await b.send('alice', responseContent(message.content.ipcm_request_id, 'done'));
    await expect(reply).resolves.toBe('done');
    b.responder.handle(() => 'x');
    b.responder.handle(null);
    expect(b.responder.handling).toBe(false);
  });

  test('plain messages, and contents that only look like requests in JavaScript, pass through', () => {
    const table = new RequestTable({ send: async () => {} });
    const responder = new Responder({ send: async () => {}, onError: () => {} });
    responder.handle(() => 'x');
    for (const content of [
      'text',
      null,
      [1, 2],
      { hello: 1 },
      { ipcm_request_id: '0', request: 1 }, // Perl's "0" is false
      { ipcm_request_id: '', request: 1 },
      { ipcm_response_id: 0, response: 1 },
      { ipcm_response_id: null, response: 1 },
    ]) {
      const message = createMessage({ from: 'bob', to: 'alice', content });
      expect(table.accept(message)).toBe(false);
      expect(responder.accept(message)).toBe(false);
    }
    expect(table.stats().late).toBe(0);
  });

  test('content with both ids is a request, as IPC::Manager checks the request id first', () => {
    const table = new RequestTable({ send: async () => {} });
    const message = createMessage({ from: 'bob', to: 'alice', content: { ipcm_request_id: 'r', ipcm_response_id: 'x', request: 1 } });
    expect(table.accept(message)).toBe(false);
  });

  test('an undefined request or response value travels as null (Perl undef)', async () => {
    const [a, b] = pair();
    const seen: unknown[] = [];
    b.responder.handle((request) => {
      seen.push(request);
      return undefined;
    });
    const reply = (await a.table.requestMessage('bob', undefined)) as Message<ResponseContent>;
    expect(seen).toEqual([null]);
    expect(reply.content).toEqual({ ipcm_response_id: expect.any(String), response: null });
  });

  test('options are checked, naming the option and the value', async () => {
    const send = async (): Promise<void> => {};
    expect(() => new RequestTable({ send, maxPendingRequests: 0 })).toThrow(/maxPendingRequests.*received 0/);
    expect(() => new RequestTable({ send, timeoutMs: -1 })).toThrow(RangeError);
    expect(() => new RequestTable({ send, timeoutMs: 2 ** 31 })).toThrow(RangeError);
    const table = new RequestTable({ send });
    expect(await rejection(table.request('bob', 1, { timeoutMs: 0 }))).toBeInstanceOf(RangeError);
    // A per-request timeout past 2^31 - 1 ms would fire after 1 ms: refused, coded.
    expect(await rejection(table.request('bob', 1, { timeoutMs: 2 ** 31 }))).toMatchObject({ name: 'OptionRangeError', code: 'ERR_IPCM_INVALID_OPTION' });
    expect(table.pending).toBe(0);
    const responder = pair()[0].responder;
    expect(() => responder.handle('no' as never)).toThrow(TypeError);
    expect(() => responder.handle(() => 1, { exposeErrorDetails: 'yes' as never })).toThrow(/exposeErrorDetails/);
  });

  test('whenIdle resolves once the running handlers have sent their answers', async () => {
    const [a, b] = pair();
    await b.responder.whenIdle(); // nothing running
    let release: (() => void) | undefined;
    b.responder.handle(() => new Promise((resolve) => (release = () => resolve('done'))));
    const reply = a.table.request('bob', 1);
    while (release === undefined) await settle();
    let idle = false;
    const whenIdle = b.responder.whenIdle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    release();
    await whenIdle;
    expect(b.responder.stats()).toMatchObject({ running: 0, responded: 1 });
    await expect(reply).resolves.toBe('done');
  });
});
