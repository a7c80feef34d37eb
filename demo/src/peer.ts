// One peer of the demo in its own process, forked by the stage through the
// shared peer-process harness. It answers every ping with a pong and every
// broadcast with an ack, and follows the demo's commands (control.ts).
import type { Client } from '@ipcm/client-core';
import { TcpClient } from '@ipcm/client-tcp';
import { UnixClient } from '@ipcm/client-unix';
import { runPeer } from '@ipcm/peer-process';
import type { DemoPeer, PeerSettings } from './control.js';
import { isContent, type DemoContent } from './content.js';

function createClient({ id, route, listen, transport }: PeerSettings): Promise<Client> {
  return transport === 'unix' ? UnixClient.create({ id, route, listen }) : TcpClient.create({ id, route, listen });
}

runPeer<DemoPeer>({
  async start(settings, channel) {
    const client = await createClient(settings);
    const send = (to: string, content: DemoContent): void => {
      client.send(to, content).catch((error: Error) => channel.fail(new Error(`${settings.id} → ${to}: ${error.message}`)));
    };
    client.on('message', ({ from, content, broadcast }) => {
      if (isContent(content, 'ping')) send(from, { kind: 'pong', n: content.n });
      else if (broadcast === true && isContent(content, 'news')) send(from, { kind: 'ack', n: content.n });
      else if (isContent(content, 'welcome')) channel.report({ type: 'welcomed', from });
    });
    return {
      ready: null,
      commands: {
        greet: ({ to }) => send(to, { kind: 'hi' }),
      },
      close: async () => {
        await client.close();
        return client.stats();
      },
      // If the demo goes away, so do we.
      abandoned: () => void client.destroy(),
    };
  },
});
