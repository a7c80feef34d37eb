// Two processes talking over TCP by static address and a shared token:
// no route directory, as peers on two hosts would.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { TcpClient } from '@ipcm/client-tcp';

const token = randomBytes(32).toString('base64url'); // the secret both sides share
const child = fork(new URL('./peer.mjs', import.meta.url), {
  env: { ...process.env, IPCM_TOKEN: token }, // not argv: other users can read argv
});
const [{ port }] = await once(child, 'message');

const main = await TcpClient.create({
  id: 'main',
  token,
  peers: { child: `127.0.0.1:${port}` }, // across hosts: 'host-b.example:7000'
  listen: false, // the child answers over the connection we open
});
try {
  const reply = once(main, 'message');
  await main.send('child', 'hello'); // connects (sending the token) on first send
  const [message] = await reply;
  console.log(`${message.from} answered`, message.content);
  await main.send('child', 'bye');
  await once(child, 'exit');
} finally {
  await main.close();
}
