// A peer in its own process: answers every message, leaves on "bye".
import { UnixClient } from '@ipcm/client-unix';

const client = await UnixClient.create({ id: 'echo', route: process.argv[2] });
client.on('message', async (message) => {
  if (message.content === 'bye') return client.close();
  await client.send(message.from, { echo: message.content });
});
process.send('ready');
process.disconnect(); // from here on, only the client keeps this process alive
