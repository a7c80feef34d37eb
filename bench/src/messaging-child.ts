// The second process of the messaging suite, forked by messaging-pair.ts
// through the shared peer-process harness with an EndpointConfig as its
// settings. It opens the listening end, then obeys the commands of
// MessagingPeer (messaging-protocol.ts); a command's reply means "armed".
import { runPeer } from '@ipcm/peer-process';
import { listenEndpoint } from './messaging-endpoints.js';
import type { MessagingPeer } from './messaging-protocol.js';
import { sharedNow } from './messaging-wire.js';

runPeer<MessagingPeer>({
  async start(config, channel) {
    const { endpoint, address } = await listenEndpoint(config);
    return {
      ready: { address },
      commands: {
        count({ total }) {
          let seen = 0;
          endpoint.onMessage = () => {
            seen++;
            if (seen === total) {
              const lastAt = sharedNow();
              endpoint.onMessage = () => {};
              channel.report({ type: 'counted', messages: seen, lastAt });
            }
          };
        },
        echo() {
          endpoint.onMessage = (content) => endpoint.send(content);
        },
        respond() {
          if (endpoint.respond === undefined) throw new Error(`${config.impl} has no request/response`);
          endpoint.respond();
        },
      },
      close: () => endpoint.close(),
    };
  },
});
