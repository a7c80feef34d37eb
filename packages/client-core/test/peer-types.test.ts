import type { Client } from '../src/client.js';
import type { Message } from '../src/message.js';
import type { ContentOf, PeerTypes, RequestOf, ResponseOf } from '../src/peer-types.js';
import type { ResponseContent } from '../src/request-wire.js';
import { RequestTable } from '../src/requests.js';
import { Responder } from '../src/responder.js';

// Compile-time checks (tsc -b type-checks the tests): `Equal` is true only for identical types.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

interface Calc extends PeerTypes {
  content: { log: string };
  request: { op: 'add'; args: [number, number] };
  response: number;
}

test('declared types come through; undeclared ones stay unknown', () => {
  assertType<Equal<ContentOf<Calc>, { log: string }>>();
  assertType<Equal<RequestOf<Calc>, { op: 'add'; args: [number, number] }>>();
  assertType<Equal<ResponseOf<Calc>, number>>();
  assertType<Equal<ContentOf<PeerTypes>, unknown>>();
  assertType<Equal<RequestOf<{ response: string }>, unknown>>();
  assertType<Equal<ResponseOf<{}>, unknown>>();
});

test('a typed table and responder check requests, responses and handlers', async () => {
  let responder: Responder<RequestOf<Calc>, ResponseOf<Calc>> | undefined;
  const table = new RequestTable<RequestOf<Calc>, ResponseOf<Calc>>({
    send: async () => {},
  });
  responder = new Responder<RequestOf<Calc>, ResponseOf<Calc>>({ send: async () => {}, onError: () => {} });
  responder.handle(({ args: [a, b] }) => a + b);
  // @ts-expect-error a string is not a Calc response
  responder.handle(() => 'three');
  const reply: Promise<number> = table.request('calc', { op: 'add', args: [1, 2] });
  // @ts-expect-error the request must be a Calc request
  void table.request('calc', { op: 'mul' }).catch(() => {});
  table.close();
  await reply.catch(() => {});
  expect(responder.handling).toBe(true);
});

test('a typed client types content, requests, responses and handlers; the default stays unknown', () => {
  type Calls<C> = {
    send: Parameters<Client<C & PeerTypes>['send']>[1];
    request: Parameters<Client<C & PeerTypes>['request']>[1];
    response: Awaited<ReturnType<Client<C & PeerTypes>['request']>>;
    reply: Awaited<ReturnType<Client<C & PeerTypes>['requestMessage']>>;
    drained: ReturnType<Client<C & PeerTypes>['getMessages']>;
  };
  assertType<Equal<Calls<Calc>['send'], { log: string }>>();
  assertType<Equal<Calls<Calc>['request'], { op: 'add'; args: [number, number] }>>();
  assertType<Equal<Calls<Calc>['response'], number>>();
  assertType<Equal<Calls<Calc>['reply'], Message<ResponseContent<number>>>>();
  assertType<Equal<Calls<Calc>['drained'], Message<{ log: string }>[]>>();
  assertType<Equal<Calls<PeerTypes>['send'], unknown>>();
  assertType<Equal<Calls<PeerTypes>['response'], unknown>>();
  assertType<Equal<Parameters<Client['request']>[1], unknown>>();
  // A handler of a typed client gets the request type and must return the response type.
  const handle = (client: Client<Calc>): void => {
    client.handle(({ args: [a, b] }) => a + b);
    // @ts-expect-error a string is not a Calc response
    client.handle(() => 'three');
    client.on('message', (message) => {
      const log: string = message.content.log;
      void log;
    });
    // @ts-expect-error plain content must be a Calc content
    void client.send('calc', { nope: 1 });
  };
  expect(typeof handle).toBe('function');
});
