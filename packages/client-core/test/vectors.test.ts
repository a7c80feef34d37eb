import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FrameDecoder } from '../src/frame-decoder.js';
import { encodeFrame } from '../src/frame-encoder.js';
import { decodeHello, decodeMessage } from '../src/message.js';
import { encodeValueFrame, jsonSerializer } from '../src/serializer.js';
import { split } from './helpers.js';

interface Vector {
  name: string;
  bytes: number;
  hex: string;
  json: Record<string, unknown>;
}

// /work/shared sits beside the repository root (/work/main); CI clones it the same way.
const file = path.resolve(__dirname, '../../../../shared/vectors/ipc-manager-frames.json');
const vectors = (JSON.parse(readFileSync(file, 'utf8')) as { frames: Vector[] }).frames;

function decodeChunks(chunks: Buffer[]): unknown[] {
  const decoder = new FrameDecoder();
  const values: unknown[] = [];
  for (const chunk of chunks) decoder.decode(chunk, (payload) => values.push(jsonSerializer.decode(payload)));
  decoder.end();
  return values;
}

test('the vector file holds frames', () => {
  expect(vectors.length).toBeGreaterThanOrEqual(4);
});

describe.each(vectors.map((v) => [v.name, v] as const))('vector: %s', (_name, vector) => {
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

  test('validates as a hello or as a message for its addressee', () => {
    const payload = bytes.subarray(4);
    const json = vector.json;
    if ('hello' in json) {
      expect(decodeHello(payload)).toBe(json['hello']);
    } else {
      const message = decodeMessage(payload, { self: json['to'] as string, helloId: json['from'] as string });
      expect(message).toEqual(json);
    }
  });
});

test('R7: all vectors back to back, in 1-byte chunks, come out in order', () => {
  const stream = Buffer.concat(vectors.map((v) => Buffer.from(v.hex, 'hex')));
  expect(decodeChunks(split(stream, 1))).toEqual(vectors.map((v) => v.json));
  expect(decodeChunks(split(stream, 7))).toEqual(vectors.map((v) => v.json));
});
