import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FrameDecoder } from '../src/frame-decoder.js';
import { createMessage, decodeMessage } from '../src/message.js';
import { encodeValueFrame } from '../src/serializer.js';
import type { Message } from '../src/message.js';
import { RemoteError } from '../src/errors.js';
import {
  GENERIC_HANDLER_ERROR,
  isRequestContent,
  isResponseContent,
  requestContent,
  responseContent,
} from '../src/request-wire.js';
import type { RequestContent } from '../src/request-wire.js';
import { RequestTable } from '../src/requests.js';
import { Responder } from '../src/responder.js';

interface Frame {
  name: string;
  from: string;
  to: string;
  bytes: number;
  hex: string;
  json: { content: Record<string, unknown> } & Record<string, unknown>;
}

// Hand-built from reading IPC::Manager's source (see the file's "about"), not captured.
const fixture = JSON.parse(readFileSync(path.resolve(__dirname, 'fixtures/ipc-manager-requests.json'), 'utf8')) as {
  about: string;
  frames: Frame[];
};

function decodeFrame(frame: Frame): Message {
  const bytes = Buffer.from(frame.hex, 'hex');
  expect(bytes.length).toBe(frame.bytes);
  const payloads: Buffer[] = [];
  const decoder = new FrameDecoder();
  decoder.decode(bytes, (payload) => payloads.push(Buffer.from(payload)));
  decoder.end();
  expect(payloads).toHaveLength(1);
  return decodeMessage(payloads[0] as Buffer, { self: frame.to, helloId: frame.from });
}

/** The content's keys, sorted, with the JSON type of each value. */
function shape(content: unknown): Array<[string, string]> {
  return Object.entries(content as Record<string, unknown>)
    .map(([key, value]): [string, string] => [key, value === null ? 'null' : typeof value])
    .sort(([x], [y]) => (x < y ? -1 : 1));
}

function byName(prefix: string): Frame {
  const frame = fixture.frames.find((f) => f.name.startsWith(prefix));
  if (frame === undefined) throw new Error(`no fixture frame ${prefix}`);
  return frame;
}

test('the fixture says where its frames come from', () => {
  expect(fixture.about).toMatch(/NOT captured/);
  expect(fixture.about).toMatch(/Role\/Service\/Requests\.pm/);
  expect(fixture.frames.length).toBeGreaterThanOrEqual(8);
});

describe.each(fixture.frames.map((f) => [f.name, f] as const))('IPC::Manager frame: %s', (_name, frame) => {
  test('decodes to the JSON shown and is classified as IPC::Manager classifies it', () => {
    const message = decodeFrame(frame);
    expect(message).toEqual(frame.json);
    const isRequest = 'ipcm_request_id' in frame.json.content;
    expect(isRequestContent(message.content)).toBe(isRequest);
    expect(isResponseContent(message.content)).toBe(!isRequest);
  });
});

describe('our frames are shaped as IPC::Manager\'s', () => {
  test('a request: {"ipcm_request_id": <uuid>, "request": <value>}, nothing else', () => {
    const perl = decodeFrame(byName('request from a Perl requester'));
    let sent: RequestContent | undefined;
    const table = new RequestTable({ send: async (_peer, content) => void (sent = content) });
    void table.request('perlSvc', { op: 'add', args: [1, 2] }).catch(() => {});
    expect(shape(sent)).toEqual(shape(perl.content));
    expect(sent?.ipcm_request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // And on the wire: the message envelope IPC::Manager reads.
    const ours = JSON.parse(encodeValueFrame(createMessage({ from: 'nodeReq', to: 'perlSvc', content: sent })).subarray(4).toString('ascii'));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(perl).sort());
    table.close();
  });

  test('an undef request value is sent as null, as Perl does', () => {
    expect(byName('request whose value is undef').json.content).toMatchObject({ request: null });
    expect(requestContent('x', undefined)).toEqual({ ipcm_request_id: 'x', request: null });
  });

  async function answer(frame: Frame, handler: (request: unknown) => unknown, exposeErrorDetails = false): Promise<Record<string, unknown>> {
    const request = decodeFrame(frame);
    const sent: Array<Record<string, unknown>> = [];
    const responder = new Responder({ send: async (_peer, content) => void sent.push(content), onError: () => {} });
    responder.handle(handler, { exposeErrorDetails });
    expect(responder.accept(request)).toBe(true);
    while (responder.stats().running > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(1);
    return sent[0] as Record<string, unknown>;
  }

  test('a response to a Perl request: {"ipcm_response_id": <same id>, "response": <value>}', async () => {
    const request = byName('request from a Perl requester');
    const content = await answer(request, () => 'ok');
    expect(content).toEqual({ ipcm_response_id: request.json.content.ipcm_request_id, response: 'ok' });
    expect(shape(content)).toEqual(shape(byName('response from a Perl service').json.content));
  });

  test('a handler returning undefined answers "response": null, as a Perl handler returning undef', async () => {
    const content = await answer(byName('request from a Perl requester'), () => undefined);
    expect(shape(content)).toEqual(shape(byName('response whose value is undef').json.content));
  });

  test('a failing handler answers as IPC::Manager: response null and the generic ipcm_error', async () => {
    const content = await answer(byName('request from a Perl requester'), () => {
      throw new Error('secret internal failure');
    });
    const perl = byName('error response, generic').json.content;
    expect(shape(content)).toEqual(shape(perl));
    expect(content['ipcm_error']).toBe(perl['ipcm_error']);
    expect(content['ipcm_error']).toBe(GENERIC_HANDLER_ERROR);
  });

  test('with exposeErrorDetails, ipcm_error is the error message (as expose_error_details)', async () => {
    const content = await answer(byName('request from a Perl requester'), () => {
      throw new Error('detailed failure info');
    }, true);
    expect(content).toMatchObject({ response: null, ipcm_error: 'detailed failure info' });
  });

  test('a Node response frame decodes as the Perl ones do', () => {
    const ours = createMessage({ from: 'nodeSvc', to: 'perlReq', content: responseContent('01A1FF6B-B000-7A00-8000-000000000001', { n: 'caf\u00e9' }) });
    const frame = encodeValueFrame(ours);
    expect(frame.subarray(4).toString('latin1')).toContain('"caf\\u00e9"'); // ASCII-only, as ascii(1)
    expect(isResponseContent(decodeMessage(frame.subarray(4), { self: 'perlReq', helloId: 'nodeSvc' }).content)).toBe(true);
  });
});

describe('responses from a Perl service, given to a Node requester', () => {
  function tableWithId(id: string): RequestTable {
    return new RequestTable({ send: async () => {}, newId: () => id });
  }

  test('a response resolves with its value', async () => {
    const frame = byName('response from a Perl service');
    const table = tableWithId(String(frame.json.content.ipcm_response_id));
    const reply = table.request('perlSvc', 'hello');
    expect(table.accept(decodeFrame(frame))).toBe(true);
    await expect(reply).resolves.toBe('ok');
  });

  test('non-ASCII escaped by Perl arrives as the text', async () => {
    const frame = byName('response with non-ASCII');
    const table = tableWithId(String(frame.json.content.ipcm_response_id));
    const reply = table.request('perlSvc', 'name?');
    table.accept(decodeFrame(frame));
    await expect(reply).resolves.toEqual({ name: 'caf\u00e9 \u2603' });
  });

  test.each([
    ['error response, generic', 'Internal service error'],
    ['error response, detailed, die with a newline', 'detailed failure info\n'],
    ['error response, detailed, die without a newline', 'secret internal failure at lib/My/Service.pm line 12.\n'],
  ])('%s rejects with ERR_IPCM_REMOTE carrying the text', async (name, text) => {
    const frame = byName(name);
    const table = tableWithId(String(frame.json.content.ipcm_response_id));
    const reply = table.request('perlSvc', 'crash');
    table.accept(decodeFrame(frame));
    const error = await reply.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).remoteMessage).toBe(text);
    expect((error as RemoteError).requestId).toBe(frame.json.content.ipcm_response_id);
  });
});
