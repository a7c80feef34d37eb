// The one home of the loopback rule (client-tcp's bind check and
// RedisDirectory's publish check use it; client-tcp re-exports it).
import { isLoopback } from '../src/index.js';

describe('isLoopback', () => {
  test.each(['localhost', '127.0.0.1', '127.0.0.4', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])(
    '%s is reachable only from this machine',
    (host) => {
      expect(isLoopback(host)).toBe(true);
    },
  );

  test.each(['0.0.0.0', '::', '10.1.2.3', '128.0.0.1', '::ffff:10.0.0.1', '::2', 'host-b.example', 'localhost.example', ''])(
    '%s may be reachable from other hosts',
    (host) => {
      expect(isLoopback(host)).toBe(false);
    },
  );
});
