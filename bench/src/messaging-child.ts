// The second process of the messaging suite, forked by messaging.ts with an
// EndpointConfig as JSON in argv[2]. It opens the listening end, then obeys
// commands on the IPC channel (which carries control only, never the
// benchmark's messages):
//   { cmd: 'count', total, warmup } -> 'armed'; after `total` messages,
//       'counted' with the time from message `warmup` to message `total`
//   { cmd: 'echo' } -> 'armed'; then every message is sent back
//   { cmd: 'close' } -> closes the endpoint and exits
import { performance } from 'node:perf_hooks';
import { listenEndpoint, type EndpointConfig } from './messaging-endpoints.js';
import type { ChildCommand, ChildReport } from './messaging-protocol.js';

function report(message: ChildReport): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as EndpointConfig;
  const { endpoint, address } = await listenEndpoint(config);
  // If the parent dies, so do we.
  process.on('disconnect', () => process.exit(0));

  let total = 0;
  let warmup = 0;
  let seen = 0;
  let started = 0;
  const count = (): void => {
    seen++;
    if (seen === warmup) started = performance.now();
    if (seen === total) {
      const ms = performance.now() - started;
      endpoint.onMessage = () => {};
      report({ type: 'counted', messages: total - warmup, ms });
    }
  };

  process.on('message', (command: ChildCommand) => {
    switch (command.cmd) {
      case 'count':
        ({ total, warmup } = command);
        seen = 0;
        endpoint.onMessage = count;
        report({ type: 'armed' });
        break;
      case 'echo':
        endpoint.onMessage = (content) => endpoint.send(content);
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
  report(address === undefined ? { type: 'ready' } : { type: 'ready', address });
}

main().catch((error: unknown) => {
  report({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
