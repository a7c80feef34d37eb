import { Harness } from '../../client-core/test/conformance/harness.js';
import { tcpTarget } from './tcp-target.js';

// NODE_DEBUG=ipcm from a real client in its own process: the life-cycle
// lines are there, and no message content and no token ever is.
describe('tcp client: NODE_DEBUG=ipcm', () => {
  const h = new Harness(tcpTarget);
  beforeEach(() => h.setup());
  afterEach(() => h.cleanup());

  test('a real client run logs dial, accept, hello and close, with no content and no token', async () => {
    const token = 'TOKEN-c0ffee-9f8e7d';
    const app = await h.client('app', { token } as object);
    const other = await h.client('other', { token } as object); // the child dials this one
    other.handle((request) => ({ got: request }));
    const kid = await h.child(
      'kid',
      { token },
      {},
      { env: { ...process.env, NODE_DEBUG: 'ipcm' }, pipeStderr: true },
    );
    let stderr = '';
    kid.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await kid.command({ cmd: 'handle', kind: 'echo' });
    await expect(app.request('kid', 'CONTENT-request-42')).resolves.toEqual({ echo: 'CONTENT-request-42' });
    await app.send('kid', 'CONTENT-plain-43');
    await expect(kid.command({ cmd: 'request', to: 'other', value: 'CONTENT-back-44' })).resolves.toMatchObject({
      responses: [{ got: 'CONTENT-back-44' }],
    });
    await kid.command({ cmd: 'close' });
    await kid.exited;
    for (const event of ['listen', 'accept', 'hello', 'dial', 'close']) {
      expect(stderr).toMatch(new RegExp(`^IPCM \\d+: ${event} client="kid"`, 'm'));
    }
    expect(stderr).not.toContain('CONTENT');
    expect(stderr).not.toContain(token);
    expect(stderr).not.toContain('c0ffee');
  });
});
