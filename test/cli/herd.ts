/**
 * Runs the compiled `herd` command (build/src/cli/main.js) as a user would:
 * `herd(...)` to completion, `startHerdServer(...)` until its startup block
 * is printed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

/** What a finished `herd` printed and its exit status. */
export interface HerdRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `herd <args>` to completion (15 s at most). */
export function herd(...args: string[]): HerdRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `herd <args>` to completion (15 s at most) without blocking the event
 * loop: for tests that serve something in-process while the command runs,
 * and for running many short commands side by side.
 */
export function herdAsync(...args: string[]): Promise<HerdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs each `herd` command line with at most `parallel` at once; the results in the order given. */
export async function herdAll(commands: readonly (readonly string[])[], parallel = 4): Promise<HerdRun[]> {
  const results: HerdRun[] = new Array<HerdRun>(commands.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < commands.length) {
      const i = next++;
      results[i] = await herdAsync(...commands[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, commands.length) }, worker));
  return results;
}

/** A running `herd server` child. */
export interface HerdServerProcess {
  readonly child: ChildProcess;
  /** The startup block it printed on stdout. */
  readonly banner: string;
  /** The client port it listens on, read from the banner. */
  readonly port: number;
  /** Everything it wrote on stderr so far. */
  readonly stderr: () => string;
  /** SIGTERM, and resolves with the exit code once it has exited. */
  stop(): Promise<number | null>;
}

/**
 * Starts `herd server <args>` and resolves once its startup block is out
 * (the block ends with its `logs` row); rejects with what it printed if it
 * exits first or takes more than 20 s.
 */
export function startHerdServer(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<HerdServerProcess> {
  const child = spawn(process.execPath, [CLI, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`herd server printed no startup block in 20 s:\n${out}\n${err}`));
    }, 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (!/^ {2}logs .*\n/m.test(out)) return;
      clearTimeout(timer);
      const port = /^ {2}clients +\S*:(\d+)/m.exec(out);
      if (port === null) {
        void stop();
        reject(new Error(`no clients row in the startup block:\n${out}`));
        return;
      }
      resolve({ child, banner: out, port: Number(port[1]), stderr: () => err, stop });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`herd server exited with ${code} before its startup block:\n${out}\n${err}`));
    });
  });
}
