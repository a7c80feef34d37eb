import { CAST, type Shutdown, type Stage } from './stage.js';
import { mark } from './style.js';

/** Closes every client, lets the peer processes exit, removes the route directory. */
export async function shutDown(stage: Stage): Promise<Shutdown> {
  const result = await stage.shutdown();
  const { exitCodes, leftovers, statsFiles, removed } = result;
  const clean = [...exitCodes.values()].filter((code) => code === 0).length;
  stage.say(`closed ${Object.keys(stage.conductors).length} conductors and ${exitCodes.size} peers`);
  const exits = CAST.filter(({ id }) => exitCodes.has(id)).map(({ id }) => `${id} ${String(exitCodes.get(id))}`);
  stage.say(`peer processes exited with codes: ${exits.join(', ')}`);
  stage.say(`route directory then held ${statsFiles} .stats files${leftovers.length > 0 ? ` and ${leftovers.join(', ')}` : ' and nothing else'}`);
  stage.say(`route directory removed ${mark(removed)}`);
  stage.checks.check(
    'every client closed and every peer process exited with code 0',
    exitCodes.size === stage.peers.size && clean === exitCodes.size && stage.peers.size > 0,
    `${clean}/${exitCodes.size}`,
  );
  stage.checks.check('closed clients left no route entries (only .stats), and the directory is gone', leftovers.length === 0 && removed);
  return result;
}
