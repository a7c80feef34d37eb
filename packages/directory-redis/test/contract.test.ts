// client-core's PeerDirectory contract, run against RedisDirectory on a real server.
import { describeDirectoryContract } from '../../client-core/test/directory/contract';
import { makeRedisHarness } from './harness';
import { describeWithRedis, RedisServer } from './redis-server';

describeWithRedis('RedisDirectory', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.stop());
  describeDirectoryContract('RedisDirectory', async () => makeRedisHarness(() => server));
});
