// Interoperating with Perl IPC::Manager ConnectionUnix peers: raw sockets
// play the Perl side and write exactly the bytes a Perl peer writes (the
// captures in client-core's test/fixtures, and hellos of the same shape);
// our client must read them, answer, and dial a Perl peer where Perl put it.
import { once } from 'node:events';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { RouteDirectory, encodeFrame, type Message } from '@ipcm/client-core';
import { Harness, nextFrames, nextMessages, recordErrors, writeRaw } from '../../client-core/test/conformance/harness.js';
import { perlFrame, perlOnDiskNames, perlRouteListing } from '../../client-core/test/perl-vectors.js';
import { unixTarget } from './unix-target.js';

/** A hello exactly as IPC::Manager's JSON serializer writes it (ASCII, `\t` escaped). */
function perlHello(jsonEscapedId: string): Buffer {
  return encodeFrame(Buffer.from(`{"hello":"${jsonEscapedId}"}`, 'latin1'));
}

describe('interoperating with Perl IPC::Manager peers (captured bytes)', () => {
  const h = new Harness(unixTarget);
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  beforeEach(() => h.setup());
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const server of servers.splice(0)) {
      await new Promise((resolve) => server.close(resolve));
    }
    await h.cleanup();
  });

  test('a Perl broadcast ("broadcast":1) and non-ASCII content are delivered; the reply goes back on the same connection', async () => {
    // The captured frames are addressed to "rawcap", from "perlB".
    const rawcap = await h.client('rawcap');
    const errors = recordErrors(rawcap);
    const raw = await h.raw('rawcap');
    const arrived = nextMessages(rawcap, 2);
    await writeRaw(raw, Buffer.concat([perlHello('perlB'), perlFrame('broadcast'), perlFrame('non-ASCII and numbers')]));
    const [broadcast, text] = (await arrived) as [Message, Message];
    expect(broadcast).toMatchObject({ from: 'perlB', to: 'rawcap', broadcast: true, content: { terminate: 1 } });
    expect(text.content).toEqual({ text: 'héllo ✓ 😀 日本', numbers: [1, -3, 2.5, 0.1, 123456789012] });
    expect(Object.hasOwn(text, 'broadcast')).toBe(false);
    const reply = nextFrames(raw, 1);
    await rawcap.send('perlB', { ok: true });
    expect((await reply)[0]).toMatchObject({ from: 'rawcap', to: 'perlB', content: { ok: true } });
    expect(errors).toEqual([]);
  });

  test('a hashed Perl peer says hello with its real id, and its messages carry it', async () => {
    const rawcap = await h.client('rawcap');
    const raw = await h.raw('rawcap');
    const arrived = nextMessages(rawcap, 1);
    await writeRaw(raw, Buffer.concat([perlFrame('hello from a hashed id'), perlFrame('message from a hashed id')]));
    const [message] = (await arrived) as [Message];
    expect(message.from).toMatch(/^perl-x{120,}$/);
    expect(message.content).toBe('from a hashed id');
    expect(rawcap.connections()).toEqual([message.from]);
  });

  test('a Perl non-listener is answered over the connection it opened, and "" is valid content', async () => {
    const rawcap = await h.client('rawcap');
    const raw = await h.raw('rawcap');
    const arrived = nextMessages(rawcap, 1);
    await writeRaw(raw, Buffer.concat([perlFrame('hello from a non-listener'), perlFrame('empty-string content from a non-listener')]));
    expect((await arrived)[0]).toMatchObject({ from: 'perlN', content: '' });
    const reply = nextFrames(raw, 1);
    await rawcap.send('perlN', '');
    expect((await reply)[0]).toMatchObject({ from: 'rawcap', to: 'perlN', content: '' });
  });

  test('a Perl peer whose id holds a tab: its hello is accepted and replies reach it', async () => {
    const bob = await h.client('bob');
    const errors = recordErrors(bob);
    const raw = await h.raw('bob');
    const arrived = nextMessages(bob, 1);
    const message = '{"stamp_ord":0,"from":"tab\\there","id":"01A22A56-0000-7000-8000-000000000000","broadcast":1,"stamp":1796006649.5,"content":"hi","to":"bob"}';
    await writeRaw(raw, Buffer.concat([perlHello('tab\\there'), encodeFrame(Buffer.from(message, 'latin1'))]));
    expect((await arrived)[0]).toMatchObject({ from: 'tab\there', to: 'bob', broadcast: true, content: 'hi' });
    const reply = nextFrames(raw, 1);
    await bob.send('tab\there', 'back');
    expect((await reply)[0]).toMatchObject({ from: 'bob', to: 'tab\there', content: 'back' });
    expect(errors).toEqual([]);
  });

  test('we dial a listening Perl peer where Perl put it: the hashed name of "tab\\there", with D.pid written without a newline', async () => {
    const id = 'tab\there';
    const perlName = perlOnDiskNames.cases.find((c) => c.id === id)?.perl as string;
    // The layout of the captured live listing: socket D, D.pid (no newline), D.name.
    expect(Object.keys(perlRouteListing('perl peers, live').listing)).toEqual(
      expect.arrayContaining(['pl', 'pl.pid', 'h-2b98beae721dfa6bd036e5ba4c0351560b6979ae.name']),
    );
    const server = net.createServer();
    servers.push(server);
    server.listen(path.join(h.route, perlName));
    await once(server, 'listening');
    await writeFile(path.join(h.route, `${perlName}.pid`), String(process.pid));
    await writeFile(path.join(h.route, `${perlName}.name`), id);

    const rawcap = await h.client('rawcap');
    expect((await RouteDirectory.open(h.route, { create: false })).entryName(id)).toBe(perlName);
    expect(await rawcap.peers()).toEqual([id]);
    expect(await rawcap.peerIsListener(id)).toBe(true);

    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    await rawcap.send(id, 'to perl');
    const [perl] = await accepted;
    perl.on('error', () => {});
    sockets.push(perl);
    expect(await nextFrames(perl, 2)).toEqual([
      { hello: 'rawcap' },
      expect.objectContaining({ from: 'rawcap', to: id, content: 'to perl' }),
    ]);
    // The Perl side answers on the connection we opened, in its own bytes.
    const arrived = nextMessages(rawcap, 1);
    const answer = '{"id":"01A22A56-0000-7000-8000-000000000001","from":"tab\\there","content":"from perl","stamp":1796006649.5,"stamp_ord":0,"to":"rawcap"}';
    await writeRaw(perl, encodeFrame(Buffer.from(answer, 'latin1')));
    expect((await arrived)[0]).toMatchObject({ from: id, to: 'rawcap', content: 'from perl' });
    // Our own files in that directory are Perl's shape: a pid with no newline.
    expect(await readFile(path.join(h.route, 'rawcap.pid'), 'utf8')).toBe(String(process.pid));
    expect((await readdir(h.route)).sort()).toEqual([perlName, `${perlName}.name`, `${perlName}.pid`, 'rawcap', 'rawcap.pid'].sort());
  });

  test('after close our peers leave what the capture shows, plus D.name beside D.stats as Perl keeps it', async () => {
    const captured = perlRouteListing('@ipcm peers, after close (for comparison)').listing;
    const live = perlRouteListing('@ipcm peers, live (for comparison)').listing;
    const nameFile = Object.keys(live).find((name) => name.endsWith('.name')) as string;
    const hashedId = live[nameFile]?.content as string;
    const nl = await h.client('nl');
    const nn = await h.client('nn', { listen: false });
    const hashed = await h.client(hashedId);
    const atNl = nextMessages(nl, 1);
    await nn.send('nl', 'ping');
    await atNl;
    const atNn = nextMessages(nn, 1);
    await nl.send('nn', 'pong');
    await atNn;
    await Promise.all([nl.close(), nn.close(), hashed.close()]);
    const names = (await readdir(h.route)).sort();
    expect(names).toEqual([...Object.keys(captured), nameFile].sort());
    expect(await readFile(path.join(h.route, nameFile), 'utf8')).toBe(hashedId);
    for (const [name, file] of Object.entries(captured)) {
      expect(JSON.parse(await readFile(path.join(h.route, name), 'utf8'))).toEqual(JSON.parse(file.content as string));
    }
  });
});
