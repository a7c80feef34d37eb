// The second process of the messaging suite, forked by messaging.ts with an
// EndpointConfig as JSON in argv[2]. It opens the listening end, then obeys
// commands on the IPC channel (which carries control only, never the
// benchmark's messages):
//   { cmd: 'count', total } -> 'armed'; after `total` messages, 'counted'
//       with the sharedNow() time at which the last one arrived
//   { cmd: 'echo' } -> 'armed'; then every message is sent back
//   { cmd: 'respond' } -> 'armed'; then every request is answered with its value
//   { cmd: 'close' } -> closes the endpoint and exits
import { listenEndpoint, type EndpointConfig } from './messaging-endpoints.js';
import type { ChildCommand, ChildReport } from './messaging-protocol.js';
import { sharedNow } from './messaging-wire.js';

function report(message: ChildReport): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as EndpointConfig;
  const { endpoint, address } = await listenEndpoint(config);
  // If the parent dies, so do we.
  process.on('disconnect', () => process.exit(0));

  let total = 0;
  let seen = 0;
  const count = (): void => {
    seen++;
    if (seen === total) {
      const lastAt = sharedNow();
      endpoint.onMessage = () => {};
      report({ type: 'counted', messages: seen, lastAt });
    }
  };

  process.on('message', (command: ChildCommand) => {
    switch (command.cmd) {
      case 'count':
        ({ total } = command);
        seen = 0;
        endpoint.onMessage = count;
        report({ type: 'armed' });
        break;
      case 'echo':
        endpoint.onMessage = (content) => endpoint.send(content);
        report({ type: 'armed' });
        break;
      case 'respond':
        if (endpoint.respond === undefined) throw new Error(`${config.impl} has no request/response`);
        endpoint.respond();
        report({ type: 'armed' });
        break;
      case 'close':
        endpoint.close().then(
          () => process.disconnect(),
          (error: unknown) => {
            report({ type: 'failed', error: String(error) });
            process.disconnect();
          },
        );
        break;
    }
  });
  report({ type: 'ready', address });
}

main().catch((error: unknown) => {
  report({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
