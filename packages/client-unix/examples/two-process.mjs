// Two processes talking by id over a shared route directory.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { UnixClient, spawnRoute, removeRoute } from '@ipcm/client-unix';

const route = await spawnRoute(); // a fresh 0700 directory under os.tmpdir()
const echo = fork(new URL('./echo-peer.mjs', import.meta.url), [route]);
await once(echo, 'message'); // "ready"

const main = await UnixClient.create({ id: 'main', route });
try {
  const reply = once(main, 'message');
  await main.send('echo', 'hello'); // connects on first send, reuses after
  const [message] = await reply;
  console.log(`${message.from} answered`, message.content);
  await main.send('echo', 'bye');
  await once(echo, 'exit');
} finally {
  await main.close(); // flushes, ends connections, removes our socket
  await removeRoute(route);
}
