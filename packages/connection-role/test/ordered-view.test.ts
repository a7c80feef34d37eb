// The optional connectionsByIdleness() view: with it, closeIdleConnections
// costs O(number closed) instead of O(table size).
import fc from 'fast-check';

import { forms } from './fixtures/forms.js';
import { OrderedTableHost, TableHost } from './fixtures/table-host.js';
import type { TestEntry } from './fixtures/table-host.js';

/** A table that throws if anyone walks it: only get/has/set/delete work. */
class UnwalkableMap extends Map<string, TestEntry> {
  override [Symbol.iterator](): never {
    throw new Error('the whole table was walked');
  }
  override entries(): never {
    throw new Error('the whole table was walked');
  }
  override keys(): never {
    throw new Error('the whole table was walked');
  }
  override values(): never {
    throw new Error('the whole table was walked');
  }
  override forEach(): never {
    throw new Error('the whole table was walked');
  }
}

class UnwalkableOrderedHost extends OrderedTableHost {
  override readonly table = new UnwalkableMap();
}

describe.each(forms)('$form', ({ make }) => {
  test('close_idle_connections with connectionsByIdleness stops at the first entry that is not idle', () => {
    // 10,000 cached connections, 1% idle: the sweep reads 100 idle entries
    // plus the one that stops it, and never walks the table.
    const { host, role } = make(UnwalkableOrderedHost, () => 1_000_000);
    for (let i = 0; i < 10_000; i++) host.open(`peer-${i}`, i < 100 ? i : 990_000 + i);
    expect(role.closeIdleConnections(60_000)).toBe(100);
    expect(host.entriesRead).toBe(101);
    expect(host.viewClosed).toBe(true);
    expect(host.table.size).toBe(9_900);
    expect(role.hasConnection('peer-99')).toBe(false);
    expect(role.hasConnection('peer-100')).toBe(true);
  });

  test('close_idle_connections with connectionsByIdleness reads one entry when nothing is idle', () => {
    const { host, role } = make(UnwalkableOrderedHost, () => 100);
    host.open('a', 95).open('b', 99);
    expect(role.closeIdleConnections(10)).toBe(0);
    expect(host.entriesRead).toBe(1);
    expect(host.closeCalls).toEqual([]);
  });

  test('close_idle_connections with connectionsByIdleness reads every entry when all are idle', () => {
    const { host, role } = make(UnwalkableOrderedHost, () => 100);
    host.open('a', 1).open('b', 2).open('c', 3);
    expect(role.closeIdleConnections(10)).toBe(3);
    expect(host.entriesRead).toBe(3);
    expect(host.table.size).toBe(0);
  });

  test('close_idle_connections trusts the view: an idle entry after the first non-idle one is left open', () => {
    const { host, role } = make(OrderedTableHost, () => 100);
    host.open('a', 0).open('busy', 100);
    // Written directly, out of order, as a host with a wrong view would.
    host.table.set('late', { lastActive: 0 });
    expect(role.closeIdleConnections(10)).toBe(1);
    expect(role.connections()).toEqual(['busy', 'late']);
  });

  test('close_idle_connections closes the same connections with or without the view (property)', () => {
    const table = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 1_000 })), {
      selector: ([peerId]) => peerId,
      maxLength: 40,
    });
    fc.assert(
      fc.property(table, fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 2_000 }), (rows, maxIdleMs, now) => {
        const expectedOpen = rows.filter(([, lastActive]) => !(lastActive < now - maxIdleMs)).map(([peerId]) => peerId);
        const idleCount = rows.length - expectedOpen.length;

        const walked = make(TableHost, () => now);
        for (const [peerId, lastActive] of rows) walked.host.open(peerId, lastActive);
        const ordered = make(OrderedTableHost, () => now);
        for (const [peerId, lastActive] of [...rows].sort((x, y) => x[1] - y[1])) ordered.host.open(peerId, lastActive);

        expect(walked.role.closeIdleConnections(maxIdleMs)).toBe(idleCount);
        expect(ordered.role.closeIdleConnections(maxIdleMs)).toBe(idleCount);
        expect(walked.role.connections()).toEqual([...expectedOpen].sort());
        expect(ordered.role.connections()).toEqual([...expectedOpen].sort());
        expect(ordered.host.entriesRead).toBe(Math.min(idleCount + 1, rows.length));
      }),
      { numRuns: 300 },
    );
  });
});
