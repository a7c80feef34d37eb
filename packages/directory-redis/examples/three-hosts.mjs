// Three "hosts" (the loopback addresses 127.0.0.2-4) meet through Redis:
// each claims an id and publishes where it listens; each finds the others.
import { RedisDirectory } from '@ipcm/directory-redis';

const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
// One directory per host; on real hosts each process opens its own.
const directories = hosts.map(() => new RedisDirectory({ redis, group: 'demo', ttlMs: 5000 }));
try {
  const registrations = await Promise.all(
    directories.map(async (directory, i) => {
      const registration = await directory.register(`worker-${i + 1}`, 'address');
      // Beyond loopback, pass { authenticated: true } to register: the
      // listener must then require a token or TLS.
      await registration.publish({ transport: 'tcp', host: hosts[i], port: 7000 });
      return registration;
    }),
  );
  const found = await directories[0].lookup('worker-3');
  console.log(`worker-3 listens at ${found.address.host}:${found.address.port}`);
  console.log((await directories[1].list()).map((peer) => peer.id).join(', '));
  await Promise.all(registrations.map((registration) => registration.release()));
} finally {
  await Promise.all(directories.map((directory) => directory.close()));
}
