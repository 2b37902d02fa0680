/** Shared by the Pyro4 tests: running Debian's Python with Pyro4 and serpent. */
import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { PYTHON, requireTool } from '../../support/interop.js';

let available: boolean | undefined;

/** True when /usr/bin/python3 imports Pyro4 and serpent (Debian's python3-pyro4). Cached. */
export function pyro4Available(): boolean {
  available ??= spawnSync(PYTHON, ['-c', 'import Pyro4, serpent'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
  return available;
}

/** Gates a test on Pyro4: skips outside CI, fails under CI=true when it is missing. */
export function requirePyro4(t: TestContext | undefined): boolean {
  return requireTool(t, pyro4Available(), 'python3-pyro4 (/usr/bin/python3 -c "import Pyro4")');
}

/** Runs a Python script with `args` and `input` on its stdin; resolves with its stdout, rejects with its stderr when it fails. */
export function runPython(script: string, args: readonly string[] = [], input = '', timeout = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(new Error(`python exited ${code}: ${Buffer.concat(err).toString('utf8')}\n${stdout}`));
    });
    child.stdin.end(input);
  });
}
