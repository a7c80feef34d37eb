// The mixin's requirements are checked by the compiler: every
// `@ts-expect-error` below fails `tsc -b` if the line it marks compiles, so
// this file is a test of the types as much as of the runtime.
import { ConnectionRole, connections, hasConnection } from '../src/index.js';
import type { ConnectionEntry, ConnectionHost, ConnectionRoleMethods, PeerIdOf } from '../src/index.js';

/** Compiles only if `Actual` and `Expected` are the same type. */
type Equals<Actual, Expected> =
  (<T>() => T extends Actual ? 1 : 2) extends <T>() => T extends Expected ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

class Host {
  readonly table = new Map<string, ConnectionEntry & { socket: string }>();
  constructor(readonly label: string, entries: Record<string, number> = {}) {
    for (const [peerId, lastActive] of Object.entries(entries)) this.table.set(peerId, { lastActive, socket: peerId });
  }
  connectionTable(): ReadonlyMap<string, ConnectionEntry> {
    return this.table;
  }
  closeConnection(peerId: string): void {
    this.table.delete(peerId);
  }
  greet(): string {
    return `host ${this.label}`;
  }
}

class MissingClose {
  connectionTable(): ReadonlyMap<string, ConnectionEntry> {
    return new Map();
  }
}

class MissingTable {
  closeConnection(_peerId: string): void {}
}

class WrongEntryType {
  connectionTable(): ReadonlyMap<string, { lastActivity: number }> {
    return new Map();
  }
  closeConnection(_peerId: string): void {}
}

class WrongLastActiveType {
  connectionTable(): Map<string, { lastActive: string }> {
    return new Map();
  }
  closeConnection(_peerId: string): void {}
}

class TableAsRecord {
  connectionTable(): Record<string, ConnectionEntry> {
    return {};
  }
  closeConnection(_peerId: string): void {}
}

class NumericIds {
  connectionTable(): Map<number, ConnectionEntry> {
    return new Map();
  }
  closeConnection(_peerId: number): void {}
}

class WrongClock {
  connectionTable(): ReadonlyMap<string, ConnectionEntry> {
    return new Map();
  }
  closeConnection(_peerId: string): void {}
  now(): Date {
    return new Date();
  }
}

type PeerId = string & { readonly __brand: 'PeerId' };
class BrandedHost implements ConnectionHost<PeerId> {
  readonly table = new Map<PeerId, ConnectionEntry>();
  connectionTable(): ReadonlyMap<PeerId, ConnectionEntry> {
    return this.table;
  }
  closeConnection(peerId: PeerId): void {
    this.table.delete(peerId);
  }
}

test('a host missing closeConnection or the table, or with a wrong table type, does not compile', () => {
  // @ts-expect-error closeConnection is required
  ConnectionRole(MissingClose);
  // @ts-expect-error connectionTable is required
  ConnectionRole(MissingTable);
  // @ts-expect-error entries must have lastActive
  ConnectionRole(WrongEntryType);
  // @ts-expect-error lastActive must be a number
  ConnectionRole(WrongLastActiveType);
  // @ts-expect-error the table is a Map, not a record
  ConnectionRole(TableAsRecord);
  // @ts-expect-error peer ids are strings
  ConnectionRole(NumericIds);
  // @ts-expect-error the optional clock, if present, returns a number
  ConnectionRole(WrongClock);
  // @ts-expect-error the plain functions have the same requirements
  hasConnection(new MissingClose(), 'a');
  // @ts-expect-error the plain functions have the same requirements
  connections(new WrongEntryType());
  // Plain objects are hosts too.
  expect(connections({ connectionTable: () => new Map([['a', { lastActive: 0 }]]), closeConnection: () => {} })).toEqual([
    'a',
  ]);
});

test('the mixed class keeps the base constructor, members and prototype chain', () => {
  const RoleHost = ConnectionRole(Host);
  const host = new RoleHost('one', { b: 1, a: 2 });
  expect(host).toBeInstanceOf(Host);
  expect(host.greet()).toBe('host one');
  expect(host.connections()).toEqual(['a', 'b']);
  expect(host.lastActivity('a')).toBe(2);

  // @ts-expect-error the base constructor's parameters are kept
  new RoleHost(42);

  class Subclass extends ConnectionRole(Host) {
    sweep(): number {
      return this.closeIdleConnections(10, 100);
    }
  }
  const sub = new Subclass('two', { old: 0, fresh: 100 });
  expect(sub.sweep()).toBe(1);
  expect(sub.connections()).toEqual(['fresh']);

  assertType<Equals<typeof host.connections, () => string[]>>();
  assertType<Equals<typeof host.lastActivity, (peerId: string) => number | undefined>>();
  assertType<Equals<ReturnType<typeof host.greet>, string>>();
  const asRole: ConnectionRoleMethods = host;
  expect(asRole.hasConnection('a')).toBe(true);
});

test('the role uses the host peer id type', () => {
  const host = new (ConnectionRole(BrandedHost))();
  const peer = 'a' as PeerId;
  host.table.set(peer, { lastActive: 1 });
  expect(host.hasConnection(peer)).toBe(true);
  // @ts-expect-error a plain string is not a PeerId
  host.hasConnection('a');
  assertType<Equals<ReturnType<typeof host.connections>, PeerId[]>>();
  assertType<Equals<PeerIdOf<BrandedHost>, PeerId>>();
  assertType<Equals<PeerIdOf<Host>, string>>();
  expect(connections(host)).toEqual([peer]);
});
