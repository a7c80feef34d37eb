// Helpers shared by the tests that pack, install and publish the packages.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** How long one command of these tests may take. */
export const commandTimeoutMs = 90_000;

/** The pnpm running this test (`pnpm test`), else pnpm 10 through npx. */
export function pnpmCommand(): [string, string[]] {
  const execPath = process.env['npm_execpath'];
  if (execPath !== undefined && /pnpm/i.test(basename(execPath))) {
    return /\.[cm]?js$/.test(execPath) ? [process.execPath, [execPath]] : [execPath, []];
  }
  return ['npx', ['--yes', 'pnpm@10']];
}

/**
 * The environment of a user's shell: without the npm_* variables the
 * workspace's package manager sets for its scripts (package name, local
 * prefix, lifecycle), which would make npm act on the workspace.
 */
export function freshNpmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  env['npm_config_update_notifier'] = 'false';
  return env;
}

/** The files of an npm tarball (gzipped ustar, entries under `package/`). */
export function tarEntries(file: string): Map<string, Buffer> {
  const tar = gunzipSync(readFileSync(file));
  const entries = new Map<string, Buffer>();
  const text = (block: Buffer, start: number, length: number): string =>
    block.toString('utf8', start, start + length).replace(/\0[\s\S]*$/, '');
  let paxPath: string | undefined;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(text(header, 124, 12).trim() || '0', 8);
    const type = text(header, 156, 1) || '0';
    const prefix = text(header, 345, 155);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    const path = paxPath ?? (prefix === '' ? text(header, 0, 100) : `${prefix}/${text(header, 0, 100)}`);
    paxPath = undefined;
    if (type === '0') entries.set(path.replace(/^package\//, ''), body);
  }
  return entries;
}

export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      { cwd, env, maxBuffer: 16 * 1024 * 1024, shell: process.platform === 'win32', timeout: commandTimeoutMs },
      (error, stdout, stderr) => {
        if (error === null) resolvePromise({ stdout, stderr });
        else reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${error.message}\n${stdout}\n${stderr}`));
      },
    );
  });
}
