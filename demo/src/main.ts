// The @ipcm demo: peers in several processes talking over Unix sockets and
// TCP, with the connection caches at work. Run it from the repository root:
//
//   npx --yes pnpm@10 build && node demo/dist/main.js
//
// Every line it ticks is an assertion on real stats or results; it exits
// non-zero if any of them failed.
import { meetThePeers } from './scene-peers.js';
import { exchangeMessages } from './scene-messages.js';
import { broadcast } from './scene-broadcast.js';
import { reuseConnections } from './scene-reuse.js';
import { evictConnections } from './scene-eviction.js';
import { reapIdleConnections } from './scene-idle.js';
import { shutDown } from './scene-shutdown.js';
import { Stage } from './stage.js';
import { checkNothingLost, summaryTable } from './summary.js';
import { bold, CROSS, dim, red } from './style.js';

/** Safety net: a demo that hangs is a failed demo, not a stuck CI job. */
const DEADLINE_MS = 60_000;

async function main(): Promise<number> {
  const deadline = setTimeout(() => {
    console.error(red(`${CROSS} the demo did not finish within ${DEADLINE_MS / 1000} s`));
    process.exit(1);
  }, DEADLINE_MS).unref();
  const started = performance.now();

  console.log(bold('@ipcm demo: peers in separate processes, talking over Unix sockets and TCP'));
  const stage = await Stage.open();
  const scenes: [string, (stage: Stage) => Promise<void>][] = [
    ['Peers and the route directory', meetThePeers],
    ['Messages', exchangeMessages],
    ['Broadcast', broadcast],
    ['Connection reuse', reuseConnections],
    ['Eviction at maxConnections', evictConnections],
    ['Idle reaping', reapIdleConnections],
  ];
  for (const [title, run] of scenes) {
    // Each scene builds on the ones before: after a failure, skip to the shutdown.
    if (!(await stage.scene(title, () => run(stage)))) break;
  }
  let rows: Awaited<ReturnType<typeof shutDown>>['rows'] = [];
  await stage.scene('Shutdown', async () => {
    ({ rows } = await shutDown(stage));
  });

  console.log(`\n${bold('Summary')}`);
  for (const line of summaryTable(rows)) stage.say(line);
  stage.say(dim("drops leave out the 'client closed' ones of the shutdown"));
  checkNothingLost(rows, stage.checks);

  const { checks } = stage;
  console.log(`\n${bold('Checklist')}`);
  for (const line of checks.lines()) stage.say(line);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    checks.failures === 0
      ? `\nall ${checks.size} checks passed in ${seconds} s`
      : red(`\n${checks.failures} of ${checks.size} checks failed (${seconds} s)`),
  );
  clearTimeout(deadline);
  return checks.failures === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(red(`${CROSS} the demo could not run: ${error instanceof Error ? error.message : String(error)}`));
    process.exitCode = 1;
  },
);
