// The behaviour promised by IPC::Manager::Role::Client::Connection, one test
// per promise, run over both forms of the role (mixin and plain functions).
import { forms } from './fixtures/forms.js';
import { OrderedTableHost, TableHost } from './fixtures/table-host.js';

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe.each(forms)('$form', ({ make }) => {
  test('has_connection: true iff there is a cached connection', () => {
    const { host, role } = make(TableHost);
    expect(role.hasConnection('a')).toBe(false);
    host.open('a', 0);
    expect(role.hasConnection('a')).toBe(true);
    expect(role.hasConnection('b')).toBe(false);
    host.closeConnection('a', 'disconnect');
    expect(role.hasConnection('a')).toBe(false);
  });

  test('connections: sorted list of peer ids that have an active cached connection', () => {
    const { host, role } = make(TableHost);
    expect(role.connections()).toEqual([]);
    for (const peerId of ['b', 'a10', 'B', 'a', 'a9', 'é']) host.open(peerId, 0);
    // Default string order: by UTF-16 code unit, so 'B' < 'a' and 'a10' < 'a9'.
    expect(role.connections()).toEqual(['B', 'a', 'a10', 'a9', 'b', 'é']);
    host.closeConnection('a10', 'disconnect');
    expect(role.connections()).toEqual(['B', 'a', 'a9', 'b', 'é']);
  });

  test('connections: returns a new array each call, not a view of the table', () => {
    const { host, role } = make(TableHost);
    host.open('a', 0);
    const ids = role.connections();
    ids.push('z');
    expect(role.connections()).toEqual(['a']);
    expect(host.table.has('z')).toBe(false);
  });

  test('disconnect_connection closes the connection to peer_id and returns true if a connection was present', () => {
    const { host, role } = make(TableHost);
    host.open('a', 0).open('b', 0);
    expect(role.disconnectConnection('a')).toBe(true);
    expect(host.closeCalls).toEqual(['a']);
    expect(role.hasConnection('a')).toBe(false);
    expect(role.connections()).toEqual(['b']);
  });

  test('the role passes the reason to closeConnection: disconnect, or idle from a sweep', () => {
    const { host, role } = make(TableHost, () => 10_000);
    host.open('a', 10_000).open('old', 0);
    role.disconnectConnection('a');
    role.closeIdleConnections(5_000);
    expect(host.closeReasons).toEqual(['disconnect', 'idle']);
  });

  test('disconnect_connection returns false, and closes nothing, if no connection was present', () => {
    const { host, role } = make(TableHost);
    host.open('b', 0);
    expect(role.disconnectConnection('a')).toBe(false);
    expect(host.closeCalls).toEqual([]);
    host.open('a', 0);
    expect(role.disconnectConnection('a')).toBe(true);
    expect(role.disconnectConnection('a')).toBe(false);
    expect(host.closeCalls).toEqual(['a']);
  });

  test('last_activity returns the time at which the connection last sent or received bytes', () => {
    const { host, role } = make(TableHost);
    host.open('a', 1_700_000_000_123.5);
    expect(role.lastActivity('a')).toBe(1_700_000_000_123.5);
    host.open('a', 1_700_000_000_200);
    expect(role.lastActivity('a')).toBe(1_700_000_000_200);
  });

  test('last_activity returns undefined if no such connection exists', () => {
    const { host, role } = make(TableHost);
    expect(role.lastActivity('a')).toBeUndefined();
    host.open('a', 5);
    host.closeConnection('a', 'disconnect');
    expect(role.lastActivity('a')).toBeUndefined();
  });

  test('close_idle_connections closes every connection whose last_active is older than now - max_idle', () => {
    const { host, role } = make(TableHost, () => 10_000);
    host.open('fresh', 10_000).open('old', 0).open('edge', 5_000).open('older', 4_999).open('recent', 5_001);
    role.closeIdleConnections(5_000);
    expect(host.closeCalls.sort()).toEqual(['old', 'older']);
    expect(role.connections()).toEqual(['edge', 'fresh', 'recent']);
  });

  test('close_idle_connections: idle means strictly older than the cut-off (lastActive < now - maxIdleMs)', () => {
    const { host, role } = make(TableHost, () => 1_000);
    host.open('at-cutoff', 900).open('just-before', 899.999);
    expect(role.closeIdleConnections(100)).toBe(1);
    expect(role.connections()).toEqual(['at-cutoff']);

    // maxIdleMs 0: everything that has been quiet at all, i.e. lastActive < now.
    host.open('now', 1_000).open('a-moment-ago', 999);
    expect(role.closeIdleConnections(0)).toBe(2);
    expect(role.connections()).toEqual(['now']);

    // Infinity: nothing is ever idle.
    host.open('ancient', -1e15);
    expect(role.closeIdleConnections(Infinity)).toBe(0);
  });

  test('close_idle_connections returns the number closed', () => {
    const { host, role } = make(TableHost, () => 100);
    expect(role.closeIdleConnections(10)).toBe(0);
    host.open('a', 0).open('b', 50).open('c', 89).open('d', 90).open('e', 100);
    expect(role.closeIdleConnections(10)).toBe(3);
    expect(role.closeIdleConnections(10)).toBe(0);
    expect(host.closeCalls).toHaveLength(3);
  });

  test('close_idle_connections is caller-driven: no timer', () => {
    jest.useFakeTimers();
    let time = 0;
    const { host, role } = make(TableHost, () => time);
    host.open('a', 0).open('b', 0);
    role.closeIdleConnections(1_000);
    expect(role.hasConnection('a')).toBe(true);
    expect(jest.getTimerCount()).toBe(0);

    // Time passes and timers fire, but nothing happens until the caller asks.
    time = 1_000_000;
    jest.advanceTimersByTime(1_000_000);
    expect(host.closeCalls).toEqual([]);
    expect(role.closeIdleConnections(1_000)).toBe(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('close_idle_connections uses the host clock, the now argument over it, and Date.now without either', () => {
    const { host, role } = make(TableHost, () => 1_000);
    host.open('a', 500).open('b', 800);
    expect(role.closeIdleConnections(300, 1_200)).toBe(2);

    host.open('a', 500).open('b', 800);
    expect(role.closeIdleConnections(300)).toBe(1);
    expect(role.connections()).toEqual(['b']);

    const clockless = make(TableHost);
    jest.spyOn(Date, 'now').mockReturnValue(1_000);
    clockless.host.open('a', 500).open('b', 800);
    expect(clockless.role.closeIdleConnections(300)).toBe(1);
    expect(clockless.role.connections()).toEqual(['b']);
  });

  test('_close_connection may be called from inside close_idle_connections: it removes entries mid-walk', () => {
    // The ordered view here is a generator over the very Map closeConnection
    // deletes from, the most fragile arrangement a host is likely to have.
    for (const Host of [TableHost, OrderedTableHost]) {
      const { host, role } = make(Host, () => 100);
      for (let i = 0; i < 50; i++) host.open(`p${String(i).padStart(2, '0')}`, i * 2);
      expect(role.closeIdleConnections(10)).toBe(45);
      expect(role.connections()).toEqual(['p45', 'p46', 'p47', 'p48', 'p49']);
      expect(new Set(host.closeCalls).size).toBe(45);
    }
  });

  test('_close_connection may close other connections: those are neither closed again nor counted', () => {
    const { host, role } = make(TableHost, () => 100);
    host.open('a', 0).open('a-child', 0).open('b', 0).open('busy', 100).open('busy-child', 0);
    host.afterClose = (peerId) => {
      host.table.delete(`${peerId}-child`);
      if (peerId === 'b') host.table.delete('busy');
    };
    // a closes a-child; b closes the busy connection. busy-child is idle and
    // is closed by the role itself.
    expect(role.closeIdleConnections(10)).toBe(3);
    expect(host.closeCalls.sort()).toEqual(['a', 'b', 'busy-child']);
    expect(role.connections()).toEqual([]);
  });

  test('close_idle_connections skips an entry that became active during the sweep', () => {
    const { host, role } = make(TableHost, () => 100);
    host.open('a', 0).open('b', 0);
    // Closing one reconnects the other (as a client might on a reply): its
    // fresh entry is not idle and must survive.
    host.afterClose = (peerId) => {
      host.open(peerId === 'a' ? 'b' : 'a', 100);
    };
    expect(role.closeIdleConnections(10)).toBe(1);
    expect(role.connections()).toHaveLength(1);
  });

  test('the role only reads lastActive and the set of keys', () => {
    const { host, role } = make(TableHost, () => 100);
    const read = new Set<PropertyKey>();
    for (const [peerId, lastActive] of [['a', 0], ['b', 100]] as const) {
      const entry = new Proxy(
        { lastActive, socket: 'opaque' },
        {
          get(target, key, receiver) {
            read.add(key);
            return Reflect.get(target, key, receiver) as unknown;
          },
          set: () => false,
        },
      );
      host.table.set(peerId, entry);
    }
    role.hasConnection('a');
    role.connections();
    role.lastActivity('b');
    role.closeIdleConnections(10);
    role.disconnectConnection('b');
    expect([...read]).toEqual(['lastActive']);
  });

  test.each([
    [-1, RangeError, 'maxIdleMs must be a non-negative number of milliseconds; received -1'],
    [-Infinity, RangeError, 'maxIdleMs must be a non-negative number of milliseconds; received -Infinity'],
    [NaN, RangeError, 'maxIdleMs must be a non-negative number of milliseconds; received NaN'],
    ['5', TypeError, 'maxIdleMs must be a number of milliseconds; received "5"'],
    [undefined, TypeError, 'maxIdleMs must be a number of milliseconds; received undefined'],
  ])('close_idle_connections(%p) throws %p naming the argument and value, closing nothing', (maxIdleMs, ErrorClass, message) => {
    const { host, role } = make(TableHost, () => 100);
    host.open('a', 0);
    const call = (): number => role.closeIdleConnections(maxIdleMs as number);
    expect(call).toThrow(ErrorClass);
    expect(call).toThrow(message);
    expect(host.closeCalls).toEqual([]);
  });

  test.each([
    [NaN, RangeError, 'now must be a finite number of milliseconds; received NaN'],
    [Infinity, RangeError, 'now must be a finite number of milliseconds; received Infinity'],
    [new Date(0), TypeError, 'now must be a number of milliseconds; received an object ([object Date])'],
  ])('close_idle_connections(10, %p) throws %p naming the argument and value', (now, ErrorClass, message) => {
    const { host, role } = make(TableHost, () => 100);
    host.open('a', 0);
    const call = (): number => role.closeIdleConnections(10, now as number);
    expect(call).toThrow(ErrorClass);
    expect(call).toThrow(message);
    expect(host.closeCalls).toEqual([]);
  });

  test('close_idle_connections throws a RangeError when the host clock returns a non-finite time', () => {
    const { host, role } = make(TableHost, () => NaN);
    host.open('a', 0);
    expect(() => role.closeIdleConnections(10)).toThrow(
      new RangeError('host.now() must return a finite number of milliseconds; received NaN'),
    );
    expect(host.closeCalls).toEqual([]);
  });

  test('an error thrown by closeConnection propagates; connections closed before it stay closed', () => {
    const { host, role } = make(TableHost, () => 100);
    host.open('a', 0).open('b', 0).open('c', 0);
    host.afterClose = (peerId) => {
      if (peerId === 'b') throw new Error('socket would not close');
    };
    expect(() => role.closeIdleConnections(10)).toThrow('socket would not close');
    expect(host.closeCalls).toEqual(['a', 'b']);
    expect(role.connections()).toEqual(['c']);
  });
});
