import { BadHelloError, BadJsonError, BadMessageError, InvalidIdError, IpcmError } from '../src/errors.js';
import { FrameDecoder } from '../src/frame-decoder.js';
import {
  MAX_PEER_ID_BYTES,
  createHello,
  createMessage,
  decodeHello,
  decodeMessage,
  encodeHello,
  isHello,
  parseHello,
  validateMessage,
  validatePeerId,
} from '../src/message.js';
import type { Message } from '../src/message.js';
import { encodeJsonMessageFrame } from '../src/message.js';
import { decodePayload, encodeValueFrame, jsonSerializer, parseJsonPayload, toAsciiJson } from '../src/serializer.js';
import type { Serializer } from '../src/serializer.js';
import { caught } from './helpers.js';

const conn = { self: 'alice', helloId: 'bob' };

function good(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'A-B', stamp: 1795286606.41218, stamp_ord: 0, from: 'bob', to: 'alice', content: { n: 1 }, ...extra };
}

function without(key: string): Record<string, unknown> {
  const value = good();
  delete value[key];
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

describe('JSON payloads', () => {
  test.each([
    ['truncated object', '{"from":"bob"'],
    ['trailing garbage', '{"a":1} x'],
    ['single quotes', "{'a':1}"],
    ['bare word', 'hello'],
    ['NaN', '{"a":NaN}'],
    ['byte order mark', '\ufeff{"a":1}'],
  ])('R1, R39: malformed JSON (%s) is a BadJsonError saying where, without the payload or a quoting cause', (_name, text) => {
    const err = caught(() => parseJsonPayload(Buffer.from(text, 'utf8')));
    expect(err).toBeInstanceOf(BadJsonError);
    expect((err as BadJsonError).code).toBe('ERR_IPCM_BAD_JSON');
    expect((err as Error).cause).toBeUndefined(); // V8's SyntaxError quotes the payload
    expect((err as Error).message).toMatch(/^frame payload \(\d+ bytes\) is not valid JSON: (syntax error at character \d+|it ends early|unexpected token)$/);
  });

  test('R4: a zero-length payload is a BadJsonError', () => {
    expect(() => jsonSerializer.decode(Buffer.alloc(0))).toThrow(BadJsonError);
    const decoder = new FrameDecoder();
    const [empty] = decoder.push(Buffer.alloc(4));
    expect(() => decodeMessage(empty as Buffer, conn)).toThrow(BadJsonError);
  });

  test.each([
    ['a stray continuation byte', [0x22, 0x80, 0x22]],
    ['a lead byte without continuation (C3 28)', [0x22, 0xc3, 0x28, 0x22]],
    ['a UTF-8 encoded surrogate (ED A0 80)', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['an overlong "/" (C0 AF)', [0x22, 0xc0, 0xaf, 0x22]],
    ['a code point past U+10FFFF (F4 90 80 80)', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]],
    ['a truncated sequence at the end (E2 82)', [0x22, 0xe2, 0x82]],
    ['0xFF', [0x22, 0xff, 0x22]],
  ])('R9: invalid UTF-8 (%s) is a BadJsonError, not replaced', (_name, bytes) => {
    const err = caught(() => parseJsonPayload(Buffer.from(bytes)));
    expect(err).toBeInstanceOf(BadJsonError);
    expect((err as Error).message).toMatch(/UTF-8/);
  });

  test('R9: valid raw UTF-8 from a non-escaping peer is accepted', () => {
    expect(parseJsonPayload(Buffer.from('{"t":"café ☃ 😀"}', 'utf8'))).toEqual({ t: 'café ☃ 😀' });
  });

  test('output is ASCII-only: non-ASCII and astral characters are escaped and round-trip', () => {
    const value = { 'clé': 'café ☃ 😀', lone: '\ud800', del: '\u007f', nested: ['ü', { ß: 'ÿ' }] };
    const json = toAsciiJson(value);
    expect(/^[\u0000-\u007f]*$/.test(json)).toBe(true);
    expect(json).toContain('caf\\u00e9 \\u2603 \\ud83d\\ude00');
    expect(json).toContain('"cl\\u00e9"');
    expect(json).toContain('\\ud800');
    const payload = jsonSerializer.encode(value);
    expect(payload.every((byte) => byte < 0x80)).toBe(true);
    expect(payload.toString('latin1')).toBe(json);
    expect(jsonSerializer.decode(payload)).toEqual(value);
    expect(JSON.parse(json)).toEqual(value);
  });

  test('all-ASCII JSON is exactly JSON.stringify', () => {
    const value = { a: [1, 2.5, null, true], b: 'plain "quoted" \\ text\n' };
    expect(toAsciiJson(value)).toBe(JSON.stringify(value));
  });

  test('values without a JSON form are TypeErrors', () => {
    expect(() => jsonSerializer.encode(undefined)).toThrow(TypeError);
    expect(() => jsonSerializer.encode(() => 1)).toThrow(TypeError);
    expect(() => jsonSerializer.encode({ n: 1n })).toThrow(TypeError);
  });

  test('the one-allocation frame equals the framed payload', () => {
    const value = good({ content: 'ünï' });
    const frame = jsonSerializer.encodeFrame(value);
    const payload = jsonSerializer.encode(value);
    expect(frame.readUInt32BE(0)).toBe(payload.length);
    expect(frame.subarray(4).equals(payload)).toBe(true);
  });

  test('a custom serializer is used, and its foreign errors become BadJsonError', () => {
    const reversing: Serializer = {
      encode: (value) => Buffer.from(JSON.stringify(value)).reverse(),
      decode: (payload) => JSON.parse(Buffer.from(payload).reverse().toString()) as unknown,
    };
    const frame = encodeValueFrame({ a: 1 }, reversing);
    expect(frame.subarray(4).toString()).toBe('}1:"a"{');
    expect(decodePayload(frame.subarray(4), reversing)).toEqual({ a: 1 });
    const err = caught(() => decodePayload(Buffer.from('nope'), reversing));
    expect(err).toBeInstanceOf(BadJsonError);
    expect((err as Error).cause).toBeInstanceOf(SyntaxError);
  });
});

describe('messages', () => {
  test('a well-formed message validates and is returned as is', () => {
    const value = good();
    expect(validateMessage(value, conn)).toBe(value);
  });

  test.each<[string, unknown]>([
    ['an array', [good()]],
    ['null', null],
    ['a string', 'hi'],
    ['a number', 42],
    ['missing from', without('from')],
    ['non-string from', good({ from: 7 })],
    ['missing content', without('content')],
    ['missing id', without('id')],
    ['non-string id', good({ id: 12 })],
    ['missing stamp', without('stamp')],
    ['string stamp', good({ stamp: '1795286606.4' })],
    ['missing stamp_ord', without('stamp_ord')],
    ['non-string to', good({ to: ['alice'] })],
    ['to not us', good({ to: 'carol' })],
    ['an object as broadcast', good({ broadcast: { yes: true } })],
    ['an array as broadcast', good({ broadcast: [1] })],
    ['from differs from the hello id', good({ from: 'mallory' })],
  ])('R2: %s is a BadMessageError', (_name, value) => {
    const err = caught(() => validateMessage(value, conn));
    expect(err).toBeInstanceOf(BadMessageError);
    expect((err as BadMessageError).code).toBe('ERR_IPCM_BAD_MESSAGE');
  });

  test('R2: the same shapes arriving as payloads are BadMessageErrors too', () => {
    for (const text of ['[]', '"hi"', '{"id":"x","stamp":1,"stamp_ord":0,"from":"bob"}']) {
      expect(() => decodeMessage(Buffer.from(text), conn)).toThrow(BadMessageError);
    }
  });

  test('R2: content may be any JSON value, null included; to may be absent', () => {
    for (const content of [null, 0, '', false, [], {}]) {
      expect(validateMessage(good({ content }), conn).content).toEqual(content);
    }
    expect(validateMessage(without('to'), conn).from).toBe('bob');
  });

  test('R2: a broadcast may name another recipient', () => {
    expect(validateMessage(good({ to: 'carol', broadcast: true }), conn).broadcast).toBe(true);
    expect(() => validateMessage(good({ to: 'carol', broadcast: false }), conn)).toThrow(BadMessageError);
  });

  // IPC::Manager sends "broadcast":1 and reads the key as a Perl truth value.
  test.each<[unknown, boolean]>([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    [-0, false],
    [2.5, true],
    ['1', true],
    ['0', false],
    ['', false],
    ['0.0', true],
    ['yes', true],
    [null, false],
  ])('a Perl-style broadcast flag %p is accepted and read as %p', (flag, expected) => {
    const message = validateMessage(good({ broadcast: flag }), conn);
    expect(message.broadcast).toBe(expected);
    // The "to" rule follows the flag as read: another recipient only on a true broadcast.
    if (expected) expect(validateMessage(good({ to: 'carol', broadcast: flag }), conn).broadcast).toBe(true);
    else expect(() => validateMessage(good({ to: 'carol', broadcast: flag }), conn)).toThrow(BadMessageError);
  });

  test('a message without broadcast gets no broadcast key', () => {
    expect(Object.hasOwn(validateMessage(good(), conn), 'broadcast')).toBe(false);
  });

  test('R2: a top-level __proto__ key is refused, and pollutes nothing', () => {
    const text =
      '{"id":"x","stamp":1,"stamp_ord":0,"from":"bob","to":"alice",' +
      '"__proto__":{"polluted":true,"from":"mallory"},"content":1}';
    expect(() => decodeMessage(Buffer.from(text), conn)).toThrow(BadMessageError);
    expect(() => decodeMessage(Buffer.from(text), conn)).toThrow(/__proto__/);
    const probe: Record<string, unknown> = {};
    expect(probe['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test('R2: __proto__ and constructor keys inside content are plain data: no pollution, prototype unchanged', () => {
    const text =
      '{"id":"x","stamp":1,"stamp_ord":0,"from":"bob","to":"alice",' +
      '"constructor":{"prototype":{"polluted":true}},' +
      '"content":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}';
    const message = decodeMessage(Buffer.from(text), conn);
    const probe: Record<string, unknown> = {};
    expect(probe['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
    const content = message.content as Record<string, unknown>;
    expect(Object.getPrototypeOf(content)).toBe(Object.prototype);
    expect(Object.hasOwn(content, '__proto__')).toBe(true);
    expect(content['polluted']).toBeUndefined();
    // The message keeps working: fields, serialization, copying.
    expect(message.from).toBe('bob');
    expect(String(message)).toBe('[object Object]');
    expect(jsonSerializer.decode(jsonSerializer.encode(message))).toEqual(message);
    const copy = { ...content };
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  test('R2: good messages before and after a bad one in one stream are still delivered', () => {
    const bad = '{"from":"bob"}';
    const stream = Buffer.concat(
      [good({ content: 1 }), bad, good({ content: 2 })].map((v) => encodeValueFrame(typeof v === 'string' ? JSON.parse(v) : v)),
    );
    const delivered: unknown[] = [];
    const errors: unknown[] = [];
    new FrameDecoder().decode(stream, (payload) => {
      try {
        delivered.push(decodeMessage(payload, conn).content);
      } catch (err) {
        errors.push(err);
      }
    });
    expect(delivered).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BadMessageError);
  });

  test('unknown keys are kept', () => {
    const message = decodeMessage(Buffer.from(JSON.stringify(good({ extra: { deep: [1] }, ttl: 5 }))), conn);
    expect(message['extra']).toEqual({ deep: [1] });
    expect(message['ttl']).toBe(5);
    expect(jsonSerializer.decode(encodeValueFrame(message).subarray(4))).toEqual(message);
  });

  test('createMessage: UUID id, stamp in epoch seconds from the clock, stamp_ord counting up', () => {
    const clock = { now: () => 1_795_286_606_412.5 };
    const a = createMessage({ from: 'alice', to: 'bob', content: { text: 'hi' } }, clock);
    const b = createMessage({ from: 'alice', to: 'bob', content: 'x' }, clock);
    expect(a.id).toMatch(UUID);
    expect(b.id).not.toBe(a.id);
    expect(a.stamp).toBeCloseTo(1_795_286_606.4125, 6);
    expect(Number.isInteger(a.stamp_ord)).toBe(true);
    expect(b.stamp_ord).toBe(a.stamp_ord + 1);
    expect(a).toEqual({ id: a.id, stamp: a.stamp, stamp_ord: a.stamp_ord, from: 'alice', to: 'bob', content: { text: 'hi' } });
    expect(Object.hasOwn(a, 'broadcast')).toBe(false);
  });

  test('createMessage: default clock is the wall clock in seconds; broadcast kept; to optional', () => {
    const before = Date.now() / 1000;
    const m = createMessage({ from: 'alice', broadcast: true, content: null });
    const after = Date.now() / 1000;
    expect(m.stamp).toBeGreaterThanOrEqual(before);
    expect(m.stamp).toBeLessThanOrEqual(after);
    expect(m.broadcast).toBe(true);
    expect(Object.hasOwn(m, 'to')).toBe(false);
  });

  test('createMessage: undefined content is a TypeError', () => {
    expect(() => createMessage({ from: 'alice', to: 'bob', content: undefined })).toThrow(TypeError);
  });

  test('encodeJsonMessageFrame writes byte for byte the frame of the message it stands for', () => {
    const clocks = [{ now: () => 1_795_286_606_412.5 }, { now: () => 1_795_286_606_000 }, { now: () => NaN }];
    const contents: unknown[] = [
      { seq: 1, text: 'hi' },
      'grüße 👋 \u2028',
      ['a', 1.5e300, -0, null, { nested: [true, false] }, new Date(0)],
      { text: 'x'.repeat(5000) + 'é' },
      0,
      false,
      { undefinedKey: undefined, fn: () => 1 },
    ];
    const parts: Array<[string, string, Record<string, unknown>]> = [
      [',"from":"alice","content":', ',"to":"bob"}', { from: 'alice', to: 'bob' }],
      [`,"from":${toAsciiJson('ñandú 🐦')},"content":`, ',"broadcast":true}', { from: 'ñandú 🐦', broadcast: true }],
    ];
    for (const clock of clocks) {
      for (const content of contents) {
        for (const [fromPart, tail, fields] of parts) {
          const frame = encodeJsonMessageFrame(fromPart, content, tail, clock) as Buffer;
          const sent = jsonSerializer.decode(frame.subarray(4)) as Message;
          expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
          expect(sent).toMatchObject(fields);
          expect(sent.id).toMatch(UUID);
          // The same message built and serialized whole gives the same bytes.
          const { id, stamp_ord } = sent;
          const whole = { id, stamp: clock.now() / 1000, stamp_ord, from: fields['from'], content, ...('to' in fields ? { to: fields['to'] } : { broadcast: true }) };
          expect(frame.equals(encodeValueFrame(whole))).toBe(true);
        }
      }
    }
  });

  test('encodeJsonMessageFrame leaves content with a toJSON() method to the whole-message path, and refuses what JSON cannot hold', () => {
    expect(encodeJsonMessageFrame(',"from":"a","content":', { toJSON: () => 1 }, '}')).toBeUndefined();
    expect(() => encodeJsonMessageFrame(',"from":"a","content":', { n: 1n }, '}')).toThrow(TypeError);
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(() => encodeJsonMessageFrame(',"from":"a","content":', circular, '}')).toThrow(TypeError);
  });

  test('a created message survives the wire and validates on the other side', () => {
    const sent: Message<{ text: string }> = createMessage({ from: 'bob', to: 'alice', content: { text: 'grüße 👋' } });
    const frame = encodeValueFrame(sent);
    expect(frame.subarray(4).every((byte) => byte < 0x80)).toBe(true);
    const [payload] = new FrameDecoder().push(frame);
    expect(decodeMessage(payload as Buffer, conn)).toEqual(sent);
  });
});

describe('hello and peer ids', () => {
  test('encodeHello writes {"hello":"<id>"} as a frame, and decodeHello reads it back', () => {
    const frame = encodeHello('alice');
    expect(frame.subarray(4).toString()).toBe('{"hello":"alice"}');
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(decodeHello(frame.subarray(4))).toBe('alice');
    expect(createHello('bob')).toEqual({ hello: 'bob' });
    expect(decodeHello(encodeHello('ñandú 🐦').subarray(4))).toBe('ñandú 🐦');
  });

  test.each<[string, string]>([
    ['not JSON', 'hello alice'],
    ['empty payload', ''],
    ['invalid UTF-8', '{"hello":"\u00ff"}'],
    ['an array', '["alice"]'],
    ['missing hello', '{"id":"alice"}'],
    ['empty id', '{"hello":""}'],
    ['non-string id (number)', '{"hello":42}'],
    ['non-string id (null)', '{"hello":null}'],
    ['non-string id (object)', '{"hello":{"id":"alice"}}'],
    ['too long', `{"hello":"${'a'.repeat(MAX_PEER_ID_BYTES + 1)}"}`],
    ['lone surrogate', '{"hello":"a\\ud800"}'],
    ['leading underscore', '{"hello":"_reserved"}'],
  ])('R11: bad hello (%s) is a BadHelloError', (_name, text) => {
    // latin1 so the "invalid UTF-8" case carries a raw 0xFF byte.
    const payload = Buffer.from(text, 'latin1');
    const err = caught(() => decodeHello(payload));
    expect(err).toBeInstanceOf(BadHelloError);
    expect((err as BadHelloError).code).toBe('ERR_IPCM_BAD_HELLO');
  });

  test('R11: causes say why: BadJsonError for undecodable, InvalidIdError for a bad id', () => {
    expect((caught(() => decodeHello(Buffer.from('nope'))) as Error).cause).toBeInstanceOf(BadJsonError);
    expect((caught(() => decodeHello(Buffer.from('{"hello":"_x"}'))) as Error).cause).toBeInstanceOf(InvalidIdError);
  });

  test('R11: parseHello takes decoded values and ignores extra keys', () => {
    expect(parseHello({ hello: 'alice', version: 2 })).toBe('alice');
    expect(() => parseHello([])).toThrow(BadHelloError);
    expect(() => parseHello(undefined)).toThrow(BadHelloError);
  });

  test.each<[string, unknown]>([
    ['a number', 1],
    ['undefined', undefined],
    ['empty', ''],
    ['too long', 'x'.repeat(MAX_PEER_ID_BYTES + 1)],
    ['too long in UTF-8 bytes', 'é'.repeat(MAX_PEER_ID_BYTES / 2 + 1)],
    ['a lone low surrogate', '\udc00x'],
    ['a lone high surrogate at the end', 'x\ud83d'],
    ['a leading underscore', '_x'],
  ])('R11: validatePeerId rejects %s with InvalidIdError', (_name, id) => {
    const err = caught(() => validatePeerId(id));
    expect(err).toBeInstanceOf(InvalidIdError);
    expect(err).toBeInstanceOf(IpcmError);
  });

  test.each([
    'a',
    'worker-1',
    'a/b',
    '..',
    'back\\slash',
    'h-not-a-hash',
    'x_',
    'ñandú 🐦',
    'x'.repeat(MAX_PEER_ID_BYTES),
    'é'.repeat(MAX_PEER_ID_BYTES / 2),
    'a\tb',
    'tab\there',
    'a\nb',
    'a\u001fb',
    'a\u007f',
    'a\u0000b',
    '\u0000abstract',
    '.',
    '😀',
  ])('validatePeerId accepts %p as IPC::Manager does (the route directory hashes unsafe names)', (id) => {
    expect(validatePeerId(id)).toBe(id);
  });

  test.each<[string, string, string]>([
    ['a tab', '{"hello":"tab\\there"}', 'tab\there'],
    ['a NUL', '{"hello":"a\\u0000b"}', 'a\u0000b'],
    ['a newline', '{"hello":"a\\nb"}', 'a\nb'],
    ['DEL', '{"hello":"a\\u007fb"}', 'a\u007fb'],
    ['a leading NUL', '{"hello":"\\u0000abstract"}', '\u0000abstract'],
  ])('R11: a hello from an id with %s is accepted (IPC::Manager peers use such ids)', (_name, text, id) => {
    expect(decodeHello(Buffer.from(text))).toBe(id);
  });

  test('encodeHello refuses an invalid own id', () => {
    expect(() => encodeHello('_me')).toThrow(InvalidIdError);
  });

  test('isHello tells a hello from a message', () => {
    expect(isHello({ hello: 'bob' })).toBe(true);
    expect(isHello(good())).toBe(false);
    expect(isHello(good({ hello: 'x' }))).toBe(false);
    expect(isHello(['hello'])).toBe(false);
    expect(isHello(null)).toBe(false);
  });
});
