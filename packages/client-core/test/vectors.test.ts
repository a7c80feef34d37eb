// Frames captured from Perl IPC::Manager (test/fixtures, see perl-vectors.ts)
// decode, validate and re-encode as IPC::Manager meant them.
import { FrameDecoder } from '../src/frame-decoder.js';
import { encodeFrame } from '../src/frame-encoder.js';
import { decodeHello, decodeMessage } from '../src/message.js';
import { encodeValueFrame, jsonSerializer } from '../src/serializer.js';
import { split } from './helpers.js';
import { perlFrame, perlFrames } from './perl-vectors.js';

function decodeChunks(chunks: Buffer[]): unknown[] {
  const decoder = new FrameDecoder();
  const values: unknown[] = [];
  for (const chunk of chunks) decoder.decode(chunk, (payload) => values.push(jsonSerializer.decode(payload)));
  decoder.end();
  return values;
}

test('the fixtures hold the frames of both captures (0.000037 replies, 0.000038 interop)', () => {
  expect(perlFrames.map((v) => v.name)).toEqual([
    'reply with object content',
    'reply with string content',
    'hello from a peer that opened the connection',
    'message from a peer that opened the connection',
    'hello from a hashed id',
    'message from a hashed id',
    'broadcast',
    'non-ASCII and numbers',
    'hello from a non-listener',
    'empty-string content from a non-listener',
  ]);
});

describe.each(perlFrames.map((v) => [v.name, v] as const))('vector: %s', (_name, vector) => {
  const bytes = Buffer.from(vector.hex, 'hex');

  test('R7: decodes to the JSON shown, whole and in every chunk size', () => {
    expect(bytes.length).toBe(vector.bytes);
    expect(decodeChunks([bytes])).toEqual([vector.json]);
    for (let size = 1; size <= bytes.length; size++) {
      expect(decodeChunks(split(bytes, size))).toEqual([vector.json]);
    }
  });

  test('R7: decodes at every single split point (header split included)', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(decodeChunks([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([vector.json]);
    }
  });

  test('our encoder emits a frame that decodes back equal', () => {
    const frame = encodeValueFrame(vector.json);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(decodeChunks([frame])).toEqual([vector.json]);
    // The generic path (encode, then frame) gives the same bytes as the one-allocation path.
    expect(encodeFrame(jsonSerializer.encode(vector.json)).equals(frame)).toBe(true);
  });

  test('validates as a hello or as a message for its addressee (broadcast read as a boolean)', () => {
    const payload = bytes.subarray(4);
    const json = vector.json;
    if ('hello' in json) {
      expect(decodeHello(payload)).toBe(json['hello']);
    } else {
      const message = decodeMessage(payload, { self: json['to'] as string, helloId: json['from'] as string });
      const expected = 'broadcast' in json ? { ...json, broadcast: Boolean(json['broadcast']) } : json;
      expect(message).toEqual(expected);
    }
  });
});

test('R7: all vectors back to back, in 1-byte chunks, come out in order', () => {
  const stream = Buffer.concat(perlFrames.map((v) => Buffer.from(v.hex, 'hex')));
  expect(decodeChunks(split(stream, 1))).toEqual(perlFrames.map((v) => v.json));
  expect(decodeChunks(split(stream, 7))).toEqual(perlFrames.map((v) => v.json));
});

test('a Perl broadcast ("broadcast":1, "to" set to us) is delivered with broadcast: true', () => {
  const payload = perlFrame('broadcast').subarray(4);
  expect(payload.toString('latin1')).toContain('"broadcast":1,');
  const message = decodeMessage(payload, { self: 'rawcap', helloId: 'perlB' });
  expect(message.broadcast).toBe(true);
  expect(message).toMatchObject({ from: 'perlB', to: 'rawcap', content: { terminate: 1 } });
});

test('the hello and the messages of a hashed Perl peer carry its real id, not its h- name', () => {
  const id = decodeHello(perlFrame('hello from a hashed id').subarray(4));
  expect(id).toMatch(/^perl-x{120,}$/);
  const message = decodeMessage(perlFrame('message from a hashed id').subarray(4), { self: 'rawcap', helloId: id });
  expect(message.from).toBe(id);
  expect(message.content).toBe('from a hashed id');
});

test('a non-listener\'s hello is an ordinary hello, and "" is valid content', () => {
  expect(decodeHello(perlFrame('hello from a non-listener').subarray(4))).toBe('perlN');
  const message = decodeMessage(perlFrame('empty-string content from a non-listener').subarray(4), { self: 'rawcap', helloId: 'perlN' });
  expect(message.content).toBe('');
});

test('non-ASCII content: Perl\'s \\u escapes (surrogate pairs outside the BMP) decode, and we write the same bytes back', () => {
  const frame = perlFrame('non-ASCII and numbers');
  const message = decodeMessage(frame.subarray(4), { self: 'rawcap', helloId: 'perlB' });
  expect(message.content).toEqual({ text: 'héllo ✓ 😀 日本', numbers: [1, -3, 2.5, 0.1, 123456789012] });
  // Same value, same key order: our ASCII-only JSON is byte for byte Perl's.
  expect(encodeValueFrame(jsonSerializer.decode(frame.subarray(4))).equals(frame)).toBe(true);
});
