/** Shared by the Pyro4 tests: running Debian's Python with Pyro4 and serpent. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ProxyConnection } from '../../../src/rpc/pyro/proxy-connection.js';
import { PYTHON, requireTool } from '../../support/interop.js';
import { waitFor } from '../../support/targets.js';

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

/** A Python script running in steps: it prints a line, waits for a line on stdin, goes on. */
export interface SteppedPython {
  readonly child: ChildProcess;
  /** Its stdout so far. */
  readonly stdout: () => string;
  /** Resolves with its first line of output (within 20 s); rejects with its stderr when it exits first. */
  firstLine(what: string): Promise<string>;
  /** Writes a line to its stdin, closes it, and resolves with the rest of its output; rejects with its stderr when it fails. */
  finish(): Promise<string[]>;
}

/** Starts `script` with `args` (see {@link SteppedPython}). */
export function startSteppedPython(script: string, args: readonly string[]): SteppedPython {
  const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    stdout: () => out,
    async firstLine(what) {
      await waitFor(() => out.includes('\n') || child.exitCode !== null, 20000, what);
      if (!out.includes('\n')) throw new Error(`python failed before ${what}: ${err}`);
      return out.split('\n')[0]!;
    },
    async finish() {
      child.stdin.end('\n');
      const code = await exited;
      if (code !== 0) throw new Error(`python exited ${code}: ${err}`);
      return out.trim().split('\n').slice(1);
    },
  };
}

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');

/** A `herd rpc pyro-ns` child process and its port. */
export interface NsProcess {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Starts `herd rpc pyro-ns` on a free port over `connectionString`; resolves once it prints its URI. */
export async function startNs(connectionString: string, ...extraArgs: string[]): Promise<NsProcess> {
  const child = spawn(process.execPath, [CLI, 'rpc', 'pyro-ns', '--port', '0', '--connect', connectionString, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await waitFor(() => /serving PYRO:\S+:\d+\n/.test(out) || child.exitCode !== null, 20000, 'pyro-ns to start');
  const m = /serving PYRO:Pyro\.NameServer@127\.0\.0\.1:(\d+)/.exec(out);
  assert.ok(m, `pyro-ns did not start: ${out}${err}`);
  return { child, port: Number(m[1]) };
}

/** Runs `python3 -m Pyro4.nsc -n 127.0.0.1 -p <port> <args>`; resolves with its output, rejects when it fails. */
export function nsc(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'Pyro4.nsc', '-n', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`nsc ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

/**
 * Waits (up to 20 s) until the name server on `port` resolves `name`: a
 * name server sees a registration made through another client once its
 * watch event arrives, moments after the registration.
 */
export async function waitUntilKnown(port: number, name: string): Promise<void> {
  await waitFor(
    async () => {
      const conn = new ProxyConnection('Pyro.NameServer', '127.0.0.1', port, { callTimeout: 5000 });
      try {
        await conn.open();
        await conn.invoke('lookup', [name], {});
        return true;
      } finally {
        await conn.close();
      }
    },
    20000,
    `the name server on port ${port} to know ${name}`,
  );
}
