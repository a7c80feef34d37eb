import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const MAIN = path.join(__dirname, '..', 'dist', 'main.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script with stdout a pipe (as in CI), resolving whatever its exit code. */
function run(script: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

test('the built demo shows every claim of its checklist and exits 0', async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (node_modules/.bin/tsc -b demo)`);
  const { code, stdout, stderr } = await run(MAIN);

  expect(stderr).toBe('');
  expect(code).toBe(0);
  expect(stdout).toContain('\nSummary\n');
  expect(stdout).toMatch(/peer +process +transport +listener\? +sent +read +connects +reuses +drops/);
  for (const peer of ['conductor-unix', 'conductor-tcp', 'conductor-small', 'unix-a', 'unix-quiet', 'tcp-a', 'tcp-quiet']) {
    expect(stdout).toMatch(new RegExp(`^  ${peer} `, 'm'));
  }
  const checklist = stdout.slice(stdout.indexOf('\nChecklist\n'));
  expect(checklist.length).toBeGreaterThan(0);
  const ticks = checklist.split('\n').filter((line) => line.startsWith('  ✔ '));
  expect(ticks.length).toBeGreaterThanOrEqual(15);
  expect(stdout).not.toContain('✘');
  expect(stdout).toMatch(/all \d+ checks passed/);
  // Key claims, by their own words.
  expect(checklist).toContain('100 messages to one peer open one connection (1 connect, 99 reuses)');
  expect(checklist).toContain("drops['total capacity'] 7");
  expect(checklist).toContain('no message lost');
  // Plain text when not on a terminal; no stack traces.
  expect(stdout).not.toContain('\x1b[');
  expect(stdout).not.toMatch(/^\s+at /m);
}, 90_000);
