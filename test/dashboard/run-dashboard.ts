/** `herd dashboard` (the CLI compiled alongside the tests) as a child process, as a user runs it. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from '../support/targets.js';
import { HERD_CLI } from '../shell/run-shell.js';

export interface DashboardProcess extends AsyncDisposable {
  readonly child: ChildProcess;
  /** The URL its first line prints, ending in `/`. */
  readonly url: string;
  /** Its first line. */
  readonly banner: string;
  /** SIGTERM, and waits for the exit. */
  close(): Promise<void>;
}

/** `herd dashboard --port 0 ...args`, once it printed where it serves. */
export async function startDashboardProcess(args: readonly string[]): Promise<DashboardProcess> {
  const child = spawn(process.execPath, [HERD_CLI, 'dashboard', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  await waitFor(() => out.includes('\n') || child.exitCode !== null, 30_000, 'herd dashboard started');
  const url = /(http:\/\/\S+)/.exec(out)?.[1];
  assert.ok(url !== undefined, `herd dashboard printed no URL: ${out}`);
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  return { child, url, banner: out.split('\n')[0]!, close, [Symbol.asyncDispose]: close };
}
