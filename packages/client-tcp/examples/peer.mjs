// The other "host": listens on a free port, answers every message, leaves on "bye".
import { TcpClient } from '@ipcm/client-tcp';

const client = await TcpClient.create({ id: 'child', token: process.env.IPCM_TOKEN });
client.on('message', async (message) => {
  if (message.content === 'bye') return client.close();
  await client.send(message.from, { echo: message.content });
});
process.send({ port: client.address.port }); // tell the parent where we listen
process.disconnect(); // from here on, only the client keeps this process alive
