/**
 * Runs `npm run bench -- --only <suite> --smoke` as a child process, the
 * way `npm run bench` runs it, for the bench suites' smoke tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

/** What a smoke run printed. */
export interface SmokeOutput {
  /** Everything on stdout. */
  readonly out: string;
  /** The lines of the section whose title matches, up to the next section; fails the test when it was not printed. */
  rowsOf(title: RegExp): string[];
}

/** Runs the suite's smoke run; fails the test (with its stderr) unless it exits 0. */
export async function runBenchSmoke(suite: string): Promise<SmokeOutput> {
  const child = spawn(process.execPath, [RUN, '--only', suite, '--smoke'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `bench failed:\n${err}`);
  return {
    out,
    rowsOf(title) {
      const at = out.search(title);
      assert.ok(at >= 0, `section ${title} printed:\n${out}`);
      return out.slice(at).split('\n== ')[0]!.split('\n');
    },
  };
}
