// One peer of the demo in its own process, forked by main.ts with its
// PeerSettings as JSON in argv[2]. It answers every ping with a pong and
// every broadcast with an ack, and follows the demo's commands (control.ts).
import type { Client } from '@ipcm/client-core';
import { TcpClient } from '@ipcm/client-tcp';
import { UnixClient } from '@ipcm/client-unix';
import type { PeerCommand, PeerReport, PeerSettings } from './control.js';
import { isContent, type DemoContent } from './content.js';

function report(message: PeerReport, then: () => void = () => {}): void {
  process.send?.(message, then);
}

function createClient({ id, route, listen, transport }: PeerSettings): Promise<Client> {
  return transport === 'unix' ? UnixClient.create({ id, route, listen }) : TcpClient.create({ id, route, listen });
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '') as PeerSettings;
  const client = await createClient(settings);
  // If the demo goes away, so do we.
  process.on('disconnect', () => void client.destroy());

  const send = (to: string, content: DemoContent): void => {
    client.send(to, content).catch((error: Error) => report({ type: 'failed', error: `${settings.id} → ${to}: ${error.message}` }));
  };
  client.on('message', ({ from, content, broadcast }) => {
    if (isContent(content, 'ping')) send(from, { kind: 'pong', n: content.n });
    else if (broadcast === true && isContent(content, 'news')) send(from, { kind: 'ack', n: content.n });
    else if (isContent(content, 'welcome')) report({ type: 'welcomed', from });
  });

  process.on('message', (command: PeerCommand) => {
    if (command.cmd === 'greet') {
      send(command.to, { kind: 'hi' });
    } else {
      void client.close().then(() => report({ type: 'closed', stats: client.stats() }, () => process.disconnect()));
    }
  });
  report({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.exitCode = 1;
  report({ type: 'failed', error: error instanceof Error ? error.message : String(error) }, () => process.disconnect());
});
