// Request/response with @ipcm's own API, wire-compatible with IPC::Manager
// services (a request is `{"ipcm_request_id", "request"}`, its response
// `{"ipcm_response_id", "response"}` plus `"ipcm_error"` on failure).
//
// `calc` answers with `client.handle()`; `app` asks with `client.request()`.
// Shown: several requests in flight at once, an error thrown by the handler
// (its text reaches the requester because calc opts in with
// `exposeErrorDetails`), a request to a peer that never answers, which
// times out, and a request cancelled with an AbortSignal. The message types
// are declared once (`Calc`) and checked by the compiler on both sides.
//
// Run: node examples/dist/request-response.js
import { UnixClient, removeRoute, spawnRoute, type PeerTypes, type RemoteError, type RequestTimeoutError } from '@ipcm/client-unix';

/** What `calc` is asked and answers. */
interface Calc extends PeerTypes {
  request: { op: 'square' | 'sqrt'; n: number };
  response: number;
}

export async function main(): Promise<void> {
  const route = await spawnRoute({ prefix: 'ipcm-rr-' });
  const calc = await UnixClient.create<Calc>({ id: 'calc', route, exposeErrorDetails: true });
  const app = await UnixClient.create<Calc>({ id: 'app', route });
  const sleepy = await UnixClient.create({ id: 'sleepy', route }); // listens, never answers
  try {
    calc.handle(({ op, n }) => {
      if (op === 'square') return n * n;
      if (op === 'sqrt' && n >= 0) return Math.sqrt(n);
      throw new Error(`calc cannot do ${op}(${n})`);
    });

    const squares = [1, 2, 3, 4, 5].map((n) => app.request('calc', { op: 'square', n }));
    console.log(`requests in flight at once: ${app.stats().requests.pending}`);
    console.log(`squares: ${(await Promise.all(squares)).join(', ')}`);

    await app.request('calc', { op: 'sqrt', n: -1 }).catch((error: RemoteError) => {
      console.log(`remote error: ${error.code}: ${error.remoteMessage}`);
    });
    await app.request('sleepy', { op: 'square', n: 6 }, { timeoutMs: 200 }).catch((error: RequestTimeoutError) => {
      console.log(`timed out: ${error.code}: ${error.message}`);
    });
    const controller = new AbortController();
    const cancelled = app.request('sleepy', { op: 'square', n: 7 }, { signal: controller.signal });
    controller.abort();
    await cancelled.catch((error: Error) => console.log(`cancelled: ${error.name}`));
    console.log(`requests in flight now: ${app.stats().requests.pending}`);
  } finally {
    await Promise.all([app.close(), calc.close(), sleepy.close()]);
    await removeRoute(route);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
