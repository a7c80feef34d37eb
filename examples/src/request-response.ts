// Request/response on top of @ipcm messages.
//
// @ipcm delivers one-way messages. A request is a message whose content
// carries a correlation id (`rid`); the response is a message back carrying
// the same id (`re`). `Requester` matches them up, with a timeout per
// request; `respond()` turns a function into a responder. Shown: several
// requests in flight at once, an error thrown by the responder, and a
// request to a peer that never answers, which times out.
//
// Run: node examples/dist/request-response.js
import { randomUUID } from 'node:crypto';
import { UnixClient, removeRoute, spawnRoute, type Message } from '@ipcm/client-unix';

interface RequestContent {
  readonly rid: string;
  readonly body: unknown;
}

interface ResponseContent {
  readonly re: string;
  readonly result?: unknown;
  readonly error?: string;
}

function isRequest(content: unknown): content is RequestContent {
  return typeof content === 'object' && content !== null && typeof (content as { rid?: unknown }).rid === 'string';
}

function isResponse(content: unknown): content is ResponseContent {
  return typeof content === 'object' && content !== null && typeof (content as { re?: unknown }).re === 'string';
}

/** A request got no response in time. */
export class RequestTimeoutError extends Error {
  readonly code = 'ERR_REQUEST_TIMEOUT';
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Sends requests from `client` and resolves each with its response. */
export class Requester {
  readonly #client: UnixClient;
  readonly #pending = new Map<string, Pending>();

  constructor(client: UnixClient) {
    this.#client = client;
    client.on('message', (message) => this.#onMessage(message));
  }

  /** Requests waiting for their response. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends `body` to `peer`; resolves with the result, rejects with the remote error or a timeout. */
  request(peer: string, body: unknown, { timeoutMs = 1000 }: { timeoutMs?: number } = {}): Promise<unknown> {
    const rid = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(rid);
        reject(new RequestTimeoutError(`no response from ${peer} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, { resolve, reject, timer });
      this.#client.send(peer, { rid, body } satisfies RequestContent).catch((error: Error) => {
        clearTimeout(timer);
        this.#pending.delete(rid);
        reject(error);
      });
    });
  }

  #onMessage({ content }: Message): void {
    if (!isResponse(content)) return;
    const pending = this.#pending.get(content.re);
    if (pending === undefined) return; // too late: that request already timed out
    this.#pending.delete(content.re);
    clearTimeout(pending.timer);
    if (content.error === undefined) pending.resolve(content.result);
    else pending.reject(new Error(content.error));
  }
}

/** Answers every request `client` receives with `handler(body)`; a throw becomes an error response. */
export function respond(client: UnixClient, handler: (body: unknown, from: string) => unknown): void {
  client.on('message', async ({ from, content }) => {
    if (!isRequest(content)) return;
    let response: ResponseContent;
    try {
      response = { re: content.rid, result: await handler(content.body, from) };
    } catch (error) {
      response = { re: content.rid, error: (error as Error).message };
    }
    await client.send(from, response).catch(() => {}); // the requester is gone: nobody to tell
  });
}

export async function main(): Promise<void> {
  const route = await spawnRoute({ prefix: 'ipcm-rr-' });
  const calc = await UnixClient.create({ id: 'calc', route });
  const app = await UnixClient.create({ id: 'app', route });
  const sleepy = await UnixClient.create({ id: 'sleepy', route }); // listens, never answers
  try {
    respond(calc, (body) => {
      const { op, n } = body as { op: string; n: number };
      if (op === 'square') return n * n;
      if (op === 'sqrt' && n >= 0) return Math.sqrt(n);
      throw new Error(`calc cannot do ${op}(${n})`);
    });
    const requester = new Requester(app);

    const squares = [1, 2, 3, 4, 5].map((n) => requester.request('calc', { op: 'square', n }));
    console.log(`requests in flight at once: ${requester.inFlight}`);
    console.log(`squares: ${(await Promise.all(squares)).join(', ')}`);

    await requester.request('calc', { op: 'sqrt', n: -1 }).catch((error: Error) => {
      console.log(`remote error: ${error.message}`);
    });
    await requester.request('sleepy', { op: 'square', n: 6 }, { timeoutMs: 200 }).catch((error: RequestTimeoutError) => {
      console.log(`timed out: ${error.code}: ${error.message}`);
    });
    console.log(`requests in flight now: ${requester.inFlight}`);
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
