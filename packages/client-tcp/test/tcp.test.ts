import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import * as path from 'node:path';
import { inspect, promisify } from 'node:util';
import { RouteDirectory, type Client, type DisconnectEvent, type IpcmError, type Message } from '@ipcm/client-core';
import { UnixClient } from '@ipcm/client-unix';
import {
  closedByPeer,
  forkPeer,
  helloFrame,
  jsonFrame,
  messageFrame,
  nextErrors,
  nextMessages,
  recordErrors,
  writeRaw,
} from '../../client-core/test/conformance/harness.js';
import {
  AuthError,
  ConfigError,
  ConnectError,
  IdInUseError,
  InvalidIdError,
  TcpClient,
  UnknownPeerError,
  WrongTransportError,
  isTcpAddress,
  removeRoute,
  spawnRoute,
  type TcpClientOptions,
  type TcpTlsOptions,
} from '../src/index.js';

const TOKEN = 's3cret-token-for-ipcm-tests-0001';

const interfaces = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
/** Addresses of this machine that other hosts could reach. */
const externalAddresses = interfaces.filter((info) => !info.internal).map((info) => info.address);
const externalV4 = interfaces.find((info) => !info.internal && info.family === 'IPv4')?.address;
const hasIpv6Loopback = interfaces.some((info) => info.internal && info.family === 'IPv6');

/** A TcpClient in a child process (client-core's test/fixtures/peer.js). */
interface ForkedPeer {
  /** The port its client listens on. */
  readonly port: number;
  command(message: Record<string, unknown>): Promise<Record<string, unknown>>;
  readonly exited: Promise<unknown>;
}

/** Everything one test opens; `release()` closes it all, newest first. */
class Scope {
  readonly #cleanups: Array<() => unknown> = [];

  defer(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  async release(): Promise<void> {
    for (const cleanup of this.#cleanups.splice(0).reverse()) await cleanup();
  }

  async route(): Promise<string> {
    const route = await spawnRoute({ prefix: 'ipcm-tcp-' });
    this.defer(() => removeRoute(route));
    return route;
  }

  tcp(options: TcpClientOptions): Promise<TcpClient> {
    return this.#track(TcpClient.create(options));
  }

  /** The same as `tcp()`, for a client expected to be refused (closed at the end if it is not). */
  attempt(options: TcpClientOptions): Promise<TcpClient> {
    return this.#track(TcpClient.create(options));
  }

  unix(id: string, route: string): Promise<UnixClient> {
    return this.#track(UnixClient.create({ id, route }));
  }

  #track<C extends Client>(creating: Promise<C>): Promise<C> {
    this.defer(() => creating.then((client) => client.destroy(), () => undefined));
    return creating;
  }

  /** A plain TCP connection; a refusing peer may reset it, so 'error' is ignored. */
  async raw(port: number, host = '127.0.0.1'): Promise<Socket> {
    const socket = connect({ host, port });
    socket.on('error', () => {});
    this.defer(() => socket.destroy());
    await once(socket, 'connect');
    return socket;
  }

  /** A TCP server on 127.0.0.1; every socket it accepts is destroyed at the end. */
  async server(onConnection: (socket: Socket) => void = () => {}): Promise<{ server: Server; port: number }> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      onConnection(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.defer(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return { server, port: (server.address() as AddressInfo).port };
  }

  /** A TCP relay to 127.0.0.1:port that records every byte it passes on, both ways. */
  async tap(port: number): Promise<{ port: number; wire(): { up: Buffer; down: Buffer } }> {
    const up: Buffer[] = [];
    const down: Buffer[] = [];
    const { port: tapPort } = await this.server((inbound) => {
      const outbound = connect({ host: '127.0.0.1', port });
      outbound.on('error', () => {});
      this.defer(() => outbound.destroy());
      inbound.on('data', (chunk: Buffer) => {
        up.push(chunk);
        outbound.write(chunk);
      });
      outbound.on('data', (chunk: Buffer) => {
        down.push(chunk);
        inbound.write(chunk);
      });
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
    });
    return { port: tapPort, wire: () => ({ up: Buffer.concat(up), down: Buffer.concat(down) }) };
  }

  /** Starts a TcpClient with these options in a child process (the shared peer fixture); resolves once it listens. */
  async fork(options: TcpClientOptions): Promise<ForkedPeer> {
    const child = forkPeer({ module: path.resolve(__dirname, '../dist/index.js'), exportName: 'TcpClient', options: { ...options } });
    this.defer(() => child.kill());
    const ready = await child.ready;
    if (ready['ready'] !== true) throw new Error(`the forked peer failed: ${String(ready['error'])}`);
    return { port: Number((ready['address'] as { port?: unknown } | undefined)?.port), exited: child.exited, command: child.command };
  }
}

function portOf(client: Client): number {
  const address = client.address;
  if (typeof address !== 'object' || !isTcpAddress(address)) throw new Error(`${client.id} does not listen on TCP`);
  return address.port;
}

/** The static `peers` value that reaches `client`. */
function at(client: Client): string {
  return `127.0.0.1:${portOf(client)}`;
}

/** Sends one message each way: `a` dials `b`, `b` answers (over whatever connection it has to `a`). */
async function exchange(a: Client, b: Client, ping: unknown = 'ping', pong: unknown = 'pong'): Promise<void> {
  const atB = nextMessages(b, 1);
  await a.send(b.id, ping);
  expect((await atB)[0]).toMatchObject({ from: a.id, to: b.id, content: ping });
  const atA = nextMessages(a, 1);
  await b.send(a.id, pong);
  expect((await atA)[0]).toMatchObject({ from: b.id, to: a.id, content: pong });
}

/** Every message a client delivers from now on. */
function delivered(client: Client): Message[] {
  const got: Message[] = [];
  client.on('message', (message) => got.push(message));
  return got;
}

/** The ids of every connection a client announces from now on. */
function announced(client: Client): string[] {
  const ids: string[] = [];
  client.on('connect', (event) => ids.push(event.peerId));
  return ids;
}

/** Opens a TCP connection; resolves with 'connected' or the error code. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * Sends to a peer that is expected to refuse us, and resolves with how that
 * ended: the send's error code, or (when the frame was written before the
 * peer hung up) the reason of the connection's 'disconnect'.
 */
async function refusal(client: Client, peerId: string): Promise<string> {
  const gone = new Promise<DisconnectEvent>((resolve) => client.once('disconnect', resolve));
  try {
    await client.send(peerId, 'let me in');
  } catch (error) {
    return String((error as IpcmError).code);
  }
  return `disconnect: ${(await gone).reason}`;
}

const REFUSED = /^(ERR_IPCM_[A-Z_]+|disconnect: [a-z ]+)$/;

/** Fails if any secret appears in any rendering of the error. */
function expectNoSecret(error: Error, secrets: readonly unknown[]): void {
  const renderings = [error.message, String(error), error.stack ?? '', inspect(error, { depth: Infinity, showHidden: true })];
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < 8) continue; // too short to tell apart from other text
    for (const text of renderings) expect(text).not.toContain(secret);
  }
}

describe('tcp client', () => {
  const s = new Scope();
  afterEach(() => s.release());

  describe('R20: where it listens', () => {
    test('R20: by default it listens on 127.0.0.1 only and publishes 127.0.0.1 in the route directory', async () => {
      const route = await s.route();
      const client = await s.tcp({ id: 'local', route });
      const port = portOf(client);
      expect(client.address).toEqual({ transport: 'tcp', host: '127.0.0.1', port });
      const entry = await (await RouteDirectory.open(route, { create: false })).lookup('local');
      expect(entry).toMatchObject({ kind: 'address', address: { transport: 'tcp', host: '127.0.0.1', port } });
      expect(await tryConnect('127.0.0.1', port)).toBe('connected');
      // Loopback only: this machine's other addresses have no listener on that port.
      if (externalV4 !== undefined) expect(await tryConnect(externalV4, port)).toBe('ECONNREFUSED');
    });

    const wideOpen = ['0.0.0.0', '::', '0', '::ffff:0.0.0.0', ...externalAddresses];
    test.each(wideOpen)('R20: listening on %s without a token or tls is refused with ERR_IPCM_CONFIG before any route entry exists', async (host) => {
      const route = await s.route();
      const attempt = s.attempt({ id: 'wide', route, host });
      await expect(attempt).rejects.toBeInstanceOf(ConfigError);
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_IPCM_CONFIG', message: expect.stringContaining(JSON.stringify(host)) });
      expect(await readdir(route)).toEqual([]);
    });

    const wildcards: Array<[string, string]> = [['0.0.0.0', '127.0.0.1'], ...(hasIpv6Loopback ? [['::', '::1'] as [string, string]] : [])];
    test.each(wildcards)('listening on %s without advertiseHost is refused with ERR_IPCM_CONFIG: it would publish an address nobody can dial', async (host) => {
      const route = await s.route();
      const attempt = s.attempt({ id: 'wide', route, host, token: TOKEN });
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_IPCM_CONFIG', message: expect.stringContaining('advertiseHost') });
      expect(await readdir(route)).toEqual([]);
    });

    test('advertising a non-loopback host without a token or tls is refused with ERR_IPCM_CONFIG (issue 14)', async () => {
      const route = await s.route();
      const attempt = s.attempt({ id: 'far', route, advertiseHost: '203.0.113.7' });
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_IPCM_CONFIG', message: expect.stringContaining('"203.0.113.7"') });
      expect(await readdir(route)).toEqual([]);
    });

    test('a client publishes its advertiseHost, not the host it binds', async () => {
      const route = await s.route();
      const far = await s.tcp({ id: 'far', route, advertiseHost: '203.0.113.7', token: TOKEN });
      expect(far.address).toEqual({ transport: 'tcp', host: '203.0.113.7', port: portOf(far) });
      const entry = await (await RouteDirectory.open(route, { create: false })).lookup('far');
      expect(entry).toMatchObject({ kind: 'address', address: { transport: 'tcp', host: '203.0.113.7' } });
    });

    test.each(wildcards)('R20: with a token, listening on %s is allowed; it publishes its advertiseHost %s and a peer with the token reaches it', async (host, published) => {
      const route = await s.route();
      const wide = await s.tcp({ id: 'wide', route, host, advertiseHost: published, token: TOKEN });
      const port = portOf(wide);
      expect(wide.address).toEqual({ transport: 'tcp', host: published, port });
      const entry = await (await RouteDirectory.open(route, { create: false })).lookup('wide');
      expect(entry).toMatchObject({ kind: 'address', address: { transport: 'tcp', host: published, port } });
      const near = await s.tcp({ id: 'near', route, token: TOKEN });
      await exchange(near, wide);
      // It really is bound beyond loopback.
      if (externalV4 !== undefined) expect(await tryConnect(externalV4, port)).toBe('connected');
    });
  });

  describe('R21: the token', () => {
    const badHellos: Array<[string, Record<string, unknown>]> = [
      ['no token', {}],
      ['a wrong token of the same length', { token: TOKEN.toUpperCase() }],
      ['an oversized token (1025 bytes)', { token: 'x'.repeat(1025) }],
      ['an oversized token that starts with the right one', { token: TOKEN + 'x'.repeat(1024) }],
      ['a token that is not a string', { token: 42 }],
      ['the token inside an array', { token: [TOKEN] }],
      ['the token under another key', { secret: TOKEN }],
    ];
    test.each(badHellos)(
      'R21: a hello with %s is refused with ERR_IPCM_AUTH and closed; the message right behind it is never delivered',
      async (_, fields) => {
        const server = await s.tcp({ id: 'server', token: TOKEN });
        const messages = delivered(server);
        const connected = announced(server);
        const errors = nextErrors(server, 1);
        const raw = await s.raw(portOf(server));
        await writeRaw(raw, Buffer.concat([jsonFrame({ hello: 'mallory', ...fields }), messageFrame('mallory', 'server', 'smuggled')]));
        const [error] = await errors;
        expect(error).toBeInstanceOf(AuthError);
        expect(error).toMatchObject({ code: 'ERR_IPCM_AUTH' });
        expectNoSecret(error as AuthError, [TOKEN, fields['token']]);
        await closedByPeer(raw);

        // The next message the server delivers is a good peer's.
        const friend = await s.tcp({ id: 'friend', token: TOKEN, listen: false, peers: { server: at(server) } });
        const next = nextMessages(server, 1);
        await friend.send('server', 'legit');
        await next;
        expect(messages.map((message) => [message.from, message.content])).toEqual([['friend', 'legit']]);
        expect(server.stats().read).toEqual({ friend: 1 });
        expect(connected).toEqual(['friend']);
        expect(server.connections()).toEqual(['friend']);
      },
    );

    test('R21: tokens of any length or UTF-8 width are refused with ERR_IPCM_AUTH: the constant-time compare never throws on a length mismatch', async () => {
      const server = await s.tcp({ id: 'server', token: TOKEN });
      const tokens = [
        '',
        'x',
        TOKEN.slice(1),
        `${TOKEN}!`,
        'é'.repeat(TOKEN.length), // as many characters as the token, twice the bytes
        'y'.repeat(64),
        '€'.repeat(341), // 1023 bytes
        'z'.repeat(1024),
      ];
      const errors = nextErrors(server, tokens.length);
      const raws = await Promise.all(tokens.map(() => s.raw(portOf(server))));
      await Promise.all(
        raws.map((raw, i) =>
          writeRaw(raw, Buffer.concat([jsonFrame({ hello: `m${i}`, token: tokens[i] }), messageFrame(`m${i}`, 'server', 'smuggled')])),
        ),
      );
      expect((await errors).map((error) => error.code)).toEqual(tokens.map(() => 'ERR_IPCM_AUTH'));
      await Promise.all(raws.map((raw) => closedByPeer(raw)));
      expect(server.stats().read).toEqual({});
      expect(server.connections()).toEqual([]);
    });

    test('R21: the right token is accepted, from a raw hello or a client; a client with another token is refused and the token shows nowhere', async () => {
      const server = await s.tcp({ id: 'server', token: TOKEN });
      const serverErrors: IpcmError[] = [];
      server.on('error', (error) => serverErrors.push(error));
      const messages = delivered(server);

      const raw = await s.raw(portOf(server));
      const first = nextMessages(server, 1);
      await writeRaw(raw, Buffer.concat([jsonFrame({ hello: 'alice', token: TOKEN }), messageFrame('alice', 'server', 'from a raw peer')]));
      expect((await first)[0]).toMatchObject({ from: 'alice', content: 'from a raw peer' });

      const bob = await s.tcp({ id: 'bob', token: TOKEN, peers: { server: at(server) } });
      await exchange(bob, server);

      const otherToken = 'a-different-secret-of-eve-000001';
      const eve = await s.tcp({ id: 'eve', token: otherToken, listen: false, peers: { server: at(server) } });
      const eveErrors: Error[] = [];
      eve.on('error', (error) => eveErrors.push(error));
      eve.on('disconnect', (event) => event.error && eveErrors.push(event.error));
      const refused = nextErrors(server, 1);
      expect(await refusal(eve, 'server')).toMatch(REFUSED);
      expect(await refused).toEqual([expect.any(AuthError)]);

      expect(messages.map((message) => message.from)).toEqual(['alice', 'bob']);
      expect(server.stats().read).toEqual({ alice: 1, bob: 1 });
      expect(server.connections()).toEqual(['alice', 'bob']);
      for (const error of [...serverErrors, ...eveErrors]) expectNoSecret(error, [TOKEN, otherToken]);
      for (const client of [server, bob, eve]) {
        const shown = inspect(client, { depth: Infinity, showHidden: true });
        expect(shown).not.toContain(TOKEN);
        expect(shown).not.toContain(otherToken);
      }
    });
  });

  describe('TLS', () => {
    let pki: Pki;
    let tls: TcpTlsOptions;
    beforeAll(async () => {
      pki = await makePki();
      tls = { key: pki.key, cert: pki.cert, ca: pki.ca };
    });

    test('R20: tls alone allows listening on 0.0.0.0; two TLS clients exchange messages both ways and the wire shows neither hello nor content', async () => {
      const b = await s.tcp({ id: 'b', host: '0.0.0.0', advertiseHost: '127.0.0.1', tls });
      const tap = await s.tap(portOf(b));
      const a = await s.tcp({ id: 'a', tls, peers: { b: `127.0.0.1:${tap.port}` } });
      await exchange(a, b, 'ping: a secret payload', 'pong: another secret payload');
      expect(a.stats()).toMatchObject({ connects: 1, accepts: 0 });
      expect(b.stats()).toMatchObject({ connects: 0, accepts: 1 });
      const { up, down } = tap.wire();
      expect(up[0]).toBe(0x16); // a TLS handshake record, not a frame header
      expect(up.includes('"hello"')).toBe(false);
      expect(up.includes('a secret payload')).toBe(false);
      expect(down.includes('another secret payload')).toBe(false);
    });

    test('a plain-TCP peer sending a valid hello and message to a TLS client is dropped and delivers nothing', async () => {
      const b = await s.tcp({ id: 'b', tls });
      const messages = delivered(b);
      const errors = recordErrors(b); // the TLS layer drops it: the client never sees it
      const raw = await s.raw(portOf(b));
      await writeRaw(raw, Buffer.concat([helloFrame('plain'), messageFrame('plain', 'b', 'in clear text')]));
      await closedByPeer(raw);
      const a = await s.tcp({ id: 'a', tls, listen: false, peers: { b: at(b) } });
      const next = nextMessages(b, 1);
      await a.send('b', 'over TLS');
      await next;
      expect(messages.map((message) => [message.from, message.content])).toEqual([['a', 'over TLS']]);
      expect(b.stats()).toMatchObject({ read: { a: 1 }, accepts: 1, errors: 0 });
      expect(errors).toEqual([]);
    });

    test('mutual TLS: a client whose certificate comes from another CA, or with no certificate, is refused and delivers nothing', async () => {
      const server = await s.tcp({ id: 'server', tls: { ...tls, requestCert: true } });
      const messages = delivered(server);
      const connected = announced(server);
      const errors = recordErrors(server);
      const peers = { server: at(server) };
      const rogue = await s.tcp({ id: 'rogue', listen: false, peers, tls: { key: pki.rogueKey, cert: pki.rogueCert, ca: pki.ca } });
      const bare = await s.tcp({ id: 'bare', listen: false, peers, tls: { ca: pki.ca } });
      expect(await refusal(rogue, 'server')).toMatch(REFUSED);
      expect(await refusal(bare, 'server')).toMatch(REFUSED);
      expect(rogue.connections()).toEqual([]);
      expect(bare.connections()).toEqual([]);

      const good = await s.tcp({ id: 'good', listen: false, peers, tls });
      const next = nextMessages(server, 1);
      await good.send('server', 'certified');
      await next;
      expect(messages.map((message) => [message.from, message.content])).toEqual([['good', 'certified']]);
      expect(connected).toEqual(['good']);
      expect(server.stats()).toMatchObject({ read: { good: 1 }, accepts: 1, errors: 0 });
      expect(errors).toEqual([]);
    });

    test('a client refuses a peer whose certificate it cannot verify: ERR_IPCM_CONNECT, nothing sent', async () => {
      const impostor = await s.tcp({ id: 'server', tls: { key: pki.rogueKey, cert: pki.rogueCert, ca: pki.rogueCa } });
      const client = await s.tcp({ id: 'client', listen: false, tls, peers: { server: at(impostor) } });
      const attempt = client.send('server', 'for the real server only');
      await expect(attempt).rejects.toBeInstanceOf(ConnectError);
      await expect(attempt).rejects.toMatchObject({
        code: 'ERR_IPCM_CONNECT',
        cause: expect.objectContaining({ code: expect.stringMatching(/CERT|ISSUER|VERIFY/) }),
      });
      expect(client.connections()).toEqual([]);
      expect(client.stats().connects).toBe(0);
      expect(impostor.stats()).toMatchObject({ accepts: 0, read: {} });
    });

    test('connectTimeoutMs: dialling a listener that never answers the TLS handshake fails with ERR_IPCM_CONNECT and leaves nothing open', async () => {
      let accepted!: (socket: Socket) => void;
      const silentSocket = new Promise<Socket>((resolve) => (accepted = resolve));
      const silent = await s.server(accepted);
      const client = await s.tcp({ id: 'client', listen: false, tls, connectTimeoutMs: 200, peers: { mute: `127.0.0.1:${silent.port}` } });
      const attempt = client.send('mute', 'anyone there?');
      await expect(attempt).rejects.toBeInstanceOf(ConnectError);
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_IPCM_CONNECT', cause: expect.objectContaining({ code: 'ETIMEDOUT' }) });
      await closedByPeer(await silentSocket); // the client hung up
      expect(client.connections()).toEqual([]);
      expect(client.stats().connects).toBe(0);
    });
  });

  describe('static peers', () => {
    test('without a route directory: peers dial each other by address, answers go back over the caller\'s connection', async () => {
      const a = await s.tcp({ id: 'a' });
      expect(a.route).toBeUndefined();
      const b = await s.tcp({ id: 'b', peers: { a: at(a) } });
      await exchange(b, a);
      expect(a.stats()).toMatchObject({ connects: 0, accepts: 1 });
      expect(b.stats()).toMatchObject({ connects: 1, accepts: 0 });

      const c = await s.tcp({ id: 'c', peers: { a: at(a), b: at(b) } });
      await exchange(c, a);
      await exchange(c, b);
      expect(await a.peers()).toEqual([]);
      expect(await b.peers()).toEqual(['a']);
      expect(await c.peers()).toEqual(['a', 'b']);
      expect(await c.listeningPeers()).toEqual(['a', 'b']);
      expect(await c.peerExists('a')).toBe(true);
      expect(await c.peerIsListener('b')).toBe(true);
      expect(await c.peerExists('nobody')).toBe(false);
      const unknown = c.send('nobody', 'hello?');
      await expect(unknown).rejects.toBeInstanceOf(UnknownPeerError);
      await expect(unknown).rejects.toMatchObject({ code: 'ERR_IPCM_UNKNOWN_PEER' });
    });

    test.each<[unknown]>([['nohost'], ['h:0'], ['h:99999'], [5], ['h:'], [':80'], ['h:80x'], ['[::1]'], ['a:b:80']])(
      'peers value %j is refused with a TypeError naming peers["x"]',
      async (value) => {
        const attempt = s.attempt({ id: 'me', peers: { x: value } as unknown as Record<string, string> });
        await expect(attempt).rejects.toBeInstanceOf(TypeError);
        await expect(attempt).rejects.toThrow(`peers["x"] must be "host:port"`);
        await expect(attempt).rejects.toThrow(`received ${JSON.stringify(value)}`);
      },
    );

    test('host names, IPv4 and bracketed IPv6 addresses are accepted; a bad peer id is refused', async () => {
      const client = await s.tcp({ id: 'me', listen: false, peers: { v4: '10.0.0.1:1', name: 'host-b.example:65535', v6: '[::1]:4000' } });
      expect(await client.peers()).toEqual(['name', 'v4', 'v6']);
      await expect(s.attempt({ id: 'me2', peers: { _reserved: '127.0.0.1:1' } })).rejects.toBeInstanceOf(InvalidIdError);
    });

    test('merged with a route directory: peers() lists both kinds, and a configured address wins over a route entry', async () => {
      const route = await s.route();
      const near = await s.tcp({ id: 'near', route });
      const far = await s.tcp({ id: 'far' });
      const routed = await s.tcp({ id: 'both', route });
      const configured = await s.tcp({ id: 'both' });
      const mixed = await s.tcp({ id: 'mixed', route, peers: { far: at(far), both: at(configured) } });
      expect(await mixed.peers()).toEqual(['both', 'far', 'near']);
      expect(await mixed.listeningPeers()).toEqual(['both', 'far', 'near']);
      expect(await near.peers()).toEqual(['both', 'mixed']);
      await exchange(mixed, near);
      await exchange(mixed, far);
      await exchange(mixed, configured);
      expect(routed.stats().accepts).toBe(0);
    });
  });

  test('a peer in another process: static peers and a token both ways, no route directory; a wrong token gets nothing back', async () => {
    const parent = await s.tcp({ id: 'parent', token: TOKEN });
    const child = await s.fork({ id: 'echo', token: TOKEN, peers: { parent: at(parent) } });
    const main = await s.tcp({ id: 'main', token: TOKEN, listen: false, peers: { echo: `127.0.0.1:${child.port}` } });

    // This side dials the child by its configured address.
    const echoed = nextMessages(main, 1);
    await main.send('echo', 'ping');
    expect((await echoed)[0]).toMatchObject({ from: 'echo', to: 'main', content: { echo: 'ping' } });

    // The child dials this side by its own configured address; the answer goes back over that connection.
    const hi = nextMessages(parent, 1);
    expect(await child.command({ cmd: 'send', to: 'parent', content: 'hi' })).not.toHaveProperty('error');
    expect((await hi)[0]).toMatchObject({ from: 'echo', content: 'hi' });
    const back = nextMessages(parent, 1);
    await parent.send('echo', 'pong');
    expect((await back)[0]).toMatchObject({ from: 'echo', content: { echo: 'pong' } });
    expect(parent.stats()).toMatchObject({ connects: 0, accepts: 1 });

    const intruder = await s.tcp({ id: 'intruder', token: 'not-the-shared-secret', listen: false, peers: { echo: `127.0.0.1:${child.port}` } });
    const answers = delivered(intruder);
    expect(await refusal(intruder, 'echo')).toMatch(REFUSED);
    expect(await child.command({ cmd: 'stats' })).toMatchObject({ stats: { read: { main: 1, parent: 1 }, errors: 1 } });
    expect(answers).toEqual([]);

    expect(await child.command({ cmd: 'close' })).not.toHaveProperty('error');
    await child.exited;
  });

  test('R16: Unix and TCP clients on one route directory: each refuses the other transport, lists only its own listeners, and never takes over a live entry', async () => {
    const route = await s.route();
    const u1 = await s.unix('u1', route);
    const t1 = await s.tcp({ id: 't1', route });
    const u2 = await s.unix('u2', route);
    const t2 = await s.tcp({ id: 't2', route });

    const toTcp = u1.send('t1', 'across');
    await expect(toTcp).rejects.toBeInstanceOf(WrongTransportError);
    await expect(toTcp).rejects.toMatchObject({ code: 'ERR_IPCM_WRONG_TRANSPORT' });
    const toUnix = t1.send('u1', 'across');
    await expect(toUnix).rejects.toBeInstanceOf(WrongTransportError);
    await expect(toUnix).rejects.toMatchObject({ code: 'ERR_IPCM_WRONG_TRANSPORT' });

    expect(await u1.listeningPeers()).toEqual(['u2']);
    expect(await t1.listeningPeers()).toEqual(['t2']);
    expect(await u1.peers()).toEqual(['t1', 't2', 'u2']);
    expect(await t1.peers()).toEqual(['t2', 'u1', 'u2']);

    // Each transport's claim finds the other's entry live, whichever came first.
    await expect(s.attempt({ id: 'u1', route })).rejects.toBeInstanceOf(IdInUseError);
    await expect(s.unix('t1', route)).rejects.toBeInstanceOf(IdInUseError);
    await exchange(u2, u1);
    await exchange(t2, t1);
    const dir = await RouteDirectory.open(route, { create: false });
    expect(await dir.lookup('u1')).toMatchObject({ kind: 'socket', alive: true });
    expect(await dir.lookup('t1')).toMatchObject({ kind: 'address', alive: true });
  });

  const malformedEntries: Array<[string, (port: number) => Record<string, unknown>]> = [
    ['an empty host', (port) => ({ transport: 'tcp', host: '', port })],
    ['no host', (port) => ({ transport: 'tcp', port })],
    ['the port in a string', (port) => ({ transport: 'tcp', host: '127.0.0.1', port: String(port) })],
    ['port 0', () => ({ transport: 'tcp', host: '127.0.0.1', port: 0 })],
    ['port 70000', () => ({ transport: 'tcp', host: '127.0.0.1', port: 70000 })],
  ];
  test.each(malformedEntries)(
    "a live peer's TCP entry with %s is refused by TCP's address check: never dialled, not listening, waitForPeer rejects at once",
    async (_, entry) => {
      const route = await s.route();
      let dialled = 0;
      const { port } = await s.server(() => void dialled++);
      // Written as a peer of this (live) process would, but malformed: the
      // directory lists it; TcpTransport.canDial (isTcpAddress) refuses it.
      await writeFile(path.join(route, 'odd'), `${JSON.stringify(entry(port))}\n`, { mode: 0o600 });
      await writeFile(path.join(route, 'odd.pid'), String(process.pid), { mode: 0o600 });
      const t1 = await s.tcp({ id: 't1', route });
      const sent = t1.send('odd', 'hi');
      await expect(sent).rejects.toBeInstanceOf(WrongTransportError);
      await expect(sent).rejects.toThrow('peer "odd" published a tcp address that tcp cannot dial');
      expect(await t1.listeningPeers()).toEqual([]);
      await expect(t1.waitForPeer('odd', { timeoutMs: 60_000 })).rejects.toBeInstanceOf(WrongTransportError);
      expect(t1.stats().connects).toBe(0);
      expect(dialled).toBe(0);
    },
  );

  describe('options', () => {
    const badOptions: Array<[string, Record<string, unknown>, typeof TypeError | typeof RangeError, string]> = [
      ['port -1', { port: -1 }, RangeError, 'port'],
      ['port 65536', { port: 65536 }, RangeError, 'port'],
      ['port 1.5', { port: 1.5 }, RangeError, 'port'],
      ['port "80"', { port: '80' }, TypeError, 'port'],
      ['keepAliveMs 0', { keepAliveMs: 0 }, RangeError, 'keepAliveMs'],
      ['keepAliveMs NaN', { keepAliveMs: NaN }, RangeError, 'keepAliveMs'],
      ['keepAliveMs "1000"', { keepAliveMs: '1000' }, TypeError, 'keepAliveMs'],
      ['connectTimeoutMs 0', { connectTimeoutMs: 0 }, RangeError, 'connectTimeoutMs'],
      ['connectTimeoutMs -5', { connectTimeoutMs: -5 }, RangeError, 'connectTimeoutMs'],
      ['connectTimeoutMs Infinity', { connectTimeoutMs: Infinity }, RangeError, 'connectTimeoutMs'],
      ['connectTimeoutMs past the longest timer', { connectTimeoutMs: 2 ** 31 }, RangeError, 'connectTimeoutMs'],
      ['keepAliveMs past what the kernel takes', { keepAliveMs: 32_767_001 }, RangeError, 'keepAliveMs'],
      ['connectTimeoutMs "1000"', { connectTimeoutMs: '1000' }, TypeError, 'connectTimeoutMs'],
      ['host ""', { host: '' }, TypeError, 'host'],
      ['host 5', { host: 5 }, TypeError, 'host'],
      ['tls "yes"', { tls: 'yes' }, TypeError, 'tls'],
      ['tls null', { tls: null }, TypeError, 'tls'],
    ];
    test.each(badOptions)('%s is refused with an error naming the option and the value', async (_, options, type, name) => {
      const attempt = s.attempt({ id: 'me', ...options } as unknown as TcpClientOptions);
      await expect(attempt).rejects.toBeInstanceOf(type);
      await expect(attempt).rejects.toThrow(new RegExp(`^${name} `));
      const [value] = Object.values(options);
      await expect(attempt).rejects.toThrow(`received ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
    });

    const badTokens: Array<[string, unknown, typeof TypeError | typeof RangeError]> = [
      ['an empty token', '', TypeError],
      ['a number', 12345678901234, TypeError],
      ['an object', { secret: TOKEN }, TypeError],
      ['1025 bytes', `${TOKEN}${'t'.repeat(1025 - TOKEN.length)}`, RangeError],
      ['513 two-byte characters (1026 bytes)', `${'ü'.repeat(513)}`, RangeError],
    ];
    test.each(badTokens)('R21: token as %s is refused with an error naming the option, not the value', async (_, token, type) => {
      const attempt = s.attempt({ id: 'me', token } as unknown as TcpClientOptions);
      await expect(attempt).rejects.toBeInstanceOf(type);
      await expect(attempt).rejects.toThrow(/^token /);
      expectNoSecret((await attempt.catch((error: unknown) => error)) as Error, [TOKEN, token]);
    });

    test('a token of exactly 1024 bytes is accepted', async () => {
      const token = '€'.repeat(341) + 'x'; // 1024 bytes
      const server = await s.tcp({ id: 'server', token });
      const client = await s.tcp({ id: 'client', token, listen: false, peers: { server: at(server) } });
      await exchange(client, server);
    });

    test('a refused connect is ERR_IPCM_CONNECT carrying the system error', async () => {
      const { server, port } = await s.server();
      await new Promise((resolve) => server.close(resolve)); // nobody listens there now
      const client = await s.tcp({ id: 'client', listen: false, peers: { gone: `127.0.0.1:${port}` } });
      const attempt = client.send('gone', 'hello?');
      await expect(attempt).rejects.toBeInstanceOf(ConnectError);
      await expect(attempt).rejects.toMatchObject({ code: 'ERR_IPCM_CONNECT', cause: expect.objectContaining({ code: 'ECONNREFUSED' }) });
      expect(client.connections()).toEqual([]);
    });
  });
});

// ---- certificates ----------------------------------------------------------

interface Pki {
  /** The CA every good peer trusts. */
  readonly ca: string;
  /** A peer key and certificate signed by `ca` (IP:127.0.0.1, DNS:localhost; server and client auth). */
  readonly key: string;
  readonly cert: string;
  /** Another CA, and a peer certificate it signed. */
  readonly rogueCa: string;
  readonly rogueKey: string;
  readonly rogueCert: string;
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[peer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** Makes a CA, a rogue CA and a peer certificate from each, with the openssl CLI, in a temp dir removed afterwards. */
async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ipcm-tls-'));
  const openssl = async (...args: string[]): Promise<void> => {
    try {
      await promisify(execFile)('openssl', args, { cwd: dir });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('the TLS tests make their certificates with the `openssl` command, which is not on PATH: install OpenSSL');
      }
      throw error;
    }
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await writeFile(path.join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
    for (const [name, ca, serial] of [
      ['peer', 'ca', '2'],
      ['rogue', 'rogue-ca', '3'],
    ] as const) {
      await openssl('req', '-x509', '-config', 'openssl.cnf', '-extensions', 'ca', ...newKey, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=ipcm test ${ca}`);
      await openssl('req', '-new', '-config', 'openssl.cnf', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost');
      await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', '2', '-extfile', 'openssl.cnf', '-extensions', 'peer', '-out', `${name}.crt`);
    }
    const read = (file: string): Promise<string> => readFile(path.join(dir, file), 'utf8');
    return {
      ca: await read('ca.crt'),
      key: await read('peer.key'),
      cert: await read('peer.crt'),
      rogueCa: await read('rogue-ca.crt'),
      rogueKey: await read('rogue.key'),
      rogueCert: await read('rogue.crt'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
