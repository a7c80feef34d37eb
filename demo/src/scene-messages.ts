import { UnixClient, type IpcmError } from '@ipcm/client-unix';
import { CAST, type Conductor, type Stage } from './stage.js';
import { mark } from './style.js';

/**
 * Every listener gets a ping from the conductor of its transport and
 * answers; then the non-listeners, which cannot be dialled, speak first and
 * are answered over the connections they opened.
 */
export async function exchangeMessages(stage: Stage): Promise<void> {
  const { unix, tcp } = stage.conductors;
  let answered = 0;
  let listeners = 0;
  for (const conductor of [unix, tcp]) {
    for (const { id } of CAST.filter((p) => p.transport === conductor.transport && p.listen)) {
      listeners++;
      const n = await stage.ping(conductor, id);
      answered++;
      stage.say(`${conductor.id.padEnd(14)} → ${id.padEnd(6)}  ping #${n}, ← pong #${n} ${mark(true)}`);
    }
  }
  stage.checks.check('every listener answered a ping', answered === listeners, `${answered}/${listeners}`);

  // Someone new tries to dial a peer that does not listen.
  const newcomer = await UnixClient.create({ id: 'newcomer', route: stage.route, listen: false });
  let refusal = 'no error';
  try {
    await newcomer.send('unix-quiet', { kind: 'ping', n: 0 });
  } catch (error) {
    refusal = (error as IpcmError).code ?? String(error);
  } finally {
    await newcomer.close();
  }
  stage.say(`newcomer → unix-quiet: refused, ${refusal} ${mark(refusal === 'ERR_IPCM_PEER_NOT_LISTENING')}`);
  stage.checks.check('a peer that does not listen cannot be dialled', refusal === 'ERR_IPCM_PEER_NOT_LISTENING', refusal);

  let welcomed = 0;
  for (const [quietId, conductor] of [
    ['unix-quiet', unix],
    ['tcp-quiet', tcp],
  ] as const) {
    if (await greet(stage, quietId, conductor)) welcomed++;
  }
  stage.checks.check('non-listeners spoke first and were answered over their own connections', welcomed === 2, `${welcomed}/2, no dial`);
}

/** The non-listener says hi; the conductor's welcome must come back without the conductor dialling. */
async function greet(stage: Stage, quietId: string, conductor: Conductor): Promise<boolean> {
  const quiet = stage.peer(quietId);
  const connectsBefore = conductor.client.stats().connects;
  const hi = conductor.inbox.take(`hi from ${quietId}`, (m) => m.from === quietId);
  const welcome = quiet.next('welcomed');
  await quiet.request('greet', { to: conductor.id });
  await hi;
  const { from } = await welcome;
  const ok = from === conductor.id && conductor.client.stats().connects === connectsBefore && conductor.client.hasConnection(quietId);
  stage.say(`${quietId} → ${conductor.id}: hi; ← welcome, over ${quietId}'s own connection ${mark(ok)}`);
  return ok;
}
