import fc from 'fast-check';
import { FrameTooLargeError, IpcmError, TruncatedFrameError } from '../src/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from '../src/frame-decoder.js';
import { encodeFrame, frameLength, writeFrame, writeFrameHeader } from '../src/frame-encoder.js';
import { caught, split } from './helpers.js';

const MAX = 1024;

function header(length: number): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(length, 0);
  return h;
}

function frames(...payloads: (string | Buffer)[]): Buffer {
  return Buffer.concat(payloads.map((p) => encodeFrame(typeof p === 'string' ? Buffer.from(p) : p)));
}

/** Feeds `chunks` and returns every payload as a string, checking the memory bound after each. */
function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    decoder.decode(chunk, (payload) => out.push(payload.toString('latin1')));
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + decoder.maxFrameBytes);
  }
  return out;
}

describe('encoder', () => {
  test('encodeFrame writes a 4-byte big-endian length then the payload', () => {
    expect(encodeFrame(Buffer.from('abc')).toString('hex')).toBe('00000003616263');
    expect(encodeFrame(Buffer.alloc(0)).toString('hex')).toBe('00000000');
    expect(encodeFrame(Buffer.alloc(0x010203)).subarray(0, 4).toString('hex')).toBe('00010203');
  });

  test('frameLength and writeFrame batch several frames into one buffer', () => {
    const a = Buffer.from('first');
    const b = Buffer.from('second!');
    const batch = Buffer.alloc(frameLength(a.length) + frameLength(b.length));
    const end = writeFrame(batch, writeFrame(batch, 0, a), b);
    expect(end).toBe(batch.length);
    expect(batch.equals(frames(a, b))).toBe(true);
  });

  test('writeFrameHeader returns where the payload goes', () => {
    const buf = Buffer.alloc(10);
    expect(writeFrameHeader(buf, 2, 4)).toBe(6);
    expect(buf.subarray(2, 6).toString('hex')).toBe('00000004');
  });

  test('bad lengths and short targets are RangeErrors', () => {
    expect(() => frameLength(-1)).toThrow(RangeError);
    expect(() => frameLength(0x100000000)).toThrow(RangeError);
    expect(() => frameLength(1.5)).toThrow(RangeError);
    expect(() => writeFrame(Buffer.alloc(6), 0, Buffer.from('abc'))).toThrow(RangeError);
  });
});

describe('FrameDecoder options', () => {
  test('maxFrameBytes defaults to 64 MiB and accepts 1 .. 0xFFFFFFFF', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(67108864);
    expect(new FrameDecoder().maxFrameBytes).toBe(67108864);
    expect(new FrameDecoder({}).maxFrameBytes).toBe(67108864);
    expect(new FrameDecoder({ maxFrameBytes: 1 }).maxFrameBytes).toBe(1);
    expect(new FrameDecoder({ maxFrameBytes: 0xffffffff }).maxFrameBytes).toBe(0xffffffff);
  });

  test.each([0, -1, 1.5, 0x100000000, Number.NaN, Number.POSITIVE_INFINITY])(
    'maxFrameBytes %p is a RangeError naming the option and the value',
    (value) => {
      const err = caught(() => new FrameDecoder({ maxFrameBytes: value }));
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toContain('maxFrameBytes');
      expect((err as Error).message).toContain(String(value));
    },
  );

  test('a non-number maxFrameBytes is a TypeError naming the option', () => {
    const err = caught(() => new FrameDecoder({ maxFrameBytes: '1024' as unknown as number }));
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toContain('maxFrameBytes');
  });
});

describe('FrameDecoder', () => {
  test('R3: length 0xFFFFFFFF is rejected from the header alone, nothing buffered', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    decoder.decode(header(0xffffffff).subarray(0, 3), () => undefined);
    expect(decoder.bufferedBytes).toBe(3);
    const err = caught(() => decoder.decode(Buffer.concat([header(0xffffffff).subarray(3), Buffer.alloc(100)]), () => undefined));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect((err as FrameTooLargeError).code).toBe('ERR_IPCM_FRAME_TOO_LARGE');
    expect((err as Error).message).toContain('4294967295');
    expect((err as Error).message).toContain(String(MAX));
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.closed).toBe(true);
  });

  test('R3: length 0xFFFFFFFF is rejected with the default limit too', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push(header(0xffffffff))).toThrow(FrameTooLargeError);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('R3: max+1 is rejected from the header before any payload is buffered', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    // Header plus part of the payload in one chunk: still nothing kept.
    const chunk = Buffer.concat([header(MAX + 1), Buffer.alloc(10)]);
    expect(() => decoder.push(chunk)).toThrow(FrameTooLargeError);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(4);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('R3: exactly max is accepted, whole or split', () => {
    const payload = Buffer.alloc(MAX, 0x61);
    const whole = new FrameDecoder({ maxFrameBytes: MAX });
    const [frame] = whole.push(encodeFrame(payload));
    expect(frame?.equals(payload)).toBe(true);

    const split2 = new FrameDecoder({ maxFrameBytes: MAX });
    const chunks = split(encodeFrame(payload), 100);
    expect(decodeAll(split2, chunks)).toEqual([payload.toString('latin1')]);
    expect(split2.bufferedBytes).toBe(0);
  });

  test('R3: frames before a too-large header are delivered by decode() before the error', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    const seen: string[] = [];
    const chunk = Buffer.concat([frames('a', 'b'), header(MAX + 1)]);
    expect(() => decoder.decode(chunk, (p) => seen.push(p.toString()))).toThrow(FrameTooLargeError);
    expect(seen).toEqual(['a', 'b']);
  });

  test('R4: a zero-length frame yields an empty payload', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    const out = decoder.push(frames('', 'x', ''));
    expect(out.map((p) => p.length)).toEqual([0, 1, 0]);
    expect(decoder.bufferedBytes).toBe(0);
    // Also when its header arrives split.
    expect(decoder.push(Buffer.from([0, 0]))).toEqual([]);
    expect(decoder.push(Buffer.from([0, 0])).map((p) => p.length)).toEqual([0]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('R4: 100,000 tiny frames in one chunk decode without copying', () => {
    const count = 100_000;
    const chunk = Buffer.allocUnsafe(count * 7);
    for (let i = 0; i < count; i++) {
      chunk.writeUInt32BE(3, i * 7);
      chunk.writeUIntBE(i, i * 7 + 4, 3);
    }
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    let n = 0;
    let sameMemory = true;
    decoder.decode(chunk, (payload) => {
      if (payload.readUIntBE(0, 3) !== n) throw new Error(`frame ${n} out of order`);
      if (payload.buffer !== chunk.buffer) sameMemory = false;
      n++;
    });
    expect(n).toBe(count);
    expect(sameMemory).toBe(true);
    expect(decoder.bufferedBytes).toBe(0);
    decoder.end();
  });

  test('R5: a truncated frame then end() is a TruncatedFrameError and frees the buffer', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    expect(decoder.push(encodeFrame(Buffer.alloc(100)).subarray(0, 50))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(50);
    const err = caught(() => decoder.end());
    expect(err).toBeInstanceOf(TruncatedFrameError);
    expect((err as TruncatedFrameError).code).toBe('ERR_IPCM_TRUNCATED_FRAME');
    expect((err as Error).message).toContain('46 of 100');
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.closed).toBe(true);
    expect(() => decoder.end()).not.toThrow();
  });

  test('R5: a truncated header then end() is a TruncatedFrameError', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    decoder.push(Buffer.concat([frames('ok'), Buffer.from([0, 0])]));
    expect(decoder.bufferedBytes).toBe(2);
    expect(() => decoder.end()).toThrow(TruncatedFrameError);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('R5: end() between frames is clean', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    expect(decoder.push(frames('a', 'b')).length).toBe(2);
    expect(() => decoder.end()).not.toThrow();
    expect(decoder.closed).toBe(true);
  });

  test('R7: any chunking of random frames yields the same payloads in the same order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, cutSeeds) => {
          const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
          const cuts = [...new Set(cutSeeds.map((s) => (stream.length === 0 ? 0 : s % stream.length)))].sort(
            (a, b) => a - b,
          );
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const cut of [...cuts, stream.length]) {
            chunks.push(stream.subarray(prev, cut));
            prev = cut;
          }
          const decoder = new FrameDecoder({ maxFrameBytes: 300 });
          const out: Buffer[] = [];
          for (const chunk of chunks) {
            decoder.decode(chunk, (p) => out.push(Buffer.from(p)));
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(4 + 300);
          }
          decoder.end();
          expect(out.map((p) => p.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('R7: 1-byte chunks and split headers', () => {
    const stream = frames('hello', '', 'world', 'x'.repeat(300));
    const expected = ['hello', '', 'world', 'x'.repeat(300)];
    expect(decodeAll(new FrameDecoder({ maxFrameBytes: MAX }), split(stream, 1))).toEqual(expected);
    for (let size = 2; size <= 9; size++) {
      expect(decodeAll(new FrameDecoder({ maxFrameBytes: MAX }), split(stream, size))).toEqual(expected);
    }
  });

  test('R7: many frames per chunk, with one spanning into the next chunk', () => {
    const stream = frames('one', 'two', 'three', 'four');
    const cut = stream.length - 3;
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    expect(decoder.push(stream.subarray(0, cut)).map(String)).toEqual(['one', 'two', 'three']);
    expect(decoder.bufferedBytes).toBe(5);
    expect(decoder.push(stream.subarray(cut)).map(String)).toEqual(['four']);
  });

  test('a frame spanning chunks is assembled into one buffer of exactly its length', () => {
    const size = 100_000;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = i & 0xff;
    const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
    const out: Buffer[] = [];
    for (const chunk of split(encodeFrame(payload), 999)) decoder.decode(chunk, (p) => out.push(p));
    expect(out).toHaveLength(1);
    const [frame] = out as [Buffer];
    expect(frame.equals(payload)).toBe(true);
    expect(frame.byteOffset).toBe(0);
    expect(frame.buffer.byteLength).toBe(size);
  });

  test('memory follows the bytes received, not the length a peer announces', () => {
    const announced = 1024 * 1024 * 1024; // 1 GiB announced, 10 bytes sent
    const decoder = new FrameDecoder({ maxFrameBytes: announced });
    const before = process.memoryUsage().arrayBuffers;
    decoder.push(Buffer.concat([header(announced), Buffer.alloc(10)]));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(decoder.bufferedBytes).toBe(4 + 10);
    decoder.destroy();
  });

  test('after an error the decoder is dead and rethrows the same error', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    const err = caught(() => decoder.push(header(MAX + 1)));
    expect(err).toBeInstanceOf(FrameTooLargeError);
    expect(caught(() => decoder.push(frames('fine')))).toBe(err);
    expect(caught(() => decoder.decode(frames('fine'), () => undefined))).toBe(err);
    expect(() => decoder.end()).not.toThrow();
  });

  test('after end() or destroy(), feeding more bytes is a plain Error', () => {
    const ended = new FrameDecoder({ maxFrameBytes: MAX });
    ended.end();
    const err = caught(() => ended.push(frames('late')));
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(IpcmError);

    const destroyed = new FrameDecoder({ maxFrameBytes: MAX });
    destroyed.push(frames('a').subarray(0, 3));
    destroyed.destroy();
    destroyed.destroy();
    expect(destroyed.bufferedBytes).toBe(0);
    expect(() => destroyed.push(frames('late'))).toThrow(/closed/);
    expect(() => destroyed.end()).not.toThrow();
  });

  test('destroy() from inside onFrame stops delivery of the rest of the chunk', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    const seen: string[] = [];
    decoder.decode(frames('a', 'b', 'c'), (p) => {
      seen.push(p.toString());
      if (seen.length === 2) decoder.destroy();
    });
    expect(seen).toEqual(['a', 'b']);
    expect(decoder.closed).toBe(true);
  });

  test('an onFrame that throws kills the decoder with its error', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    const boom = new Error('boom');
    expect(
      caught(() =>
        decoder.decode(frames('a', 'b'), () => {
          throw boom;
        }),
      ),
    ).toBe(boom);
    expect(caught(() => decoder.push(frames('c')))).toBe(boom);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('re-entrant decode() and end() from inside onFrame are refused', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: MAX });
    const errors: unknown[] = [];
    decoder.decode(frames('a'), () => {
      errors.push(caught(() => decoder.push(frames('b'))));
      errors.push(caught(() => decoder.end()));
    });
    expect(errors).toHaveLength(2);
    for (const err of errors) expect((err as Error).message).toMatch(/inside decode/);
    expect(decoder.push(frames('c')).map(String)).toEqual(['c']);
  });
});
