/** Runs `herd shell` (the CLI compiled alongside the tests) as a child process, as a user's script would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** build/src/cli/main.js, next to this file's build/test/shell/. */
export const HERD_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface ShellResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** `herd shell <conn> ...args`, with `stdin` fed as a script (or nothing), and the history file off. */
export function runShell(connectionString: string, args: readonly string[], stdin = '', timeout = 60_000): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HERD_CLI, 'shell', connectionString, '--no-history', ...args], { stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

/** A shell left running on a pipe: lines are written one by one, output read as it comes. */
export interface LiveShell {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  send(line: string): void;
  /** Ends stdin and waits for the exit code. */
  end(): Promise<number | null>;
}

export function startShell(connectionString: string, args: readonly string[] = []): LiveShell {
  const child = spawn(process.execPath, [HERD_CLI, 'shell', connectionString, '--no-history', ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    send: (line) => void child.stdin.write(`${line}\n`),
    end: () => {
      child.stdin.end();
      return exited;
    },
  };
}
