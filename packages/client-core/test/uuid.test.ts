import { createMessage } from '../src/message.js';
import { createUuidV7Generator } from '../src/uuid.js';

// RFC 9562 layout: version nibble 7, variant bits 10 (first hex digit of the
// fourth group 8, 9, a or b), lowercase hex.
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit timestamp of a UUIDv7, in ms. */
function timestampOf(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** The 128 bits of a UUID as a bigint. */
function bitsOf(id: string): bigint {
  return BigInt(`0x${id.replace(/-/g, '')}`);
}

function expectStrictlyIncreasing(ids: string[]): void {
  let bad = 0;
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1]! < ids[i]!)) bad++;
  expect(bad).toBe(0);
  expect(new Set(ids).size).toBe(ids.length);
}

describe('message ids (UUIDv7)', () => {
  test('format: a lowercase UUID with version 7 and the RFC 9562 variant bits', () => {
    const ids = createUuidV7Generator();
    for (let i = 0; i < 1000; i++) {
      const id = ids.next(1_795_286_606_412 + i);
      expect(id).toMatch(UUID_V7);
      const bits = bitsOf(id);
      expect((bits >> 76n) & 0xfn).toBe(7n); // version
      expect((bits >> 62n) & 0x3n).toBe(2n); // variant 10
    }
  });

  test('the timestamp is the clock reading in ms (floored)', () => {
    const ids = createUuidV7Generator();
    expect(timestampOf(ids.next(1_795_286_606_412.9))).toBe(1_795_286_606_412);
    expect(timestampOf(ids.next(1_795_286_606_500))).toBe(1_795_286_606_500);
    expect(timestampOf(ids.next(2 ** 48 - 1))).toBe(2 ** 48 - 1);
  });

  test('100,000 ids from a live clock are unique and strictly increasing (as strings and as numbers)', () => {
    const ids = createUuidV7Generator();
    const list: string[] = [];
    for (let i = 0; i < 100_000; i++) list.push(ids.next(Date.now()));
    expectStrictlyIncreasing(list);
    for (let i = 1; i < list.length; i += 997) expect(bitsOf(list[i - 1]!) < bitsOf(list[i]!)).toBe(true);
    for (const id of list.slice(0, 100)) expect(id).toMatch(UUID_V7);
  });

  test('monotonic when the clock stands still or steps back: the timestamp keeps the last reading', () => {
    const ids = createUuidV7Generator();
    const readings = [5_000, 5_000, 5_000, 4_000, 0, 5_000, 5_001, 3_000, Number.NaN, -1, 5_001, 6_000];
    const list = readings.map((ms) => ids.next(ms));
    expectStrictlyIncreasing(list);
    expect(list.map(timestampOf)).toEqual([5_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_001, 5_001, 5_001, 5_001, 5_001, 6_000]);
  });

  test('the counter and the random tail come from the seed: two processes (generators) differ', () => {
    const zeros = createUuidV7Generator((size) => new Uint8Array(size));
    expect(zeros.next(0)).toBe('00000000-0000-7000-8000-000100000000');
    const ones = createUuidV7Generator((size) => new Uint8Array(size).fill(0xff));
    // Counter seed 2^41 - 1 (its top bit is kept clear), +1 = 2^41; tail ffffffff.
    expect(ones.next(0)).toBe('00000000-0000-7800-8000-0000ffffffff');
    const a = createUuidV7Generator();
    const b = createUuidV7Generator();
    expect(a.next(1000)).not.toBe(b.next(1000));
  });

  test('createMessage ids are UUIDv7 of the message clock, increasing from one message to the next', () => {
    const clock = { now: () => Date.now() };
    const list: string[] = [];
    for (let i = 0; i < 1000; i++) list.push(createMessage({ from: 'alice', to: 'bob', content: i }, clock).id);
    expectStrictlyIncreasing(list);
    const m = createMessage({ from: 'alice', content: null });
    expect(m.id).toMatch(UUID_V7);
    expect(timestampOf(m.id)).toBe(Math.floor(m.stamp * 1000 + 1e-3));
  });
});
