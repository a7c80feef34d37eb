// One worker of worker-pool.ts, in its own process: argv = [route, id].
// It does not listen: it says "ready" to the dispatcher, and the jobs come
// back as requests over the connection it opened; `handle()` answers each.
import { UnixClient } from '@ipcm/client-unix';
import { countPrimes, type Pool } from './jobs.js';

async function main(): Promise<void> {
  const [route, id] = process.argv.slice(2);
  if (route === undefined || id === undefined) throw new Error('usage: worker.js <route> <id>');
  const client = await UnixClient.create<Pool>({ id, route, listen: false });
  client.handle(({ n }) => countPrimes(n));
  client.on('message', ({ content }) => {
    // Answers already taken are sent before the connection ends; then
    // nothing keeps the process alive.
    if (content.type === 'stop') void client.close();
  });
  await client.send('dispatcher', { type: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
