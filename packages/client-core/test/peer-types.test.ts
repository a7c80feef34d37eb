import type { ContentOf, PeerTypes, RequestOf, ResponseOf } from '../src/peer-types.js';
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
