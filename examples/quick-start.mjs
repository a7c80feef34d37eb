import { UnixClient, spawnRoute, removeRoute } from '@ipcm/client-unix';

const route = await spawnRoute(); // the directory where peers find each other
const alice = await UnixClient.create({ id: 'alice', route });
const bob = await UnixClient.create({ id: 'bob', route });

bob.on('message', (m) => bob.send(m.from, `hello ${m.from}, got "${m.content}"`));
const reply = new Promise((resolve) => alice.once('message', resolve));
await alice.send('bob', 'hi bob'); // connects on first send, reuses after
console.log((await reply).content);

await Promise.all([alice.close(), bob.close()]);
await removeRoute(route);
