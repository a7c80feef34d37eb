// One worker of worker-pool.ts, in its own process: argv = [route, id].
// It does not listen: it says "ready" to the dispatcher, and the jobs come
// back over the connection it opened. Each result goes back the same way.
import { UnixClient } from '@ipcm/client-unix';
import { countPrimes, poolContent } from './jobs.js';

async function main(): Promise<void> {
  const [route, id] = process.argv.slice(2);
  if (route === undefined || id === undefined) throw new Error('usage: worker.js <route> <id>');
  const client = await UnixClient.create({ id, route, listen: false });
  client.on('message', ({ from, content }) => {
    const message = poolContent(content);
    if (message?.type === 'job') {
      void client.send(from, { type: 'result', job: message.job, primes: countPrimes(message.n) });
    } else if (message?.type === 'stop') {
      void client.close(); // flushes the results still queued; then nothing keeps the process alive
    }
  });
  await client.send('dispatcher', { type: 'ready' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
